// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

// The command-line options every GUI client of the chat service takes (server address, account,
// where server certificates are pinned) and what they do, defined once for metatopia-chat and
// metatopia-client; each app adds its own options on top.

#include <QCommandLineOption>
#include <QCommandLineParser>
#include <QString>

namespace metatopia {

class ChatController;

class ChatLoginOptions
{
public:
    // Adds --host, --user, --password, --register and --data-dir to the parser, which must
    // outlive this object and be processed before the getters below are used.
    explicit ChatLoginOptions(QCommandLineParser &parser);

    QString host() const;
    // --data-dir, or the application's data location; created if missing.
    QString dataDirectory() const;
    // Points the controller at host:port as the user given on the command line.
    void configure(ChatController &controller, int port) const;
    // With --user and --password: logs in at once (or registers, with --register).
    void logInIfGiven(ChatController &controller) const;

    // A TCP port number, 1..65535.
    static bool parsePort(const QString &text, int *port);

private:
    const QCommandLineParser &m_parser;
    QCommandLineOption m_host;
    QCommandLineOption m_user;
    QCommandLineOption m_password;
    QCommandLineOption m_register;
    QCommandLineOption m_dataDir;
};

} // namespace metatopia
