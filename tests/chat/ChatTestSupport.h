// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

// Shared by the in-process chat tests: a real ChatServerHost on an ephemeral loopback port with
// its data in a temporary dir, ChatClients with their own pin stores, and a RawPeer that speaks
// the protocol frame by frame for the cases ChatClient would never produce.

#include "ChatClientSupport.h"
#include "chat/ChatClient.h"
#include "chat/ChatProtocol.h"
#include "chat/ChatServerHost.h"
#include "net/Connection.h"
#include "net/PinStore.h"
#include "net/Protocol.h"

#include <QCborMap>
#include <QDir>
#include <QElapsedTimer>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

namespace metatopia::test {

inline constexpr int WaitMs = 10000;

class ServerFixture
{
public:
    ServerFixture() { QVERIFY(m_dir.isValid()); }

    // Starts (or restarts, same data dir) the server; port 0 = ephemeral.
    bool start(quint16 port = 0, int wrongPasswordDelayMs = 200)
    {
        ChatServerConfig config;
        config.dataDir = m_dir.filePath(QStringLiteral("server"));
        config.port = port;
        config.name = QStringLiteral("test-server");
        config.chat.wrongPasswordDelayMs = wrongPasswordDelayMs;
        config.chat.cheapPasswordHashing = true; // argon2id still, at its minimum cost
        m_host = std::make_unique<ChatServerHost>(config);
        QString error;
        if (!m_host->start(&error)) {
            qWarning() << "server did not start:" << error;
            return false;
        }
        return true;
    }
    void stop()
    {
        if (m_host)
            m_host->stop();
        m_host.reset();
    }
    ChatServerHost &host() { return *m_host; }
    quint16 port() const { return m_host->port(); }
    QString clientDir(const QString &name) const
    {
        return m_dir.filePath(QStringLiteral("clients/") + name);
    }

private:
    QTemporaryDir m_dir;
    std::unique_ptr<ChatServerHost> m_host;
};

inline std::unique_ptr<ChatClient> makeClient(ServerFixture &server, const QString &name)
{
    return makeChatClient(server.clientDir(name));
}

inline bool connectAs(ChatClient &client, ServerFixture &server, const QString &user,
    bool registerFirst = true, const QString &password = QStringLiteral("correct horse"))
{
    return connectChatClient(client, server.port(), user, registerFirst, password);
}

// A bare protocol peer: sends what the test says, records everything it receives.
class RawPeer : public QObject
{
public:
    explicit RawPeer(const QString &dir)
        : m_pins(QDir(dir).filePath(QStringLiteral("pins.txt")))
    {
        QDir().mkpath(dir);
    }

    bool connectTo(quint16 port)
    {
        m_conn = net::Connection::connectToHost(QStringLiteral("127.0.0.1"), port, m_pins);
        QObject::connect(m_conn.get(), &net::Connection::messageReceived, this,
            [this](const QCborMap &m) { received.append(m); });
        return QTest::qWaitFor([&] { return m_conn->isReady(); }, WaitMs);
    }

    net::Connection &conn() { return *m_conn; }

    // Sends a request and waits for the reply with its id.
    QCborMap call(const QString &type, QCborMap fields = {})
    {
        fields.insert(net::key::type, type);
        const quint64 id = m_conn->request(fields);
        if (id == 0)
            return {};
        QCborMap reply;
        const auto found = [&] {
            for (const QCborMap &m : std::as_const(received)) {
                if (net::requestId(m) == id) {
                    reply = m;
                    return true;
                }
            }
            return false;
        };
        // Woken by each incoming message rather than polling, so a call costs a round trip.
        QSignalSpy incoming(m_conn.get(), &net::Connection::messageReceived);
        QElapsedTimer timer;
        timer.start();
        while (!found() && m_conn->state() != net::Connection::State::Closed
            && timer.elapsed() < WaitMs)
            incoming.wait(int(std::max<qint64>(1, WaitMs - timer.elapsed())));
        return reply;
    }

    bool login(const QString &user, const QString &password, bool registerFirst)
    {
        QCborMap auth;
        auth.insert(QStringLiteral("method"),
            registerFirst ? QStringLiteral("register") : QStringLiteral("password"));
        auth.insert(QStringLiteral("name"), user);
        auth.insert(chat::key::password, password);
        return net::isOk(call(net::msg::auth, auth));
    }

    // Pushes (no id) of the given type received so far.
    QList<QCborMap> pushes(const QString &type) const
    {
        QList<QCborMap> out;
        for (const QCborMap &m : received) {
            if (net::messageType(m) == type && !net::requestId(m))
                out.append(m);
        }
        return out;
    }

    QList<QCborMap> received;

private:
    net::PinStore m_pins;
    std::unique_ptr<net::Connection> m_conn;
};

} // namespace metatopia::test
