// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

// One TLS connection speaking framed CBOR, on either side. It does the version handshake, answers
// "ping" and "source" itself, enforces the frame size and a per-connection rate limit, refuses to
// queue unbounded output, and turns malformed input into error replies and, when repeated, a
// disconnect. Everything else arrives through messageReceived().

#include "net/Frame.h"
#include "net/Protocol.h"

#include <QCborMap>
#include <QElapsedTimer>
#include <QObject>
#include <QPointer>
#include <QSslSocket>
#include <QString>
#include <QTimer>

#include <functional>
#include <memory>

namespace metatopia::net {

class PinStore;

struct ConnectionLimits
{
    qint64 maxFrameSize = DefaultMaxFrameSize;
    // send() refuses a message while this many bytes already wait to be written. Reading from
    // the peer pauses above half of it: a peer that does not read its replies gets no new ones.
    qint64 maxWriteBuffer = qint64(8) << 20;
    // Token buckets for incoming messages; a rate <= 0 means unlimited.
    double messagesPerSecond = 100;
    double messageBurst = 200;
    double bytesPerSecond = double(1 << 20);
    double byteBurst = double(4 << 20);
    // Messages refused for the rate limit (each gets an error reply) before the peer is dropped.
    // The count restarts once the peer has been quiet long enough to refill the buckets.
    int maxRateViolations = 50;
    // Malformed frames (not CBOR, not a map, no "t") tolerated before a disconnect. An oversized
    // frame disconnects at once: the stream can no longer be trusted.
    int maxMalformed = 3;
    // A frame that was started must be complete within this time, so a peer cannot hold a
    // connection (and its buffer) open with a never-ending frame; <= 0 disables.
    int frameTimeoutMs = 30000;

    // No rate limit: what a client applies to its server.
    static ConnectionLimits unlimitedRate();
};

// What the server side says in its welcome and how it judges a hello.
struct HandshakeInfo
{
    QString name = QStringLiteral("metatopia-server");
    // AGPL §13: where the running server's source can be had (a URL or a command).
    QString sourceOffer;
    int minVersion = MinProtocolVersion;
    int maxVersion = ProtocolVersion;
};

struct ClientOptions
{
    QString clientName = QStringLiteral("metatopia");
    int protocolVersion = ProtocolVersion;
    ConnectionLimits limits = ConnectionLimits::unlimitedRate();
    // Connect + TLS + welcome must complete within this time.
    int timeoutMs = 10000;
};

class Connection : public QObject
{
    Q_OBJECT
public:
    enum class Role
    {
        Client,
        Server
    };
    enum class State
    {
        Connecting, // TCP connect and TLS handshake
        Handshaking, // TLS up, hello/welcome not yet exchanged
        Ready,
        Closed
    };
    Q_ENUM(State)

    // Client side: connects, checks the server certificate against pins (trust on first use,
    // refuse on change), sends hello and emits ready() on welcome. pins must outlive the
    // handshake. Failure is reported by errorOccurred() (plus fingerprintChanged() for a pin
    // mismatch) followed by disconnected().
    static std::unique_ptr<Connection> connectToHost(
        const QString &host, quint16 port, PinStore &pins, const ClientOptions &options = {});

    // Server side: wraps a socket on which startServerEncryption() was called. Used by Server.
    Connection(std::unique_ptr<QSslSocket> socket, const ConnectionLimits &limits,
        const HandshakeInfo &info, QObject *parent = nullptr);
    ~Connection() override;

    Role role() const { return m_role; }
    State state() const { return m_state; }
    bool isReady() const { return m_state == State::Ready; }
    // Unique within the process; handy as a map key and in logs.
    quint64 connectionId() const { return m_connectionId; }
    QString peerAddress() const;
    quint16 peerPort() const;
    // SHA-256 of the peer's certificate (the server's, on the client side).
    QByteArray peerFingerprint() const;
    // Server side: the client's hello. Client side: the server's welcome.
    QCborMap handshake() const { return m_handshake; }
    int peerVersion() const;
    const ConnectionLimits &limits() const { return m_limits; }

    // Authentication state, set by Server when its Authenticator accepts.
    bool isAuthenticated() const { return m_accountId != 0; }
    qint64 accountId() const { return m_accountId; }
    QString accountName() const { return m_accountName; }
    void setAuthenticated(qint64 accountId, const QString &accountName);
    // Server side: while set and the connection is not authenticated, "auth" messages go to
    // this handler and every other message (except ping/source) is refused.
    void setAuthHandler(std::function<void(Connection &, const QCborMap &)> handler);

    // Queues message. False (message dropped) when not ready, closed, or when the write buffer
    // is over limits().maxWriteBuffer; sendBufferAvailable() tells when to try again.
    bool send(const QCborMap &message);
    // Sends message with a fresh "id" and returns it (0 if refused).
    quint64 request(QCborMap message);
    bool reply(const QCborMap &request, QCborMap fields = {});
    bool replyError(const QCborMap &request, const QString &text);
    qint64 bytesToWrite() const;

    // Says "bye" (with reason), flushes what is queued and disconnects.
    void close(const QString &reason = {});
    // Drops the connection at once.
    void abort();

Q_SIGNALS:
    void ready();
    void messageReceived(const QCborMap &message);
    void authenticated();
    void disconnected();
    void errorOccurred(const QString &error);
    // Client side, loud on purpose: the server's certificate is not the pinned one. The
    // connection has been refused; only an explicit PinStore::pin() by the user lets it through.
    void fingerprintChanged(
        const QString &hostPort, const QByteArray &pinned, const QByteArray &presented);
    // The write buffer went back below half of maxWriteBuffer after a refused send().
    void sendBufferAvailable();

private:
    Connection(Role role, const ConnectionLimits &limits, QObject *parent);
    void attachSocket(std::unique_ptr<QSslSocket> socket);
    void onEncrypted();
    void onReadyRead();
    void onBytesWritten();
    void onSocketDisconnected();
    void onSocketError();
    void processIncoming();
    void handleMessage(const QCborMap &message);
    void handleServerHandshake(const QCborMap &message);
    void handleClientHandshake(const QCborMap &message);
    bool takeTokens(qint64 frameBytes);
    void malformed(const QString &text);
    void fail(const QString &error);
    void finish();
    bool writeFrame(const QCborMap &message, bool force);

    Role m_role;
    State m_state = State::Connecting;
    quint64 m_connectionId;
    ConnectionLimits m_limits;
    HandshakeInfo m_info;
    ClientOptions m_clientOptions;
    std::unique_ptr<QSslSocket> m_socket;
    FrameDecoder m_decoder;
    QCborMap m_handshake;
    QTimer m_timeout;
    QTimer m_resume;
    QTimer m_frameTimer;
    PinStore *m_pins = nullptr;
    QString m_host;
    quint16 m_port = 0;
    quint64 m_nextRequestId = 1;
    qint64 m_accountId = 0;
    QString m_accountName;
    std::function<void(Connection &, const QCborMap &)> m_authHandler;
    QElapsedTimer m_clock;
    double m_messageTokens = 0;
    double m_byteTokens = 0;
    qint64 m_lastRefillMs = 0;
    int m_rateViolations = 0;
    int m_malformed = 0;
    bool m_sendRefused = false;
    bool m_processing = false;
    bool m_finished = false;
};

} // namespace metatopia::net
