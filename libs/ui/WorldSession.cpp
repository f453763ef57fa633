// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "ui/WorldSession.h"

#include "net/Connection.h"
#include "net/PinStore.h"

#include <QCborArray>
#include <QDateTime>
#include <QRandomGenerator>

#include <cmath>

namespace metatopia {

namespace {

const QString kType = QStringLiteral("t");

// Actions kept for resending while offline; beyond this the oldest moves give way (a newer move
// supersedes them anyway), other kinds are kept.
constexpr size_t MaxUnacked = 2000;
// Rows the nearby chat keeps (the oldest go).
constexpr int MaxNearbyLines = 1000;
// A replica whose tick is this far below the last tick heard through another runs a world
// restarted from scratch (a lagging replica is a few ticks behind): hear from its present.
constexpr qint64 RestartedWorldTicks = 4096;

bool splitAddress(const QString &address, QString *host, quint16 *port)
{
    const qsizetype colon = address.lastIndexOf(QLatin1Char(':'));
    if (colon <= 0)
        return false;
    bool ok = false;
    const uint value = address.mid(colon + 1).toUInt(&ok);
    if (!ok || value == 0 || value > 65535)
        return false;
    *host = address.left(colon);
    *port = quint16(value);
    return true;
}

} // namespace

WorldSession::WorldSession(const QString &pinFile, QObject *parent)
    : QObject(parent)
    , m_pins(std::make_unique<net::PinStore>(pinFile))
    // The cluster de-duplicates by (client, seq): a fresh id per session keeps this run's seq 1
    // from being taken for an earlier run's.
    , m_clientId((QRandomGenerator::system()->generate64() >> 12) | 1)
{
    m_nearby.setConversation(QStringLiteral("nearby"));
    m_retry.setSingleShot(true);
    connect(&m_retry, &QTimer::timeout, this, [this] {
        if (m_running && !m_gateways.isEmpty())
            connectTo((m_index + 1) % int(m_gateways.size()));
    });
}

WorldSession::~WorldSession()
{
    dropConnection();
}

std::optional<QStringList> WorldSession::parseGateways(const QString &text, QString *error)
{
    QStringList out;
    for (const QString &item : text.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        const QString address = item.trimmed();
        QString host;
        quint16 port = 0;
        if (!splitAddress(address, &host, &port)) {
            if (error)
                *error = QStringLiteral("gateway \"%1\": expected host:port").arg(address);
            return std::nullopt;
        }
        out << address;
    }
    if (out.isEmpty()) {
        if (error)
            *error = QStringLiteral("no gateway given (expected host:port,host:port,...)");
        return std::nullopt;
    }
    return out;
}

void WorldSession::setGateways(const QStringList &gateways)
{
    if (m_gateways == gateways)
        return;
    m_gateways = gateways;
    emit gatewaysChanged();
}

void WorldSession::setReconnectDelays(int minMs, int maxMs)
{
    m_minDelayMs = qMax(1, minMs);
    m_maxDelayMs = qMax(m_minDelayMs, maxMs);
    m_delayMs = m_minDelayMs;
}

qint64 WorldSession::millimetres(double metres)
{
    return qint64(std::llround(metres * 1000.0));
}

void WorldSession::start()
{
    if (m_running)
        return;
    m_running = true;
    if (m_gateways.isEmpty()) {
        setState(State::Offline, tr("No gateway to connect to"));
        return;
    }
    connectTo(0);
}

void WorldSession::stop()
{
    m_running = false;
    m_retry.stop();
    dropConnection();
    setState(State::Offline, tr("Offline"));
}

void WorldSession::switchGateway()
{
    if (!m_running)
        return;
    scheduleReconnect(tr("switching gateway"));
}

void WorldSession::setState(State state, const QString &text)
{
    if (m_state == state && m_statusText == text)
        return;
    m_state = state;
    m_statusText = text;
    emit stateChanged();
}

void WorldSession::dropConnection()
{
    if (!m_connection)
        return;
    // May run inside one of the connection's own signals.
    net::Connection *connection = m_connection.release();
    connection->disconnect(this);
    connection->close();
    connection->deleteLater();
    m_subscribeRequest = 0;
    m_listenRequest = 0;
    m_receivingState = false;
    for (const auto &[request, object] : m_scriptRequests)
        m_scriptsWanted.push_back(object);
    m_scriptRequests.clear();
}

void WorldSession::connectTo(int index)
{
    dropConnection();
    m_index = index;
    m_current = m_gateways.at(index);
    QString host;
    quint16 port = 0;
    if (!splitAddress(m_current, &host, &port)) {
        scheduleReconnect(tr("bad gateway address"));
        return;
    }
    setState(State::Connecting, tr("Connecting to %1…").arg(m_current));
    net::ClientOptions options;
    options.clientName = QStringLiteral("metatopia-client");
    options.timeoutMs = 4000;
    m_connection = net::Connection::connectToHost(host, port, *m_pins, options);
    net::Connection *connection = m_connection.get();
    connect(connection, &net::Connection::ready, this, &WorldSession::onReady);
    connect(connection, &net::Connection::messageReceived, this, &WorldSession::onMessage);
    connect(connection, &net::Connection::errorOccurred, this,
        [this](const QString &error) { scheduleReconnect(error); });
    connect(connection, &net::Connection::disconnected, this,
        [this] { scheduleReconnect(tr("connection closed")); });
}

void WorldSession::scheduleReconnect(const QString &why, const QString &preferred)
{
    if (!m_running || m_retry.isActive())
        return;
    dropConnection();
    ++m_reconnects;
    ++m_failuresInARow;
    // A redirect to a named leader goes there next; otherwise round-robin.
    const int preferredIndex = int(m_gateways.indexOf(preferred));
    if (preferredIndex >= 0)
        m_index = (preferredIndex - 1 + int(m_gateways.size())) % int(m_gateways.size());
    // Quick after a single drop (another replica is likely fine), slower once every gateway
    // failed in turn (the world is down or starting).
    const bool roundDone = m_failuresInARow >= m_gateways.size();
    const int delay = roundDone ? m_delayMs : m_minDelayMs;
    if (roundDone)
        m_delayMs = qMin(m_maxDelayMs, m_delayMs * 2);
    setState(State::Connecting,
        tr("%1 — trying %2 in %3 ms")
            .arg(why, m_gateways.at((m_index + 1) % int(m_gateways.size())))
            .arg(delay));
    m_retry.start(delay);
}

void WorldSession::onReady()
{
    setState(State::Syncing, tr("Connected to %1, loading the region…").arg(m_current));
    // Everything not acknowledged goes again, oldest first; the cluster drops duplicates.
    for (const auto &[seq, action] : m_unacked)
        sendQueued(seq);
    resubscribe();
    std::vector<qint64> wanted;
    wanted.swap(m_scriptsWanted);
    for (const qint64 object : wanted)
        requestScript(object);
}

void WorldSession::resubscribe()
{
    if (!m_connection || !m_connection->isReady())
        return;
    m_incomingObjects.clear();
    m_incomingAvatars.clear();
    m_receivingState = true;
    QCborMap request { { kType, QStringLiteral("subscribe") } };
    if (m_listenAvatar != 0) {
        request.insert(QStringLiteral("avatar"), m_listenAvatar);
        if (m_heardThrough > 0)
            request.insert(QStringLiteral("after"), m_heardThrough);
    }
    m_subscribeRequest = m_connection->request(request);
}

void WorldSession::setListenAvatar(qint64 avatar)
{
    avatar = qMax<qint64>(0, avatar);
    if (avatar == m_listenAvatar)
        return;
    m_listenAvatar = avatar;
    // A new listener hears from now on.
    m_heardThrough = 0;
    m_lastHeardTick = 0;
    sendListen(false);
    emit listenAvatarChanged();
}

void WorldSession::sendListen(bool resume)
{
    if (!m_connection || !m_connection->isReady() || m_subscribeRequest == 0)
        return; // the next subscribe names the avatar
    QCborMap request { { kType, QStringLiteral("listen") },
        { QStringLiteral("avatar"), m_listenAvatar } };
    if (resume && m_heardThrough > 0)
        request.insert(QStringLiteral("after"), m_heardThrough);
    m_listenRequest = m_connection->request(request);
}

quint64 WorldSession::sendAction(const QCborMap &action)
{
    const quint64 seq = m_nextSeq++;
    if (m_unacked.size() >= MaxUnacked) {
        for (auto it = m_unacked.begin(); it != m_unacked.end(); ++it) {
            if (it->second.value(QStringLiteral("kind")).toString() == QLatin1String("move")) {
                m_unacked.erase(it);
                break;
            }
        }
    }
    m_unacked.emplace(seq, action);
    emit pendingActionsChanged();
    // Entering makes the session listen as the avatar (before the enter is sent, so no line the
    // avatar hears right away is missed).
    const QString kind = action.value(QStringLiteral("kind")).toString();
    const qint64 avatar = action.value(QStringLiteral("avatar")).toInteger();
    if (kind == QLatin1String("enter")) {
        m_listenName = action.value(QStringLiteral("name")).toString();
        m_nearby.setSelfUser(m_listenName);
        setListenAvatar(avatar);
    } else if (kind == QLatin1String("leave") && avatar == m_listenAvatar) {
        setListenAvatar(0);
    }
    sendQueued(seq);
    return seq;
}

void WorldSession::sendQueued(quint64 seq)
{
    if (!m_connection || !m_connection->isReady())
        return;
    const auto it = m_unacked.find(seq);
    if (it == m_unacked.end())
        return;
    m_connection->send(QCborMap { { kType, QStringLiteral("action") },
        { QStringLiteral("client"), qint64(m_clientId) }, { QStringLiteral("seq"), qint64(seq) },
        { QStringLiteral("action"), it->second } });
}

qint64 WorldSession::touch(qint64 avatar, qint64 object)
{
    return qint64(sendAction(QCborMap { { QStringLiteral("kind"), QStringLiteral("touch") },
        { QStringLiteral("avatar"), avatar }, { QStringLiteral("object"), object } }));
}

qint64 WorldSession::say(qint64 avatar, const QString &text, qint64 channel)
{
    return qint64(sendAction(QCborMap { { QStringLiteral("kind"), QStringLiteral("chat") },
        { QStringLiteral("avatar"), avatar }, { QStringLiteral("channel"), channel },
        { QStringLiteral("text"), text } }));
}

qint64 WorldSession::createObject(const QString &name, const QString &text, const QString &script,
    qint64 owner, const QVector3D &position)
{
    return qint64(sendAction(QCborMap { { QStringLiteral("kind"), QStringLiteral("create") },
        { QStringLiteral("name"), name }, { QStringLiteral("text"), text },
        { QStringLiteral("script"), script }, { QStringLiteral("owner"), owner },
        { QStringLiteral("x"), millimetres(position.x()) },
        { QStringLiteral("y"), millimetres(position.y()) },
        { QStringLiteral("z"), millimetres(position.z()) } }));
}

qint64 WorldSession::editScript(qint64 author, qint64 object, const QString &source)
{
    return qint64(sendAction(QCborMap { { QStringLiteral("kind"), QStringLiteral("editScript") },
        { QStringLiteral("author"), author }, { QStringLiteral("object"), object },
        { QStringLiteral("source"), source } }));
}

qint64 WorldSession::deleteObject(qint64 by, qint64 object)
{
    return qint64(sendAction(QCborMap { { QStringLiteral("kind"), QStringLiteral("delete") },
        { QStringLiteral("by"), by }, { QStringLiteral("object"), object } }));
}

void WorldSession::requestScript(qint64 object)
{
    if (!m_connection || !m_connection->isReady()) {
        m_scriptsWanted.push_back(object);
        return;
    }
    const quint64 id = m_connection->request(QCborMap { { kType, QStringLiteral("script") },
        { QStringLiteral("object"), object } });
    if (id == 0)
        m_scriptsWanted.push_back(object);
    else
        m_scriptRequests.emplace(id, object);
}

void WorldSession::onMessage(const QCborMap &message)
{
    const QString type = message.value(kType).toString();
    if (message.contains(QStringLiteral("id"))) {
        onReply(message);
        return;
    }
    if (type == QLatin1String("state")) {
        onState(message);
    } else if (type == QLatin1String("delta")) {
        onDelta(message);
    } else if (type == QLatin1String("heard")) {
        onHeard(message);
    } else if (type == QLatin1String("ack")) {
        if (quint64(message.value(QStringLiteral("client")).toInteger()) != m_clientId)
            return;
        const quint64 seq = quint64(message.value(QStringLiteral("seq")).toInteger());
        if (m_unacked.erase(seq) > 0) {
            emit pendingActionsChanged();
            emit actionAcknowledged(seq, message.value(QStringLiteral("tick")).toInteger());
        }
    } else if (type == QLatin1String("invalid")) {
        const quint64 seq = quint64(message.value(QStringLiteral("seq")).toInteger());
        if (m_unacked.erase(seq) > 0) {
            emit pendingActionsChanged();
            emit actionRefused(seq, message.value(QStringLiteral("error")).toString());
        }
    } else if (type == QLatin1String("notLeader")) {
        // The replica knows no leader it could forward to: another replica may.
        scheduleReconnect(
            tr("%1 has no leader").arg(m_current), message.value(QStringLiteral("leader")).toString());
    } else if (type == QLatin1String("busy") || type == QLatin1String("unavailable")) {
        scheduleReconnect(tr("%1 is %2").arg(m_current, type));
    }
}

void WorldSession::onReply(const QCborMap &message)
{
    const quint64 id = quint64(message.value(QStringLiteral("id")).toInteger());
    const QString error = message.value(QStringLiteral("error")).toString();
    if (id != 0 && id == m_subscribeRequest) {
        if (!error.isEmpty()) {
            scheduleReconnect(tr("%1 refused the subscription: %2").arg(m_current, error));
            return;
        }
        // A world restarted from scratch counts its ticks from 1 again: hear from its now.
        const qint64 tick = message.value(QStringLiteral("tick")).toInteger();
        if (m_listenAvatar != 0 && m_heardThrough > tick + RestartedWorldTicks) {
            m_heardThrough = 0;
            m_lastHeardTick = 0;
            sendListen(false);
        }
        return;
    }
    if (id != 0 && id == m_listenRequest) {
        if (!error.isEmpty())
            emit streamError(tr("%1 refused to listen: %2").arg(m_current, error));
        return;
    }
    const auto request = m_scriptRequests.find(id);
    if (request == m_scriptRequests.end())
        return;
    const qint64 object = request->second;
    m_scriptRequests.erase(request);
    if (!error.isEmpty()) {
        emit scriptFailed(object, error);
        return;
    }
    QVariantMap script;
    for (const QString &key : { QStringLiteral("object"), QStringLiteral("name"),
             QStringLiteral("owner"), QStringLiteral("tick"), QStringLiteral("source"),
             QStringLiteral("revision"), QStringLiteral("author"), QStringLiteral("suspended"),
             QStringLiteral("error") }) {
        if (message.contains(key))
            script.insert(key, message.value(key).toVariant());
    }
    QVariantList history;
    for (const QCborValue &item : message.value(QStringLiteral("history")).toArray()) {
        if (item.isMap())
            history << item.toMap().toVariantMap();
    }
    script.insert(QStringLiteral("history"), history);
    emit scriptReceived(object, script);
}

void WorldSession::onState(const QCborMap &message)
{
    if (!m_receivingState)
        return;
    QString error;
    for (const QCborValue &item : message.value(QStringLiteral("objects")).toArray()) {
        if (auto object = WorldObject::fromCbor(item, &error))
            m_incomingObjects.push_back(std::move(*object));
        else
            emit streamError(error);
    }
    for (const QCborValue &item : message.value(QStringLiteral("avatars")).toArray()) {
        if (auto avatar = WorldAvatar::fromCbor(item, &error))
            m_incomingAvatars.push_back(std::move(*avatar));
        else
            emit streamError(error);
    }
    if (!message.value(QStringLiteral("final")).toBool())
        return;
    m_receivingState = false;
    m_objects.replaceAll(m_incomingObjects);
    m_avatars.replaceAll(m_incomingAvatars);
    m_incomingObjects.clear();
    m_incomingAvatars.clear();
    m_tick = message.value(QStringLiteral("tick")).toInteger();
    if (m_listenAvatar != 0)
        m_heardThrough = qMax(m_heardThrough, m_tick);
    m_failuresInARow = 0;
    m_delayMs = m_minDelayMs;
    setState(State::Live, tr("In the region via %1").arg(m_current));
    emit tickChanged();
    emit synced();
}

void WorldSession::onDelta(const QCborMap &message)
{
    if (m_receivingState || m_state != State::Live)
        return;
    const qint64 from = message.value(QStringLiteral("from")).toInteger();
    const qint64 tick = message.value(QStringLiteral("tick")).toInteger();
    // A delta from another base than what this model holds cannot be applied (removals would be
    // missed): start over with a full state.
    if (from != m_tick) {
        emit streamError(tr("delta from tick %1, the model is at %2: reloading").arg(from).arg(m_tick));
        setState(State::Syncing, tr("Reloading the region from %1…").arg(m_current));
        if (m_connection && m_connection->isReady())
            m_connection->send(QCborMap { { kType, QStringLiteral("unsubscribe") } });
        resubscribe();
        return;
    }
    QString error;
    for (const QCborValue &item : message.value(QStringLiteral("objects")).toArray()) {
        if (auto object = WorldObject::fromCbor(item, &error))
            m_objects.upsert(*object);
        else
            emit streamError(error);
    }
    for (const QCborValue &item : message.value(QStringLiteral("avatars")).toArray()) {
        if (auto avatar = WorldAvatar::fromCbor(item, &error))
            m_avatars.upsert(std::move(*avatar));
        else
            emit streamError(error);
    }
    for (const QCborValue &id : message.value(QStringLiteral("removedObjects")).toArray())
        m_objects.remove(id.toInteger());
    for (const QCborValue &id : message.value(QStringLiteral("removedAvatars")).toArray())
        m_avatars.remove(id.toInteger());
    // Pages of one delta share its tick; the model is at that tick after the final one.
    if (message.value(QStringLiteral("final")).toBool() && tick != m_tick) {
        m_tick = tick;
        if (m_listenAvatar != 0)
            m_heardThrough = qMax(m_heardThrough, m_tick);
        emit tickChanged();
    }
}

void WorldSession::onHeard(const QCborMap &message)
{
    if (m_listenAvatar == 0)
        return;
    const qint64 tick = message.value(QStringLiteral("tick")).toInteger();
    if (const qint64 missed = message.value(QStringLiteral("missedTicks")).toInteger(); missed > 0)
        emit heardMissed(missed);
    // Each tick's lines come once; a repeat could only be a replica's mistake.
    if (tick <= m_lastHeardTick) {
        emit streamError(tr("heard lines of tick %1 again (already at %2): skipped")
                             .arg(tick)
                             .arg(m_lastHeardTick));
        return;
    }
    m_lastHeardTick = tick;
    m_heardThrough = qMax(m_heardThrough, tick);
    for (const QCborValue &item : message.value(QStringLiteral("lines")).toArray()) {
        const QCborMap line = item.toMap();
        const QString name = line.value(QStringLiteral("name")).toString();
        const QString text = line.value(QStringLiteral("text")).toString();
        QVariantMap row { { QStringLiteral("tick"), tick },
            { QStringLiteral("speaker"), line.value(QStringLiteral("speaker")).toInteger() },
            { QStringLiteral("fromAvatar"), line.value(QStringLiteral("fromAvatar")).toBool() },
            { QStringLiteral("name"), name },
            { QStringLiteral("channel"), line.value(QStringLiteral("channel")).toInteger() },
            { QStringLiteral("range"), line.value(QStringLiteral("range")).toString() },
            { QStringLiteral("text"), text } };
        ChatMessage chat;
        chat.id = m_nextNearbyId++;
        chat.channel = QStringLiteral("nearby");
        chat.to = chat.channel;
        chat.from = name;
        chat.text = text;
        chat.timestampMs = QDateTime::currentMSecsSinceEpoch();
        m_nearby.addMessage(chat);
        emit heard(row);
    }
    m_nearby.trimOldest(MaxNearbyLines);
}

} // namespace metatopia
