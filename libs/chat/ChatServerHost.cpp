// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "chat/ChatServerHost.h"

#include "net/Server.h"
#include "net/TlsIdentity.h"
#include "store/Database.h"

#include <QDir>

#include <optional>

namespace metatopia {

struct ChatServerHost::Private
{
    ChatServerConfig config;
    std::optional<net::TlsIdentity> identity;
    store::Database database;
    std::unique_ptr<net::Server> server;
    std::unique_ptr<ChatService> service;
};

ChatServerHost::ChatServerHost(ChatServerConfig config, QObject *parent)
    : QObject(parent)
    , d(std::make_unique<Private>())
{
    d->config = std::move(config);
    if (d->config.sourceOffer.isEmpty())
        d->config.sourceOffer = defaultSourceOffer();
}

ChatServerHost::~ChatServerHost()
{
    stop();
}

QString ChatServerHost::defaultSourceOffer()
{
    return QStringLiteral(
        "This server runs Metatopia, free software under the GNU AGPL-3.0-or-later. You may get "
        "its complete corresponding source from the operator of this server (AGPL-3.0 section "
        "13); operators of modified versions publish theirs with --source-offer <url>.");
}

QString ChatServerHost::databasePath(const QString &dataDir)
{
    return QDir(dataDir).filePath(QStringLiteral("metatopia.sqlite"));
}

bool ChatServerHost::start(QString *error)
{
    stop();
    const auto failWith = [&](const QString &text) {
        if (error)
            *error = text;
        stop();
        return false;
    };
    if (d->config.dataDir.isEmpty())
        return failWith(QStringLiteral("no data dir given"));
    if (!QDir().mkpath(d->config.dataDir))
        return failWith(QStringLiteral("cannot create the data dir %1").arg(d->config.dataDir));

    QString identityError;
    d->identity = net::TlsIdentity::loadOrCreate(d->config.dataDir, &identityError);
    if (!d->identity)
        return failWith(QStringLiteral("TLS identity: %1").arg(identityError));

    const QString dbPath = databasePath(d->config.dataDir);
    if (!d->database.open(dbPath))
        return failWith(QStringLiteral("database %1: %2").arg(dbPath, d->database.errorString()));

    net::ServerOptions options;
    options.info.name = d->config.name;
    options.info.sourceOffer = d->config.sourceOffer;
    options.limits.messagesPerSecond = d->config.messagesPerSecond;
    options.limits.messageBurst = d->config.messageBurst;
    d->server = std::make_unique<net::Server>(options);
    d->service = std::make_unique<ChatService>(*d->server, d->database, d->config.chat);
    if (!d->service->isReady())
        return failWith(d->service->errorString());
    if (!d->server->listen(d->config.listenAddress, d->config.port, *d->identity))
        return failWith(d->server->errorString());
    return true;
}

void ChatServerHost::stop()
{
    if (d->server)
        d->server->close();
    d->service.reset();
    d->server.reset();
    d->database.close();
}

bool ChatServerHost::isRunning() const
{
    return d->server && d->server->isListening();
}

quint16 ChatServerHost::port() const
{
    return d->server ? d->server->serverPort() : 0;
}

QHostAddress ChatServerHost::address() const
{
    return d->server ? d->server->serverAddress() : QHostAddress();
}

QString ChatServerHost::fingerprint() const
{
    return d->identity ? d->identity->fingerprintText() : QString();
}

QString ChatServerHost::listeningLine() const
{
    return QStringLiteral("LISTENING %1:%2 fingerprint=%3")
        .arg(address().toString())
        .arg(port())
        .arg(fingerprint());
}

ChatService *ChatServerHost::service() const
{
    return d->service.get();
}

const ChatServerConfig &ChatServerHost::config() const
{
    return d->config;
}

} // namespace metatopia
