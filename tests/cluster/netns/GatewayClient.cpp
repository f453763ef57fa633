// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "GatewayClient.h"

#include <QCborArray>
#include <QDeadlineTimer>
#include <QEventLoop>

#include <algorithm>

namespace metatopia::cluster::test {

namespace {

QPair<QString, quint16> split(const QString &address)
{
    const qsizetype colon = address.lastIndexOf(QLatin1Char(':'));
    return { address.left(colon), quint16(address.mid(colon + 1).toUInt()) };
}

const QString kType = QStringLiteral("t");

} // namespace

bool waitUntil(const std::function<bool()> &condition, int timeoutMs)
{
    const QDeadlineTimer deadline(timeoutMs);
    while (!condition()) {
        if (deadline.hasExpired())
            return false;
        // Block in the event loop (no sleep) and look again every few milliseconds.
        QEventLoop loop;
        QTimer::singleShot(
            int(qBound(qint64(1), deadline.remainingTime(), qint64(5))), &loop, &QEventLoop::quit);
        loop.exec();
    }
    return true;
}

GatewayProbe::GatewayProbe(QString address, net::PinStore &pins)
    : m_address(std::move(address))
    , m_pins(pins)
{ }

GatewayProbe::~GatewayProbe() = default;

void GatewayProbe::disconnectNow()
{
    if (m_connection) {
        m_connection->disconnect(this);
        m_connection->abort();
        m_connection.release()->deleteLater();
    }
}

bool GatewayProbe::ensureReady(int timeoutMs)
{
    if (m_connection && m_connection->isReady() && !m_gone)
        return true;
    disconnectNow();
    m_gone = false;
    const auto [host, port] = split(m_address);
    net::ClientOptions options;
    options.timeoutMs = timeoutMs;
    m_connection = net::Connection::connectToHost(host, port, m_pins, options);
    connect(m_connection.get(), &net::Connection::messageReceived, this,
        [this](const QCborMap &message) {
            const quint64 id = quint64(message.value(QStringLiteral("id")).toInteger());
            if (id != 0)
                m_replies[id] = message;
        });
    connect(m_connection.get(), &net::Connection::disconnected, this, [this] { m_gone = true; });
    return waitUntil([this] { return m_connection->isReady() || m_gone; }, timeoutMs)
        && m_connection->isReady();
}

std::optional<QCborMap> GatewayProbe::request(QCborMap message, int timeoutMs)
{
    const QDeadlineTimer deadline(timeoutMs);
    if (!ensureReady(timeoutMs))
        return std::nullopt;
    const quint64 id = m_connection->request(std::move(message));
    if (id == 0)
        return std::nullopt;
    const bool answered = waitUntil([&] { return m_replies.contains(id) || m_gone; },
        int(qMax<qint64>(1, deadline.remainingTime())));
    if (!answered || !m_replies.contains(id))
        return std::nullopt;
    QCborMap reply = m_replies[id];
    m_replies.erase(id);
    return reply;
}

std::optional<QCborMap> GatewayProbe::status(int timeoutMs)
{
    return request(QCborMap { { kType, QStringLiteral("status") } }, timeoutMs);
}

std::optional<std::map<qint64, QString>> GatewayProbe::hashes(qint64 from, qint64 to, int timeoutMs)
{
    std::map<qint64, QString> out;
    for (qint64 first = from; first <= to; first += 1000) {
        const auto reply = request(
            QCborMap { { kType, QStringLiteral("hashes") }, { QStringLiteral("from"), first },
                { QStringLiteral("to"), qMin(to, first + 999) } },
            timeoutMs);
        if (!reply)
            return std::nullopt;
        const QCborMap hashes = reply->value(QStringLiteral("hashes")).toMap();
        for (auto it = hashes.constBegin(); it != hashes.constEnd(); ++it)
            out.emplace(it.key().toInteger(), it.value().toString());
    }
    return out;
}

std::optional<QStringList> GatewayProbe::objectNames(int timeoutMs)
{
    const auto reply = request(QCborMap { { kType, QStringLiteral("objects") } }, timeoutMs);
    if (!reply)
        return std::nullopt;
    QStringList names;
    for (const QCborValue &name : reply->value(QStringLiteral("names")).toArray())
        names << name.toString();
    return names;
}

SimLoadClient::SimLoadClient(quint64 id, QStringList addresses, net::PinStore &pins)
    : m_id(id)
    , m_addresses(std::move(addresses))
    , m_pins(pins)
{
    m_clock.start();
    m_timer.setTimerType(Qt::PreciseTimer);
    m_timer.setInterval(1);
    connect(&m_timer, &QTimer::timeout, this, &SimLoadClient::pump);
    m_timer.start();
    connectTo(m_addresses.first());
}

SimLoadClient::~SimLoadClient()
{
    if (m_connection)
        m_connection->disconnect(this);
}

void SimLoadClient::setSending(bool on)
{
    m_sending = on;
    m_rateStart = m_clock.nsecsElapsed();
    m_rateSent = 0;
}

QString SimLoadClient::name(quint64 seq) const
{
    return QStringLiteral("c%1-%2").arg(m_id).arg(seq);
}

qint64 SimLoadClient::firstAckAfter(qint64 atNs, qint64 minTick) const
{
    qint64 first = -1;
    for (const auto &[seq, at] : m_acked) {
        if (at >= atNs && m_ackTick.at(seq) > minTick && (first < 0 || at < first))
            first = at;
    }
    return first;
}

std::vector<qint64> SimLoadClient::latenciesNs(qint64 fromNs, qint64 toNs) const
{
    std::vector<qint64> out;
    for (const auto &[seq, at] : m_acked) {
        const qint64 sent = m_sentAt.at(seq);
        if (sent >= fromNs && (toNs < 0 || sent < toNs))
            out.push_back(at - sent);
    }
    std::sort(out.begin(), out.end());
    return out;
}

void SimLoadClient::connectTo(const QString &address)
{
    m_reconnecting = false;
    if (m_connection) {
        m_connection->disconnect(this);
        m_connection.release()->deleteLater();
    }
    const auto [host, port] = split(address);
    m_current = address;
    m_connection = net::Connection::connectToHost(host, port, m_pins);
    connect(m_connection.get(), &net::Connection::ready, this, [this] {
        // Everything not acknowledged goes again, oldest first: the cluster applies each
        // (client, seq) once however often it arrives.
        m_toSend.assign(m_unacked.begin(), m_unacked.end());
        pump();
    });
    connect(m_connection.get(), &net::Connection::messageReceived, this, &SimLoadClient::onMessage);
    connect(m_connection.get(), &net::Connection::disconnected, this, [this] { reconnect({}); });
}

void SimLoadClient::reconnect(const QString &leader)
{
    if (m_reconnecting)
        return;
    m_reconnecting = true;
    ++m_reconnects;
    QString next = leader;
    if (next.isEmpty() || next == m_current || !m_addresses.contains(next))
        next = m_addresses.at((m_addresses.indexOf(m_current) + 1) % m_addresses.size());
    // A short back-off so a cluster in the middle of an election is not hammered.
    QTimer::singleShot(20, this, [this, next] { connectTo(next); });
}

bool SimLoadClient::sendAction(quint64 seq)
{
    const QCborMap action { { QStringLiteral("kind"), QStringLiteral("create") },
        { QStringLiteral("name"), name(seq) }, { QStringLiteral("owner"), qint64(m_id) },
        { QStringLiteral("x"), qint64(seq % 200) * 1000 }, { QStringLiteral("y"), 1500 },
        { QStringLiteral("z"), 20 } };
    return m_connection->send(
        QCborMap { { kType, QStringLiteral("action") }, { QStringLiteral("client"), qint64(m_id) },
            { QStringLiteral("seq"), qint64(seq) }, { QStringLiteral("action"), action } });
}

void SimLoadClient::pump()
{
    if (!m_connection || !m_connection->isReady() || m_reconnecting)
        return;
    while (!m_toSend.empty()) {
        const quint64 seq = m_toSend.front();
        if (m_unacked.contains(seq) && !sendAction(seq))
            return; // write buffer full: the rest goes on the next pump
        m_toSend.pop_front();
    }
    if (!m_sending)
        return;
    qint64 due = m_window - qint64(m_unacked.size());
    if (m_rate > 0) {
        const qint64 target = qint64(double(m_clock.nsecsElapsed() - m_rateStart) * m_rate / 1e9);
        due = qMin(due, target - m_rateSent);
    }
    for (qint64 i = 0; i < due; ++i) {
        const quint64 seq = m_nextSeq++;
        m_unacked.insert(seq);
        m_sentAt.emplace(seq, m_clock.nsecsElapsed());
        ++m_rateSent;
        if (!sendAction(seq)) {
            m_toSend.push_back(seq);
            return;
        }
    }
}

void SimLoadClient::onMessage(const QCborMap &message)
{
    const QString type = message.value(kType).toString();
    const quint64 seq = quint64(message.value(QStringLiteral("seq")).toInteger());
    if (type == QLatin1String("ack")) {
        if (m_acked.contains(seq)) {
            ++m_duplicateAcks;
        } else if (m_unacked.erase(seq) > 0) {
            m_acked.emplace(seq, m_clock.nsecsElapsed());
            m_ackTick.emplace(seq, message.value(QStringLiteral("tick")).toInteger());
            if (m_rate <= 0)
                pump();
        }
    } else if (type == QLatin1String("notLeader")) {
        reconnect(message.value(QStringLiteral("leader")).toString());
    } else if (type == QLatin1String("busy")) {
        // The leader's batch is full: try that one again shortly on the same connection.
        QTimer::singleShot(20, this, [this, seq] {
            if (m_unacked.contains(seq))
                m_toSend.push_back(seq);
        });
    } else if (type == QLatin1String("unavailable")) {
        reconnect({});
    }
}

} // namespace metatopia::cluster::test
