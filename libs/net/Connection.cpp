// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "net/Connection.h"

#include "net/PinStore.h"
#include "net/TlsIdentity.h"

#include <QCborValue>

#include <algorithm>
#include <atomic>

namespace metatopia::net {
namespace {

std::atomic<quint64> nextConnectionId { 1 };

// How long close() waits for queued bytes to leave before dropping the socket anyway.
constexpr int CloseFlushTimeoutMs = 5000;
// Reads from the socket in pieces of at most this size beyond what the current frame needs.
constexpr qint64 ReadChunk = 64 * 1024;

bool isReplyMessage(const QCborMap &message)
{
    return message.contains(key::ok) || message.contains(key::error);
}

} // namespace

ConnectionLimits ConnectionLimits::unlimitedRate()
{
    ConnectionLimits limits;
    limits.messagesPerSecond = 0;
    limits.bytesPerSecond = 0;
    return limits;
}

Connection::Connection(Role role, const ConnectionLimits &limits, QObject *parent)
    : QObject(parent)
    , m_role(role)
    , m_connectionId(nextConnectionId++)
    , m_limits(limits)
    , m_decoder(limits.maxFrameSize)
{
    m_clock.start();
    m_messageTokens = m_limits.messageBurst;
    m_byteTokens = m_limits.byteBurst;
    m_timeout.setSingleShot(true);
    m_resume.setSingleShot(true);
    connect(&m_resume, &QTimer::timeout, this, &Connection::processIncoming);
    m_frameTimer.setSingleShot(true);
    connect(&m_frameTimer, &QTimer::timeout, this, [this] {
        const QString text
            = QStringLiteral("frame not completed within %1 ms").arg(m_limits.frameTimeoutMs);
        writeFrame(makeError({}, text), true);
        emit errorOccurred(QStringLiteral("peer %1: %2").arg(peerAddress(), text));
        close(text);
    });
}

Connection::Connection(std::unique_ptr<QSslSocket> socket, const ConnectionLimits &limits,
    const HandshakeInfo &info, QObject *parent)
    : Connection(Role::Server, limits, parent)
{
    m_info = info;
    QSslSocket *raw = socket.get();
    attachSocket(std::move(socket));
    if (raw->isEncrypted())
        onEncrypted();
}

Connection::~Connection()
{
    if (m_socket) {
        // The socket's destructor aborts and would signal into this half-destroyed object.
        m_socket->disconnect(this);
        m_socket->abort();
    }
}

std::unique_ptr<Connection> Connection::connectToHost(
    const QString &host, quint16 port, PinStore &pins, const ClientOptions &options)
{
    std::unique_ptr<Connection> connection(new Connection(Role::Client, options.limits, nullptr));
    connection->m_clientOptions = options;
    connection->m_pins = &pins;
    connection->m_host = host;
    connection->m_port = port;

    auto socket = std::make_unique<QSslSocket>();
    // Self-signed servers: the chain is not checked, the pinned fingerprint is (onEncrypted).
    socket->setPeerVerifyMode(QSslSocket::QueryPeer);
    socket->setProtocol(QSsl::TlsV1_2OrLater);
    QSslSocket *raw = socket.get();
    connection->attachSocket(std::move(socket));

    Connection *self = connection.get();
    connect(&connection->m_timeout, &QTimer::timeout, self, [self] {
        if (self->m_state != State::Ready)
            self->fail(QStringLiteral("timed out connecting to %1")
                           .arg(PinStore::hostKey(self->m_host, self->m_port)));
    });
    connection->m_timeout.start(options.timeoutMs);
    raw->connectToHostEncrypted(host, port);
    return connection;
}

void Connection::attachSocket(std::unique_ptr<QSslSocket> socket)
{
    m_socket = std::move(socket);
    // Keeps a peer that sends faster than we process from filling our memory: TCP flow
    // control pushes back instead.
    m_socket->setReadBufferSize(m_limits.maxFrameSize + FrameHeaderSize + ReadChunk);
    connect(m_socket.get(), &QSslSocket::encrypted, this, &Connection::onEncrypted);
    connect(m_socket.get(), &QSslSocket::readyRead, this, &Connection::onReadyRead);
    connect(m_socket.get(), &QSslSocket::bytesWritten, this, &Connection::onBytesWritten);
    connect(m_socket.get(), &QSslSocket::encryptedBytesWritten, this, &Connection::onBytesWritten);
    connect(m_socket.get(), &QSslSocket::disconnected, this, &Connection::onSocketDisconnected);
    connect(m_socket.get(), &QSslSocket::errorOccurred, this, &Connection::onSocketError);
}

QString Connection::peerAddress() const
{
    return m_socket ? m_socket->peerAddress().toString() : QString();
}

quint16 Connection::peerPort() const
{
    return m_socket ? m_socket->peerPort() : 0;
}

QByteArray Connection::peerFingerprint() const
{
    return m_socket ? TlsIdentity::fingerprintOf(m_socket->peerCertificate()) : QByteArray();
}

int Connection::peerVersion() const
{
    return int(m_handshake.value(key::version).toInteger(0));
}

void Connection::setAuthenticated(qint64 accountId, const QString &accountName)
{
    m_accountId = accountId;
    m_accountName = accountName;
    if (accountId != 0)
        emit authenticated();
}

void Connection::setAuthHandler(std::function<void(Connection &, const QCborMap &)> handler)
{
    m_authHandler = std::move(handler);
}

qint64 Connection::bytesToWrite() const
{
    return m_socket ? m_socket->bytesToWrite() + m_socket->encryptedBytesToWrite() : 0;
}

bool Connection::writeFrame(const QCborMap &message, bool force)
{
    if (m_state == State::Closed || !m_socket)
        return false;
    if (!force && bytesToWrite() > m_limits.maxWriteBuffer) {
        m_sendRefused = true;
        return false;
    }
    const QByteArray frame = encodeFrame(message, m_limits.maxFrameSize);
    if (frame.isEmpty()) {
        emit errorOccurred(QStringLiteral("message of type \"%1\" exceeds the maximum frame size")
                               .arg(messageType(message)));
        return false;
    }
    return m_socket->write(frame) == frame.size();
}

bool Connection::send(const QCborMap &message)
{
    if (m_state != State::Ready)
        return false;
    return writeFrame(message, false);
}

quint64 Connection::request(QCborMap message)
{
    const quint64 id = m_nextRequestId++;
    message.insert(key::id, qint64(id));
    return send(message) ? id : 0;
}

bool Connection::reply(const QCborMap &request, QCborMap fields)
{
    return send(makeReply(request, std::move(fields)));
}

bool Connection::replyError(const QCborMap &request, const QString &text)
{
    return send(makeError(request, text));
}

void Connection::close(const QString &reason)
{
    if (m_state == State::Closed || !m_socket)
        return;
    if (m_socket->state() == QAbstractSocket::ConnectedState && m_socket->isEncrypted()) {
        QCborMap bye = makeMessage(msg::bye);
        if (!reason.isEmpty())
            bye.insert(QStringLiteral("reason"), reason);
        writeFrame(bye, true);
        m_socket->flush(); // best effort now: the owner may be about to go away
    }
    m_state = State::Closed;
    m_timeout.disconnect();
    connect(&m_timeout, &QTimer::timeout, this, &Connection::abort);
    m_timeout.start(CloseFlushTimeoutMs);
    m_socket->disconnectFromHost();
    if (m_socket->state() == QAbstractSocket::UnconnectedState)
        QMetaObject::invokeMethod(this, &Connection::finish, Qt::QueuedConnection);
}

void Connection::abort()
{
    if (m_finished)
        return;
    m_state = State::Closed;
    m_timeout.stop();
    if (m_socket) {
        m_socket->disconnect(this);
        m_socket->abort();
    }
    // Queued, so that whoever called abort() (often from inside one of our signals) is not
    // re-entered by disconnected().
    QMetaObject::invokeMethod(this, &Connection::finish, Qt::QueuedConnection);
}

void Connection::fail(const QString &error)
{
    if (m_finished)
        return;
    emit errorOccurred(error);
    abort();
}

void Connection::finish()
{
    if (m_finished)
        return;
    m_finished = true;
    m_state = State::Closed;
    m_timeout.stop();
    m_resume.stop();
    m_frameTimer.stop();
    emit disconnected();
}

void Connection::onEncrypted()
{
    if (m_state != State::Connecting)
        return;
    // Our messages are small request/reply frames: without TCP_NODELAY each can wait for the
    // peer's delayed ACK (Nagle), which measured as +18 ms p50 on a sim action's round trip.
    m_socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
    if (m_role == Role::Client) {
        const QByteArray presented = peerFingerprint();
        switch (m_pins->check(m_host, m_port, presented)) {
        case PinStore::Check::FirstUse:
        case PinStore::Check::Match:
            break;
        case PinStore::Check::Mismatch: {
            const QString hostPort = PinStore::hostKey(m_host, m_port);
            const QByteArray pinned = m_pins->pinned(m_host, m_port).value_or(QByteArray());
            emit fingerprintChanged(hostPort, pinned, presented);
            fail(QStringLiteral("WARNING: the certificate of %1 has CHANGED (pinned %2, presented "
                                "%3). This may be an attack; the connection was refused. Accept "
                                "the new certificate only if the server's operator confirms it.")
                     .arg(hostPort, TlsIdentity::formatFingerprint(pinned),
                         TlsIdentity::formatFingerprint(presented)));
            return;
        }
        case PinStore::Check::SaveFailed:
            fail(QStringLiteral("cannot remember the server's certificate: %1")
                     .arg(m_pins->errorString()));
            return;
        }
        m_state = State::Handshaking;
        QCborMap hello = makeMessage(msg::hello);
        hello.insert(key::version, m_clientOptions.protocolVersion);
        hello.insert(QStringLiteral("client"), m_clientOptions.clientName);
        writeFrame(hello, true);
    } else {
        m_state = State::Handshaking;
    }
    processIncoming();
}

void Connection::onReadyRead()
{
    processIncoming();
}

void Connection::onBytesWritten()
{
    if (bytesToWrite() > m_limits.maxWriteBuffer / 2)
        return;
    if (m_sendRefused && m_state == State::Ready) {
        m_sendRefused = false;
        emit sendBufferAvailable();
    }
    // Reading may have paused while the peer was not reading our replies.
    if (m_state == State::Handshaking || m_state == State::Ready)
        m_resume.start(0);
}

void Connection::onSocketDisconnected()
{
    // Messages the peer sent just before closing still count.
    if (m_state != State::Closed)
        processIncoming();
    finish();
}

void Connection::onSocketError()
{
    if (!m_socket)
        return;
    if (m_socket->error() != QAbstractSocket::RemoteHostClosedError && m_state != State::Closed)
        emit errorOccurred(m_socket->errorString());
    if (m_socket->state() == QAbstractSocket::UnconnectedState)
        QMetaObject::invokeMethod(this, &Connection::finish, Qt::QueuedConnection);
}

void Connection::processIncoming()
{
    if (m_processing || !m_socket)
        return;
    m_processing = true;
    QPointer<Connection> self(this);
    while (m_state == State::Handshaking || m_state == State::Ready) {
        // Back-pressure: a peer that does not read our replies gets no new ones.
        if (bytesToWrite() > m_limits.maxWriteBuffer / 2)
            break;
        std::optional<FrameDecoder::Item> item = m_decoder.next();
        if (!item) {
            const qint64 available = m_socket->bytesAvailable();
            if (available <= 0)
                break;
            m_decoder.feed(
                m_socket->read(std::min(available, m_decoder.bytesWanted() + ReadChunk)));
            continue;
        }
        m_frameTimer.stop();
        if (item->error == FrameDecoder::Error::Oversized) {
            writeFrame(makeError({}, item->errorText), true);
            emit errorOccurred(QStringLiteral("peer %1: %2").arg(peerAddress(), item->errorText));
            if (self)
                close(item->errorText);
            break;
        }
        if (!item->ok()) {
            malformed(item->errorText);
            if (!self)
                return;
            continue;
        }
        if (!takeTokens(QCborValue(item->message).toCbor().size())) {
            ++m_rateViolations;
            if (m_rateViolations > m_limits.maxRateViolations) {
                const QString text = QStringLiteral("rate limit exceeded too often; disconnecting");
                writeFrame(makeError({}, text), true);
                emit errorOccurred(QStringLiteral("peer %1: %2").arg(peerAddress(), text));
                if (self)
                    close(text);
                break;
            }
            writeFrame(
                makeError(item->message, QStringLiteral("rate limit exceeded; slow down")), true);
            continue;
        }
        handleMessage(item->message);
        if (!self)
            return;
    }
    m_processing = false;
    // A started frame must complete in time. Bytes left unread because we paused for
    // back-pressure are our doing, not the peer's, so they do not count.
    const bool partial = m_decoder.bufferedBytes() > 0 && m_socket->bytesAvailable() == 0;
    if (!partial || m_state == State::Closed)
        m_frameTimer.stop();
    else if (!m_frameTimer.isActive() && m_limits.frameTimeoutMs > 0)
        m_frameTimer.start(m_limits.frameTimeoutMs);
}

bool Connection::takeTokens(qint64 frameBytes)
{
    const bool limitMessages = m_limits.messagesPerSecond > 0;
    const bool limitBytes = m_limits.bytesPerSecond > 0;
    if (!limitMessages && !limitBytes)
        return true;
    const qint64 nowMs = m_clock.elapsed();
    const double seconds = double(nowMs - m_lastRefillMs) / 1000.0;
    m_lastRefillMs = nowMs;
    if (limitMessages)
        m_messageTokens = std::min(
            m_limits.messageBurst, m_messageTokens + seconds * m_limits.messagesPerSecond);
    if (limitBytes)
        m_byteTokens
            = std::min(m_limits.byteBurst, m_byteTokens + seconds * m_limits.bytesPerSecond);
    // A peer that was quiet long enough to refill is forgiven its earlier excess.
    if ((!limitMessages || m_messageTokens >= m_limits.messageBurst)
        && (!limitBytes || m_byteTokens >= m_limits.byteBurst))
        m_rateViolations = 0;
    if ((limitMessages && m_messageTokens < 1.0)
        || (limitBytes && m_byteTokens < double(frameBytes)))
        return false;
    if (limitMessages)
        m_messageTokens -= 1.0;
    if (limitBytes)
        m_byteTokens -= double(frameBytes);
    return true;
}

void Connection::malformed(const QString &text)
{
    ++m_malformed;
    writeFrame(makeError({}, text), true);
    if (m_malformed >= m_limits.maxMalformed) {
        const QString reason = QStringLiteral("too many malformed messages (last: %1)").arg(text);
        emit errorOccurred(QStringLiteral("peer %1: %2").arg(peerAddress(), reason));
        close(reason);
    }
}

void Connection::handleMessage(const QCborMap &message)
{
    const QString type = messageType(message);
    if (type.isEmpty()) {
        malformed(QStringLiteral("message has no type (\"t\")"));
        return;
    }
    if (type == msg::bye && !isReplyMessage(message)) {
        // The peer is leaving on purpose; what it sent before has been processed. A client
        // tells its user why the server sent it away.
        const QString reason = message.value(QStringLiteral("reason")).toString();
        if (m_role == Role::Client && !reason.isEmpty())
            emit errorOccurred(QStringLiteral("the server closed the connection: %1").arg(reason));
        m_state = State::Closed;
        m_socket->disconnectFromHost();
        return;
    }
    if (!isReplyMessage(message)) {
        if (type == msg::ping) {
            writeFrame(makeReply(message), true);
            return;
        }
        if (type == msg::source && m_role == Role::Server) {
            QCborMap fields;
            fields.insert(QStringLiteral("source"), m_info.sourceOffer);
            writeFrame(makeReply(message, fields), true);
            return;
        }
    }
    if (m_state == State::Handshaking) {
        if (m_role == Role::Server)
            handleServerHandshake(message);
        else
            handleClientHandshake(message);
        return;
    }
    if (m_role == Role::Server && m_authHandler && !isAuthenticated()) {
        if (type == msg::auth)
            m_authHandler(*this, message);
        else
            replyError(message, QStringLiteral("not authenticated: send \"auth\" first"));
        return;
    }
    if (m_role == Role::Server && m_authHandler && type == msg::auth) {
        replyError(message, QStringLiteral("already authenticated"));
        return;
    }
    emit messageReceived(message);
}

void Connection::handleServerHandshake(const QCborMap &message)
{
    if (messageType(message) != msg::hello) {
        malformed(QStringLiteral("expected \"hello\" first"));
        return;
    }
    const QCborValue version = message.value(key::version);
    if (!version.isInteger() || version.toInteger() < m_info.minVersion
        || version.toInteger() > m_info.maxVersion) {
        const QString text
            = QStringLiteral("unsupported protocol version %1; this server speaks %2 to %3")
                  .arg(version.isInteger() ? QString::number(version.toInteger())
                                           : QStringLiteral("(none)"))
                  .arg(m_info.minVersion)
                  .arg(m_info.maxVersion);
        QCborMap error = makeError(message, text);
        error.insert(QStringLiteral("min"), m_info.minVersion);
        error.insert(QStringLiteral("max"), m_info.maxVersion);
        error.insert(QStringLiteral("source"), m_info.sourceOffer);
        writeFrame(error, true);
        emit errorOccurred(QStringLiteral("peer %1: %2").arg(peerAddress(), text));
        close(text);
        return;
    }
    m_handshake = message;
    QCborMap welcome = makeMessage(msg::welcome);
    if (const auto id = requestId(message))
        welcome.insert(key::id, qint64(*id));
    welcome.insert(key::version, version.toInteger());
    welcome.insert(QStringLiteral("server"), m_info.name);
    welcome.insert(QStringLiteral("source"), m_info.sourceOffer);
    welcome.insert(QStringLiteral("auth"), bool(m_authHandler));
    writeFrame(welcome, true);
    m_state = State::Ready;
    emit ready();
}

void Connection::handleClientHandshake(const QCborMap &message)
{
    const QString type = messageType(message);
    if (type == msg::hello && message.contains(key::error)) {
        fail(QStringLiteral("server refused the connection: %1").arg(errorText(message)));
        return;
    }
    if (type != msg::welcome || !message.value(key::version).isInteger()) {
        fail(QStringLiteral("server sent \"%1\" instead of \"welcome\"").arg(type));
        return;
    }
    m_handshake = message;
    m_state = State::Ready;
    m_timeout.stop();
    emit ready();
}

} // namespace metatopia::net
