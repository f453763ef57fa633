// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

// The chat role of metatopia-server: accounts (register, password login, resume by session
// token), channels with member lists, private messages, presence, durable history and local chat
// by distance, on top of a libs/net Server and the libs/store database. The protocol is described
// in chat/ChatProtocol.h.
//
// Guarantees: a message is stored in SQLite before it is acknowledged or delivered to anyone, so
// an acknowledged message survives a crash; a message resent with a clientSeq already stored for
// its sender is acknowledged again with the original id and not delivered twice; password hashing
// runs on worker threads and a wrong password is answered late by a timer, so no client ever
// waits for another one's login.

#include "chat/ChatClient.h"
#include "chat/LocalChat.h"

#include <QObject>
#include <QString>
#include <QStringList>

#include <memory>

namespace metatopia {

namespace net {
class Server;
}
namespace store {
class Database;
}

struct ChatServiceOptions
{
    // A failed login is answered only after this delay (a timer, per request), doubling with
    // each recent failure for the same account or address (libs/store's LoginThrottle).
    int wrongPasswordDelayMs = 1000;
    // argon2id at libsodium's minimum cost instead of the interactive one: for tests only.
    bool cheapPasswordHashing = false;
    int historyOnJoin = 50;
    int maxMessageLength = 2000;
};

class ChatService : public QObject
{
    Q_OBJECT
public:
    // Takes over server's authenticator. server and database (open) must outlive the service.
    // Check isReady() afterwards: the chat's tables may fail to be created.
    ChatService(net::Server &server, store::Database &database, ChatServiceOptions options = {},
        QObject *parent = nullptr);
    ~ChatService() override;

    bool isReady() const;
    QString errorString() const;

    // Where avatars stand, for local chat; without it "local" requests are refused. Not owned.
    void setAvatarPositions(const AvatarPositions *positions);

    // Introspection for the manager and tests.
    QStringList channelMembers(const QString &channel) const;
    QStringList activeChannels() const;
    Presence presenceOf(const QString &user) const;
    int onlineUserCount() const;

signals:
    // Counted for logs and the manager: every stored message.
    void messageStored(qint64 id);

private:
    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace metatopia
