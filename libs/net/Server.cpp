// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "net/Server.h"

#include <QTcpServer>
#include <QTimer>

namespace metatopia::net {

class Server::Listener final : public QTcpServer
{
public:
    explicit Listener(Server &server)
        : m_server(server)
    { }

protected:
    // The TLS handshake starts here, before Qt would queue a plain QTcpSocket.
    void incomingConnection(qintptr descriptor) override { m_server.acceptSocket(descriptor); }

private:
    Server &m_server;
};

Server::Server(ServerOptions options, QObject *parent)
    : QObject(parent)
    , m_options(std::move(options))
{ }

Server::~Server()
{
    close();
}

bool Server::listen(const QHostAddress &address, quint16 port, const TlsIdentity &identity)
{
    m_certificate = identity.certificate();
    m_key = identity.privateKey();
    m_listener = std::make_unique<Listener>(*this);
    if (!m_listener->listen(address, port)) {
        m_error = QStringLiteral("cannot listen on %1:%2: %3")
                      .arg(address.toString())
                      .arg(port)
                      .arg(m_listener->errorString());
        m_listener.reset();
        return false;
    }
    m_error.clear();
    return true;
}

bool Server::isListening() const
{
    return m_listener && m_listener->isListening();
}

quint16 Server::serverPort() const
{
    return m_listener ? m_listener->serverPort() : 0;
}

QHostAddress Server::serverAddress() const
{
    return m_listener ? m_listener->serverAddress() : QHostAddress();
}

void Server::close()
{
    if (m_listener)
        m_listener->close();
    m_listener.reset();
    const auto all = m_pending + m_ready;
    for (const QPointer<Connection> &connection : all) {
        if (connection)
            connection->close(QStringLiteral("server shutting down"));
    }
}

void Server::setAuthenticator(Authenticator authenticator)
{
    m_authenticator = std::move(authenticator);
}

QList<Connection *> Server::connections() const
{
    QList<Connection *> result;
    for (const QPointer<Connection> &connection : m_ready) {
        if (connection && connection->state() != Connection::State::Closed)
            result.append(connection.data());
    }
    return result;
}

void Server::acceptSocket(qintptr descriptor)
{
    auto socket = std::make_unique<QSslSocket>();
    if (!socket->setSocketDescriptor(descriptor))
        return;
    m_pending.removeAll(nullptr);
    m_ready.removeAll(nullptr);
    if (m_pending.size() + m_ready.size() >= m_options.maxConnections) {
        socket->abort();
        return;
    }
    socket->setLocalCertificate(m_certificate);
    socket->setPrivateKey(m_key);
    socket->setPeerVerifyMode(QSslSocket::VerifyNone);
    socket->setProtocol(QSsl::TlsV1_2OrLater);
    socket->startServerEncryption();

    auto *connection = new Connection(std::move(socket), m_options.limits, m_options.info, this);
    if (m_authenticator) {
        connection->setAuthHandler(
            [this](Connection &c, const QCborMap &request) { handleAuth(c, request); });
    }
    m_pending.append(connection);
    QPointer<Connection> guard(connection);

    connect(connection, &Connection::ready, this, [this, guard] {
        if (!guard)
            return;
        m_pending.removeAll(guard);
        m_ready.append(guard);
        if (m_authenticator) {
            QTimer::singleShot(m_options.authTimeoutMs, guard, [guard] {
                if (guard && !guard->isAuthenticated())
                    guard->close(QStringLiteral("authentication timed out"));
            });
        }
        emit newConnection(guard);
    });
    connect(connection, &Connection::disconnected, this, [this, guard] {
        m_pending.removeAll(guard);
        m_ready.removeAll(guard);
        if (guard) {
            m_authFailures.remove(guard->connectionId());
            guard->deleteLater();
        }
    });
    QTimer::singleShot(m_options.handshakeTimeoutMs, connection, [guard] {
        if (guard && guard->state() != Connection::State::Ready)
            guard->close(QStringLiteral("handshake timed out"));
    });
}

void Server::handleAuth(Connection &connection, const QCborMap &request)
{
    const quint64 id = connection.connectionId();
    // One attempt at a time per connection, so parallel requests cannot dodge the delay.
    if (m_authInFlight.contains(id)) {
        connection.replyError(request, QStringLiteral("an authentication is already in progress"));
        return;
    }
    m_authInFlight.insert(id);
    QPointer<Connection> guard(&connection);
    m_authenticator(connection, request, [this, guard, id, request](const AuthOutcome &outcome) {
        auto deliver = [this, guard, id, request, outcome] {
            m_authInFlight.remove(id);
            if (!guard || guard->state() == Connection::State::Closed)
                return;
            if (outcome.ok && outcome.accountId != 0) {
                m_authFailures.remove(id);
                QCborMap fields = outcome.fields;
                fields.insert(QStringLiteral("account"), outcome.accountName);
                fields.insert(QStringLiteral("accountId"), outcome.accountId);
                guard->reply(request, fields);
                guard->setAuthenticated(outcome.accountId, outcome.accountName);
                emit connectionAuthenticated(guard);
                return;
            }
            const int failures = ++m_authFailures[id];
            guard->replyError(request,
                outcome.error.isEmpty() ? QStringLiteral("authentication failed") : outcome.error);
            if (failures >= m_options.maxAuthFailures)
                guard->close(QStringLiteral("too many failed authentication attempts"));
        };
        if (outcome.delayMs > 0 && guard)
            QTimer::singleShot(outcome.delayMs, this, deliver);
        else
            deliver();
    });
}

} // namespace metatopia::net
