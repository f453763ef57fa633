// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "ui/ReplicaMonitor.h"

#include "net/Connection.h"
#include "net/PinStore.h"

#include <QCborArray>

namespace metatopia {

namespace {

// How many recent ticks each poll asks the hashes of: enough overlap between replicas polled a
// few milliseconds apart at 45 ticks per second.
constexpr qint64 hashWindow = 30;

} // namespace

ReplicaMonitor::ReplicaMonitor(net::PinStore &pins, QObject *parent)
    : QObject(parent)
    , m_pins(pins)
{
    m_clock.start();
    m_timer.setInterval(500);
    connect(&m_timer, &QTimer::timeout, this, &ReplicaMonitor::pollNow);
}

ReplicaMonitor::~ReplicaMonitor()
{
    m_links.clear();
}

void ReplicaMonitor::setReplicas(const QList<ReplicaEndpoint> &replicas)
{
    m_links.clear();
    m_links.resize(size_t(replicas.size()));
    m_model.setReplicas(replicas);
}

void ReplicaMonitor::setInterval(int ms)
{
    m_timer.setInterval(ms);
}

void ReplicaMonitor::start()
{
    m_timer.start();
    pollNow();
}

void ReplicaMonitor::stop()
{
    m_timer.stop();
}

void ReplicaMonitor::pollNow()
{
    for (int row = 0; row < int(m_links.size()); ++row)
        pollOne(row);
}

void ReplicaMonitor::pollOne(int row)
{
    Link &link = m_links[size_t(row)];
    const qint64 now = m_clock.elapsed();
    if (!link.connection) {
        // A dead replica is retried once per interval, not in a tight loop.
        if (now - link.lastAttemptMs >= m_timer.interval())
            connectTo(row);
        return;
    }
    if (!link.connection->isReady()) {
        if (now - link.lastAttemptMs > m_answerTimeoutMs * 2)
            dropLink(row, QStringLiteral("no TLS handshake"));
        return;
    }
    if (link.statusId != 0 || link.hashesId != 0) {
        if (now - link.sentMs > m_answerTimeoutMs)
            dropLink(row, QStringLiteral("no answer within %1 ms").arg(m_answerTimeoutMs));
        return;
    }
    link.sentMs = now;
    link.statusId = link.connection->request(QCborMap { { QStringLiteral("t"),
        QStringLiteral("status") } });
    if (link.statusId == 0)
        dropLink(row, QStringLiteral("cannot send"));
}

void ReplicaMonitor::connectTo(int row)
{
    Link &link = m_links[size_t(row)];
    const ReplicaEndpoint &endpoint = m_model.endpoint(row);
    link.lastAttemptMs = m_clock.elapsed();
    net::ClientOptions options;
    options.clientName = QStringLiteral("metatopia-manager");
    options.timeoutMs = m_answerTimeoutMs * 2;
    link.connection = net::Connection::connectToHost(endpoint.host, endpoint.port, m_pins, options);
    net::Connection *connection = link.connection.get();
    connect(connection, &net::Connection::ready, this, [this, row] { pollOne(row); });
    connect(connection, &net::Connection::messageReceived, this,
        [this, row](const QCborMap &message) { onMessage(row, message); });
    connect(connection, &net::Connection::fingerprintChanged, this, [this, row] {
        m_model.markUnreachable(row,
            QStringLiteral("its certificate changed since it was pinned in %1")
                .arg(m_pins.filePath()));
    });
    connect(connection, &net::Connection::errorOccurred, this, [this, row](const QString &error) {
        m_model.markUnreachable(row, error);
    });
    connect(connection, &net::Connection::disconnected, this,
        [this, row, connection] {
            if (m_links[size_t(row)].connection.get() == connection)
                dropLink(row, QStringLiteral("connection closed"));
        });
}

void ReplicaMonitor::dropLink(int row, const QString &error)
{
    Link &link = m_links[size_t(row)];
    if (link.connection) {
        // Usually called from one of the connection's own signals: it must outlive the call.
        net::Connection *connection = link.connection.release();
        connection->disconnect(this);
        connection->abort();
        connection->deleteLater();
    }
    link.statusId = link.hashesId = 0;
    const bool keepError = !m_model.get(row, QStringLiteral("error")).toString().isEmpty()
        && !m_model.get(row, QStringLiteral("alive")).toBool();
    m_model.markUnreachable(
        row, keepError ? m_model.get(row, QStringLiteral("error")).toString() : error);
}

void ReplicaMonitor::onMessage(int row, const QCborMap &message)
{
    Link &link = m_links[size_t(row)];
    const quint64 id = quint64(message.value(QStringLiteral("id")).toInteger());
    if (id != 0 && id == link.statusId) {
        link.statusId = 0;
        if (!message.value(QStringLiteral("ok")).toBool()) {
            m_model.markUnreachable(row, message.value(QStringLiteral("error")).toString());
            return;
        }
        m_model.updateStatus(row, message, m_clock.elapsed());
        emit statusUpdated(row);
        const qint64 tick = message.value(QStringLiteral("tick")).toInteger();
        if (tick > 0) {
            link.hashesId = link.connection->request(
                QCborMap { { QStringLiteral("t"), QStringLiteral("hashes") },
                    { QStringLiteral("from"), qMax<qint64>(1, tick - hashWindow) },
                    { QStringLiteral("to"), tick } });
        }
    } else if (id != 0 && id == link.hashesId) {
        link.hashesId = 0;
        std::map<quint64, QString> hashes;
        const QCborMap received = message.value(QStringLiteral("hashes")).toMap();
        for (auto it = received.cbegin(); it != received.cend(); ++it)
            hashes[quint64(it.key().toInteger())] = it.value().toString();
        m_model.addHashes(row, hashes);
    }
}

} // namespace metatopia
