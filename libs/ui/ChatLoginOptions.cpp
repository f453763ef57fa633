// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "ui/ChatLoginOptions.h"

#include "ui/ChatController.h"

#include <QDir>
#include <QStandardPaths>

namespace metatopia {

ChatLoginOptions::ChatLoginOptions(QCommandLineParser &parser)
    : m_parser(parser)
    , m_host(QStringLiteral("host"), QStringLiteral("Server address (default 127.0.0.1)."),
          QStringLiteral("address"), QStringLiteral("127.0.0.1"))
    , m_user(QStringLiteral("user"), QStringLiteral("User name."), QStringLiteral("name"))
    , m_password(QStringLiteral("password"),
          QStringLiteral("Password: logs in at once (visible to other local users in the process "
                         "list; meant for scripts and tests)."),
          QStringLiteral("password"))
    , m_register(QStringLiteral("register"),
          QStringLiteral("With --user and --password: create the account instead of logging in."))
    , m_dataDir(QStringLiteral("data-dir"),
          QStringLiteral("Where the pinned server certificates are kept (default: %1).")
              .arg(QStandardPaths::writableLocation(QStandardPaths::AppDataLocation)),
          QStringLiteral("dir"))
{
    parser.addOptions({ m_host, m_user, m_password, m_register, m_dataDir });
}

QString ChatLoginOptions::host() const
{
    return m_parser.value(m_host);
}

QString ChatLoginOptions::dataDirectory() const
{
    const QString dir = m_parser.isSet(m_dataDir)
        ? m_parser.value(m_dataDir)
        : QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);
    QDir().mkpath(dir);
    return dir;
}

void ChatLoginOptions::configure(ChatController &controller, int port) const
{
    controller.setHost(host());
    controller.setPort(port);
    controller.setUserName(m_parser.value(m_user));
}

void ChatLoginOptions::logInIfGiven(ChatController &controller) const
{
    if (!m_parser.isSet(m_user) || !m_parser.isSet(m_password))
        return;
    if (m_parser.isSet(m_register))
        controller.registerAccount(m_parser.value(m_password));
    else
        controller.login(m_parser.value(m_password));
}

bool ChatLoginOptions::parsePort(const QString &text, int *port)
{
    bool ok = false;
    *port = text.toInt(&ok);
    return ok && *port >= 1 && *port <= 65535;
}

} // namespace metatopia
