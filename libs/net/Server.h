// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

// The listening side: accepts TCP connections, does the TLS handshake with the server's
// TlsIdentity and the version handshake, and hands out only connections that completed both.
// Authentication is delegated to an Authenticator the app wires to its account store.

#include "net/Connection.h"
#include "net/TlsIdentity.h"

#include <QHash>
#include <QHostAddress>
#include <QList>
#include <QObject>
#include <QSet>

#include <functional>
#include <memory>

namespace metatopia::net {

struct ServerOptions
{
    HandshakeInfo info;
    ConnectionLimits limits;
    // A connection must send hello within this time, and authenticate within authTimeoutMs
    // (only when an Authenticator is set).
    int handshakeTimeoutMs = 10000;
    int authTimeoutMs = 120000;
    int maxConnections = 4096;
    // Rejected "auth" requests on one connection before it is dropped.
    int maxAuthFailures = 10;
};

// Result of one "auth" request.
struct AuthOutcome
{
    bool ok = false;
    QString error; // shown to the user when !ok
    qint64 accountId = 0; // non-zero when ok
    QString accountName;
    QCborMap fields; // extra reply fields, e.g. a session token
    int delayMs = 0; // the reply waits this long (a timer, not a sleep): slows password guessing
};
using AuthDone = std::function<void(const AuthOutcome &outcome)>;
// Called on the server's thread for each "auth" request of a not yet authenticated connection.
// It may finish later (e.g. after hashing on a worker) by calling done on the server's thread;
// done is harmless if the connection is gone by then. The request's fields are the app's
// business (e.g. "method": "password"/"register"/"token", "name", "password").
using Authenticator
    = std::function<void(Connection &connection, const QCborMap &request, AuthDone done)>;

class Server : public QObject
{
    Q_OBJECT
public:
    explicit Server(ServerOptions options = {}, QObject *parent = nullptr);
    ~Server() override;

    bool listen(const QHostAddress &address, quint16 port, const TlsIdentity &identity);
    bool isListening() const;
    quint16 serverPort() const;
    QHostAddress serverAddress() const;
    QString errorString() const { return m_error; }
    // Stops listening and closes every connection.
    void close();

    void setAuthenticator(Authenticator authenticator);
    const ServerOptions &options() const { return m_options; }
    // Handshaken connections. They are owned by the Server and deleted (deleteLater) right
    // after their disconnected() signal.
    QList<Connection *> connections() const;

Q_SIGNALS:
    void newConnection(metatopia::net::Connection *connection);
    void connectionAuthenticated(metatopia::net::Connection *connection);

private:
    class Listener;
    void acceptSocket(qintptr descriptor);
    void handleAuth(Connection &connection, const QCborMap &request);

    ServerOptions m_options;
    std::unique_ptr<Listener> m_listener;
    QSslCertificate m_certificate;
    QSslKey m_key;
    Authenticator m_authenticator;
    QList<QPointer<Connection>> m_pending;
    QList<QPointer<Connection>> m_ready;
    QHash<quint64, int> m_authFailures;
    QSet<quint64> m_authInFlight;
    QString m_error;
};

} // namespace metatopia::net
