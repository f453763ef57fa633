// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

// The chat role as one object: the data dir (TLS identity, SQLite database), the listening
// libs/net Server and the ChatService on top. metatopia-server's main() only parses its command
// line into a ChatServerConfig; tests start the same object in-process.

#include "chat/ChatService.h"

#include <QHostAddress>
#include <QObject>
#include <QString>

#include <memory>

namespace metatopia {

struct ChatServerConfig
{
    QString dataDir; // created if missing
    QHostAddress listenAddress = QHostAddress::LocalHost;
    quint16 port = 7777; // 0: ephemeral
    QString name = QStringLiteral("metatopia");
    // AGPL §13: where users of this server get its source. Default: the offer of this build.
    QString sourceOffer;
    ChatServiceOptions chat;
    // Incoming messages per second and burst per connection (libs/net's token bucket).
    double messagesPerSecond = 100;
    double messageBurst = 200;
};

class ChatServerHost : public QObject
{
    Q_OBJECT
public:
    explicit ChatServerHost(ChatServerConfig config, QObject *parent = nullptr);
    ~ChatServerHost() override;

    // Opens the data dir and starts listening. False with *error set when that fails.
    bool start(QString *error);
    // Closes every connection and the database.
    void stop();

    bool isRunning() const;
    quint16 port() const;
    QHostAddress address() const;
    // SHA-256 of the TLS certificate, "AB:CD:..." form.
    QString fingerprint() const;
    // The machine-readable line metatopia-server prints on stdout once it listens:
    // "LISTENING <address>:<port> fingerprint=<AB:CD:...>".
    QString listeningLine() const;
    ChatService *service() const;
    const ChatServerConfig &config() const;

    static QString defaultSourceOffer();
    // Where the SQLite database of a data dir lives.
    static QString databasePath(const QString &dataDir);

private:
    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace metatopia
