// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "cluster/SimReplica.h"

#include "net/TlsIdentity.h"

#include <QCborArray>
#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QHostAddress>

#include <algorithm>
#include <array>
#include <cstdio>

namespace metatopia::cluster {

namespace {

const QString kType = QStringLiteral("t");

QString hex(quint64 value)
{
    return QStringLiteral("%1").arg(value, 16, 16, QLatin1Char('0'));
}

bool splitAddress(const QString &address, QString *host, quint16 *port)
{
    const qsizetype colon = address.lastIndexOf(QLatin1Char(':'));
    if (colon <= 0)
        return false;
    bool ok = false;
    const uint value = address.mid(colon + 1).toUInt(&ok);
    if (!ok || value > 65535)
        return false;
    *host = address.left(colon);
    *port = quint16(value);
    return true;
}

std::optional<qint64> integer(const QCborMap &map, const char *key)
{
    const QCborValue value = map.value(QLatin1String(key));
    if (!value.isInteger())
        return std::nullopt;
    return value.toInteger();
}

std::optional<FVec3> position(const QCborMap &map, QString *error)
{
    const auto x = integer(map, "x");
    const auto y = integer(map, "y");
    const auto z = integer(map, "z");
    if (!x || !y || !z) {
        *error = QStringLiteral("x, y, z (integer millimetres) expected");
        return std::nullopt;
    }
    constexpr qint64 limit = qint64(1) << 40;
    if (qAbs(*x) > limit || qAbs(*y) > limit || qAbs(*z) > limit) {
        *error = QStringLiteral("coordinate out of range");
        return std::nullopt;
    }
    return FVec3 { Fixed::fromRatio(*x, 1000), Fixed::fromRatio(*y, 1000),
        Fixed::fromRatio(*z, 1000) };
}

// An optional "rot": [w, x, y, z], raw Q32.32 integers (as "rot" is sent in deltas), each
// within [-1, 1]. Absent: the identity, as before clients sent it.
std::optional<FQuat> rotation(const QCborMap &map, QString *error)
{
    const QCborValue value = map.value(QLatin1String("rot"));
    if (value.isUndefined())
        return FQuat::identity();
    const QCborArray parts = value.toArray();
    const qint64 one = Fixed::one().raw();
    if (!value.isArray() || parts.size() != 4) {
        *error = QStringLiteral("rot: [w, x, y, z] (raw fixed-point integers) expected");
        return std::nullopt;
    }
    std::array<Fixed, 4> q;
    for (qsizetype i = 0; i < 4; ++i) {
        if (!parts.at(i).isInteger() || qAbs(parts.at(i).toInteger()) > one) {
            *error = QStringLiteral("rot: each part an integer within [-1, 1] (raw fixed point)");
            return std::nullopt;
        }
        q[std::size_t(i)] = Fixed::fromRaw(parts.at(i).toInteger());
    }
    if (q[0] == Fixed::zero() && q[1] == Fixed::zero() && q[2] == Fixed::zero()
        && q[3] == Fixed::zero()) {
        *error = QStringLiteral("rot: the zero quaternion is no rotation");
        return std::nullopt;
    }
    return FQuat { q[0], q[1], q[2], q[3] };
}

std::string text(const QCborMap &map, const char *key)
{
    return map.value(QLatin1String(key)).toString().toStdString();
}

quint64 id(const QCborMap &map, const char *key)
{
    return quint64(qMax<qint64>(0, map.value(QLatin1String(key)).toInteger()));
}

QCborArray vec3(const FVec3 &v)
{
    return QCborArray { qint64(v.x.raw()), qint64(v.y.raw()), qint64(v.z.raw()) };
}

QCborArray quat(const FQuat &q)
{
    return QCborArray { qint64(q.w.raw()), qint64(q.x.raw()), qint64(q.y.raw()),
        qint64(q.z.raw()) };
}

// Hashes travel as CBOR integers: the 64-bit pattern in a signed integer.
qint64 wire(quint64 hash)
{
    return qint64(hash);
}

constexpr qsizetype SnapshotChunk = 512 * 1024; // well below the 1 MiB frame limit
constexpr size_t MaxQueuedReports = 4096;

} // namespace

std::optional<QList<SimPeer>> parseSimPeers(const QString &text, QString *error)
{
    QList<SimPeer> peers;
    for (const QString &item : text.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        const qsizetype eq = item.indexOf(QLatin1Char('='));
        const qsizetype slash = item.indexOf(QLatin1Char('/'));
        bool ok = false;
        SimPeer peer;
        if (eq > 0)
            peer.id = item.left(eq).trimmed().toULongLong(&ok);
        if (!ok || peer.id == 0 || slash < eq) {
            if (error)
                *error = QStringLiteral("peer \"%1\": expected id=raftHost:port/clientHost:port")
                             .arg(item);
            return std::nullopt;
        }
        peer.raftAddress = item.mid(eq + 1, slash - eq - 1).trimmed();
        peer.clientAddress = item.mid(slash + 1).trimmed();
        peers.append(peer);
    }
    return peers;
}

std::optional<sim::InputAction> SimReplica::parseAction(const QCborMap &action, QString *error)
{
    const QString kind = action.value(QStringLiteral("kind")).toString();
    if (kind == QLatin1String("create")) {
        sim::CreateObject create;
        create.owner = id(action, "owner");
        create.name = text(action, "name");
        create.text = text(action, "text");
        // The Lua source the object runs; the sim compiles it at the tick boundary and reports
        // (without stopping the tick) a script that does not compile or exceeds its limits.
        create.script = text(action, "script");
        const auto at = position(action, error);
        if (!at)
            return std::nullopt;
        create.position = *at;
        create.scale = FVec3 { Fixed::one(), Fixed::one(), Fixed::one() };
        return create;
    }
    if (kind == QLatin1String("editScript"))
        return sim::EditScript { id(action, "author"), id(action, "object"),
            text(action, "source") };
    if (kind == QLatin1String("delete"))
        return sim::DeleteObject { id(action, "by"), id(action, "object") };
    if (kind == QLatin1String("enter")) {
        const auto at = position(action, error);
        if (!at)
            return std::nullopt;
        return sim::AvatarEnter { id(action, "avatar"), id(action, "account"), text(action, "name"),
            *at };
    }
    if (kind == QLatin1String("leave"))
        return sim::AvatarLeave { id(action, "avatar") };
    if (kind == QLatin1String("move")) {
        const auto at = position(action, error);
        if (!at)
            return std::nullopt;
        const auto turned = rotation(action, error);
        if (!turned)
            return std::nullopt;
        sim::AvatarMove move;
        move.avatar = id(action, "avatar");
        move.position = *at;
        move.rotation = *turned;
        move.animation = text(action, "animation");
        return move;
    }
    if (kind == QLatin1String("chat")) {
        sim::AvatarChat chat;
        chat.avatar = id(action, "avatar");
        chat.channel = action.value(QStringLiteral("channel")).toInteger();
        chat.text = text(action, "text");
        return chat;
    }
    if (kind == QLatin1String("touch"))
        return sim::Touch { id(action, "avatar"), id(action, "object") };
    *error = QStringLiteral("unknown action kind \"%1\"").arg(kind);
    return std::nullopt;
}

static SimStateMachineOptions stateOptions(const SimReplicaOptions &options)
{
    SimStateMachineOptions state;
    state.clusterId = options.clusterId;
    state.engine.region = options.region;
    state.faultAtTick = options.faultAtTick;
    return state;
}

static net::ServerOptions serverOptions(const SimReplicaOptions &options)
{
    net::ServerOptions server;
    server.limits.messagesPerSecond = options.clientMessagesPerSecond;
    server.limits.messageBurst = options.clientMessagesPerSecond * 2;
    return server;
}

QCborMap SimReplica::encodeObject(const sim::Object &object)
{
    return QCborMap { { QStringLiteral("id"), qint64(object.id) },
        { QStringLiteral("owner"), qint64(object.owner) },
        { QStringLiteral("parent"), qint64(object.parent) },
        { QStringLiteral("name"), QString::fromStdString(object.name) },
        { QStringLiteral("pos"), vec3(object.position) },
        { QStringLiteral("rot"), quat(object.rotation) },
        { QStringLiteral("scale"), vec3(object.scale) },
        { QStringLiteral("colour"), qint64(object.colour) },
        { QStringLiteral("text"), QString::fromStdString(object.text) },
        { QStringLiteral("permissions"), qint64(object.permissions) },
        { QStringLiteral("script"), object.script != nullptr },
        { QStringLiteral("hash"), wire(object.hash) } };
}

QCborMap SimReplica::encodeAvatar(const sim::Avatar &avatar)
{
    return QCborMap { { QStringLiteral("id"), qint64(avatar.id) },
        { QStringLiteral("account"), qint64(avatar.account) },
        { QStringLiteral("name"), QString::fromStdString(avatar.name) },
        { QStringLiteral("pos"), vec3(avatar.position) },
        { QStringLiteral("rot"), quat(avatar.rotation) },
        { QStringLiteral("animation"), QString::fromStdString(avatar.animation) },
        { QStringLiteral("hash"), wire(avatar.hash) } };
}

SimReplica::SimReplica(SimReplicaOptions options, QObject *parent)
    : QObject(parent)
    , m_options(std::move(options))
    , m_state(std::make_shared<SimStateMachine>(stateOptions(m_options)))
    , m_node(m_state)
    , m_builder(m_options.maxActionsPerTick)
    , m_server(serverOptions(m_options))
{
    m_clock.start();
    m_ticker.setTimerType(Qt::PreciseTimer);
    m_ticker.setSingleShot(true);
    connect(&m_ticker, &QTimer::timeout, this, &SimReplica::onTick);
    connect(&m_node, &RaftNode::committed, this, &SimReplica::onCommitted);
    connect(&m_node, &RaftNode::roleChanged, this, &SimReplica::onRoleChanged);
    connect(&m_node, &RaftNode::leaderChanged, this, [this] { maintainUpstream(); });
    connect(&m_node, &RaftNode::restored, this, [this] { scheduleDeltas(); });
    connect(&m_server, &net::Server::newConnection, this, &SimReplica::onConnection);
}

SimReplica::~SimReplica()
{
    stop();
}

bool SimReplica::start(QString *error)
{
    QString host;
    quint16 port = 0;
    if (!splitAddress(m_options.clientAddress, &host, &port)) {
        if (error)
            *error = QStringLiteral("bad client address \"%1\"").arg(m_options.clientAddress);
        return false;
    }
    QString why;
    const auto identity = net::TlsIdentity::loadOrCreate(m_options.dataDir, &why);
    if (!identity) {
        if (error)
            *error = why;
        return false;
    }
    if (!m_server.listen(QHostAddress(host), port, *identity)) {
        if (error)
            *error = m_server.errorString();
        return false;
    }
    // The other replicas' gateway certificates, pinned on first use like any client does.
    m_pins = std::make_unique<net::PinStore>(
        QDir(m_options.dataDir).filePath(QStringLiteral("replica-pins")));

    RaftConfig config;
    config.id = m_options.id;
    config.address = m_options.raftAddress;
    config.dataDir = QDir(m_options.dataDir).filePath(QStringLiteral("raft"));
    if (!m_options.join) {
        for (const SimPeer &peer : m_options.peers)
            config.bootstrap.append(RaftPeer { peer.id, peer.raftAddress });
    }
    config.electionTimeoutMs = m_options.electionTimeoutMs;
    config.heartbeatTimeoutMs = m_options.heartbeatTimeoutMs;
    config.snapshotThreshold = m_options.snapshotThreshold;
    config.snapshotTrailing = m_options.snapshotTrailing;
    if (!m_node.start(config, error)) {
        m_server.close();
        return false;
    }
    m_tickOriginNs = RaftNode::clockNs();
    m_ticksSinceOrigin = 0;
    armTicker();
    return true;
}

void SimReplica::armTicker()
{
    const qint64 periodNs = 1000000000 / qMax(1, m_options.tickRateHz);
    const qint64 now = RaftNode::clockNs();
    qint64 due = m_tickOriginNs + (m_ticksSinceOrigin + 1) * periodNs;
    if (due + periodNs < now) {
        // More than a tick behind (a stalled process): carry on from now rather than firing the
        // missed ticks back to back, as a repeating timer would not either.
        m_tickOriginNs = now;
        m_ticksSinceOrigin = 0;
        due = now + periodNs;
    }
    ++m_ticksSinceOrigin;
    // Whole milliseconds, rounded up: never early, at most a millisecond late, and the next
    // deadline does not move.
    m_ticker.start(int(qMax<qint64>(0, (due - now + 999999) / 1000000)));
}

void SimReplica::stop()
{
    m_ticker.stop();
    dropUpstream();
    m_server.close();
    m_node.stop();
}

quint16 SimReplica::clientPort() const
{
    return m_server.serverPort();
}

QString SimReplica::clientAddressOf(quint64 id) const
{
    if (id == 0)
        return {};
    // The directory in the log is authoritative (members added at run time, addresses a leader
    // announced); the command line covers the members a replica was started with.
    const std::map<quint64, QString> directory = m_state->directory();
    const auto it = directory.find(id);
    if (it != directory.end())
        return it->second;
    for (const SimPeer &peer : m_options.peers) {
        if (peer.id == id)
            return peer.clientAddress;
    }
    return {};
}

void SimReplica::StageSamples::add(qint64 ns)
{
    constexpr size_t Kept = 4096;
    if (us.size() < Kept)
        us.push_back(ns / 1000);
    else
        us[next] = ns / 1000;
    next = (next + 1) % Kept;
}

QCborArray SimReplica::StageSamples::percentiles() const
{
    // Selection rather than a sort: status is asked for often, on the gateway's thread.
    std::vector<qint64> values = us;
    const auto at = [&](double p) -> qint64 {
        if (values.empty())
            return 0;
        const auto nth = values.begin() + qsizetype(p * double(values.size() - 1) + 0.5);
        std::nth_element(values.begin(), nth, values.end());
        return *nth;
    };
    const qint64 p50 = at(0.5);
    return QCborArray { p50, at(0.99), qint64(values.size()) };
}

QCborMap SimReplica::status() const
{
    const RaftStatus raft = m_node.status();
    const SimStateMachine::View view = m_state->view();
    QCborMap out;
    out.insert(QStringLiteral("replica"), qint64(raft.id));
    out.insert(QStringLiteral("cluster"), qint64(m_options.clusterId));
    out.insert(QStringLiteral("role"), QString::fromLatin1(raftRoleName(raft.role)));
    out.insert(QStringLiteral("term"), qint64(raft.term));
    out.insert(QStringLiteral("commit"), qint64(raft.commitIndex));
    out.insert(QStringLiteral("applied"), qint64(view.index));
    out.insert(
        QStringLiteral("lag"), qint64(raft.commitIndex - qMin(raft.commitIndex, view.index)));
    out.insert(QStringLiteral("tick"), qint64(view.tick));
    out.insert(QStringLiteral("tickTimeUs"), view.lastTickNs / 1000);
    out.insert(QStringLiteral("commitLatencyUs"), m_commitLatencyUs); // last own proposal
    out.insert(QStringLiteral("hash"), hex(view.hash));
    out.insert(QStringLiteral("leader"), qint64(raft.leaderId));
    out.insert(QStringLiteral("leaderClient"), clientAddressOf(raft.leaderId));
    out.insert(QStringLiteral("voters"), qint64(raft.voters));
    QCborArray voterIds;
    for (quint64 voter : raft.voterIds)
        voterIds.append(qint64(voter));
    out.insert(QStringLiteral("voterIds"), voterIds);
    QCborMap members;
    for (const auto &[member, address] : m_state->directory())
        members.insert(qint64(member), address);
    out.insert(QStringLiteral("members"), members);
    out.insert(QStringLiteral("snapshotsRestored"), qint64(raft.snapshotsRestored));
    out.insert(QStringLiteral("clients"), qint64(m_server.connections().size()));
    out.insert(QStringLiteral("subscribers"), qint64(m_subscribers.size()));
    out.insert(QStringLiteral("subscribersDropped"), qint64(m_subscribersDropped));
    out.insert(QStringLiteral("heardLines"), qint64(m_heardLinesSent));
    out.insert(QStringLiteral("heardMissedTicks"), qint64(m_heardTicksMissed));
    out.insert(QStringLiteral("pending"), qint64(m_pending.size()));
    out.insert(QStringLiteral("upstream"), m_upstream && m_upstream->isReady());
    out.insert(QStringLiteral("objects"), qint64(view.world ? view.world->objects.size() : 0));
    out.insert(QStringLiteral("avatars"), qint64(view.world ? view.world->avatars.size() : 0));
    out.insert(QStringLiteral("actionsApplied"), qint64(view.actionsApplied));
    out.insert(QStringLiteral("duplicates"), qint64(view.duplicates));
    out.insert(QStringLiteral("divergences"), qint64(m_divergences));
    out.insert(QStringLiteral("dissents"), qint64(m_dissents));
    out.insert(QStringLiteral("diverged"), m_diverged);
    if (m_divergences > 0) {
        out.insert(QStringLiteral("divergedTick"), qint64(m_divergedTick));
        out.insert(QStringLiteral("firstDifference"), m_firstDifference);
    }
    out.insert(QStringLiteral("resyncs"), qint64(m_resyncs));
    out.insert(QStringLiteral("resyncTick"), qint64(m_resyncFloor));
    static const char *const stageNames[StageCount]
        = { "wait", "toRaft", "commit", "apply", "toGateway", "ack", "total", "tickInterval" };
    QCborMap stages;
    for (int stage = 0; stage < StageCount; ++stage)
        stages.insert(QLatin1String(stageNames[stage]), m_stages[size_t(stage)].percentiles());
    out.insert(QStringLiteral("latencyUs"), stages);
    return out;
}

void SimReplica::onConnection(net::Connection *connection)
{
    connect(connection, &net::Connection::messageReceived, this,
        [this, connection](const QCborMap &message) { onMessage(connection, message); });
    connect(connection, &net::Connection::disconnected, this,
        [this, id = connection->connectionId()] { m_subscribers.erase(id); });
}

void SimReplica::onMessage(net::Connection *connection, const QCborMap &message)
{
    const QString type = message.value(kType).toString();
    if (type == QLatin1String("action")) {
        onAction(connection, message, false);
    } else if (type == QLatin1String("forward")) {
        if (!isTrusted(connection, message)) {
            connection->replyError(
                message, QStringLiteral("forward is for the cluster's replicas: send actions"));
            return;
        }
        // Another replica's batch: each item is answered like an action, and the reports go into
        // the next entry (a follower only forwards to the one it believes leads).
        const QCborArray actions = message.value(QStringLiteral("actions")).toArray();
        for (const QCborValue &item : actions)
            onAction(connection, item.toMap(), true);
        if (m_node.status().role == RaftRole::Leader) {
            for (const QCborValue &item : message.value(QStringLiteral("reports")).toArray()) {
                const QCborArray report = item.toArray();
                if (report.size() != 3 || m_reports.size() >= MaxQueuedReports)
                    continue;
                m_reports.push_back(HashReport { quint64(report.at(0).toInteger()),
                    quint64(report.at(1).toInteger()), quint64(report.at(2).toInteger()) });
            }
        }
    } else if (type == QLatin1String("status")) {
        connection->reply(message, status());
    } else if (type == QLatin1String("hashes")) {
        const quint64 from = id(message, "from");
        const quint64 to = qMin(id(message, "to"), from + 999);
        QCborMap hashes;
        for (quint64 tick = from; tick <= to && tick >= from; ++tick) {
            if (const auto hash = m_state->hashAt(tick))
                hashes.insert(qint64(tick), hex(*hash));
        }
        connection->reply(message, QCborMap { { QStringLiteral("hashes"), hashes } });
    } else if (type == QLatin1String("objects")) {
        QCborArray names;
        if (const auto world = m_state->view().world) {
            world->objects.forEach([&names](sim::ObjectId, const sim::Object &object) {
                names.append(QString::fromStdString(object.name));
            });
        }
        connection->reply(message, QCborMap { { QStringLiteral("names"), names } });
    } else if (type == QLatin1String("objectHashes")) {
        const quint64 tick = id(message, "tick");
        const auto world = m_state->worldAt(tick);
        if (!world) {
            connection->replyError(message, QStringLiteral("tick %1 is not kept here").arg(tick));
            return;
        }
        QCborMap objects;
        world->objects.forEach([&objects](sim::ObjectId key, const sim::Object &object) {
            objects.insert(qint64(key), wire(object.hash));
        });
        QCborMap avatars;
        world->avatars.forEach([&avatars](sim::AvatarId key, const sim::Avatar &avatar) {
            avatars.insert(qint64(key), wire(avatar.hash));
        });
        connection->reply(message,
            QCborMap { { QStringLiteral("tick"), qint64(tick) },
                { QStringLiteral("objects"), objects }, { QStringLiteral("avatars"), avatars } });
    } else if (type == QLatin1String("script")) {
        onScriptRequest(connection, message);
    } else if (type == QLatin1String("snapshot")) {
        onSnapshotRequest(connection, message);
    } else if (type == QLatin1String("subscribe")) {
        onSubscribe(connection, message, false);
    } else if (type == QLatin1String("listen")) {
        onSubscribe(connection, message, true);
    } else if (type == QLatin1String("unsubscribe")) {
        m_subscribers.erase(connection->connectionId());
        connection->reply(message);
    } else if (type == QLatin1String("addReplica") || type == QLatin1String("removeReplica")
        || type == QLatin1String("transferLeader")) {
        onAdmin(connection, message);
    } else {
        connection->replyError(message, QStringLiteral("unknown message type \"%1\"").arg(type));
    }
}

void SimReplica::onSubscribe(net::Connection *connection, const QCborMap &message, bool listenOnly)
{
    if (m_diverged) {
        connection->replyError(message, QStringLiteral("replica diverged, try another"));
        return;
    }
    const QString type = message.value(kType).toString();
    // Checked before anything changes: a bad request leaves the connection's stream as it was.
    const bool listens = listenOnly || message.contains(QStringLiteral("avatar"));
    const QCborValue avatar = message.value(QStringLiteral("avatar"));
    if (listens && (!avatar.isInteger() || avatar.toInteger() < 0)) {
        connection->replyError(message,
            QStringLiteral("%1: \"avatar\" must be an avatar id (a non-negative integer)")
                .arg(type));
        return;
    }
    const QCborValue after = message.value(QStringLiteral("after"));
    if (message.contains(QStringLiteral("after"))
        && (!after.isInteger() || after.toInteger() < 0)) {
        connection->replyError(message,
            QStringLiteral("%1: \"after\" must be a tick (a non-negative integer)").arg(type));
        return;
    }
    const quint64 tick = m_state->view().tick;
    const quint64 id = connection->connectionId();
    auto existing = m_subscribers.find(id);
    if (existing == m_subscribers.end()) {
        existing = m_subscribers.emplace(id, Subscriber {}).first;
        existing->second.connection = connection;
        existing->second.wantsState = !listenOnly;
    }
    Subscriber &subscriber = existing->second;
    if (!listenOnly) {
        subscriber.wantsState = true;
        subscriber.sent = nullptr;
    }
    QCborMap reply { { QStringLiteral("tick"), qint64(tick) } };
    if (listens) {
        subscriber.avatar = sim::AvatarId(avatar.toInteger());
        subscriber.heardTick = after.isInteger() ? quint64(after.toInteger()) : tick;
        reply.insert(QStringLiteral("avatar"), qint64(subscriber.avatar));
        reply.insert(QStringLiteral("after"), qint64(subscriber.heardTick));
        if (subscriber.avatar == 0 && !subscriber.wantsState) {
            m_subscribers.erase(existing);
            connection->reply(message, reply);
            return;
        }
    }
    connection->reply(message, reply);
    scheduleDeltas();
}

void SimReplica::refuse(net::Connection *connection, const QString &type, const QCborMap &message,
    const QCborMap &extra)
{
    QCborMap out = extra;
    out.insert(kType, type);
    out.insert(QStringLiteral("seq"), message.value(QStringLiteral("seq")));
    if (message.contains(QStringLiteral("client")))
        out.insert(QStringLiteral("client"), message.value(QStringLiteral("client")));
    connection->send(out);
}

void SimReplica::sendAck(net::Connection *connection, const ActionKey &key, quint64 tick)
{
    if (!connection)
        return;
    connection->send(QCborMap { { kType, QStringLiteral("ack") },
        { QStringLiteral("client"), qint64(key.clientId) },
        { QStringLiteral("seq"), qint64(key.seq) }, { QStringLiteral("tick"), qint64(tick) } });
}

void SimReplica::onAction(net::Connection *connection, const QCborMap &message, bool forwarded)
{
    const auto client = integer(message, "client");
    const auto seq = integer(message, "seq");
    if (!client || !seq || *client <= 0 || *seq <= 0) {
        refuse(connection, QStringLiteral("invalid"), message,
            QCborMap { { QStringLiteral("error"),
                QStringLiteral("client and seq must be positive integers") } });
        return;
    }
    if (m_diverged) {
        refuse(connection, QStringLiteral("unavailable"), message);
        return;
    }
    QString error;
    const auto input = parseAction(message.value(QStringLiteral("action")).toMap(), &error);
    if (!input) {
        refuse(connection, QStringLiteral("invalid"), message,
            QCborMap { { QStringLiteral("error"), error } });
        return;
    }
    const ActionKey key { quint64(*client), quint64(*seq) };
    const RaftStatus raft = m_node.status();
    if (raft.role != RaftRole::Leader) {
        // A follower forwards to the leader (never a second hop: a forwarding replica that
        // reached a former leader tries again once it knows the new one).
        const QString leader = clientAddressOf(raft.leaderId);
        if (forwarded || raft.leaderId == 0 || raft.leaderId == m_options.id || leader.isEmpty()) {
            refuse(connection, QStringLiteral("notLeader"), message,
                QCborMap { { QStringLiteral("leader"), forwarded ? leader : QString() } });
            return;
        }
        auto it = m_pending.find(key);
        if (it == m_pending.end()) {
            if (m_pending.size() >= m_options.maxPendingActions) {
                refuse(connection, QStringLiteral("busy"), message);
                return;
            }
            Pending pending;
            pending.message
                = QCborMap { { QStringLiteral("client"), *client }, { QStringLiteral("seq"), *seq },
                      { QStringLiteral("action"), message.value(QStringLiteral("action")) } };
            pending.since = m_clock.elapsed();
            pending.arrivedNs = RaftNode::clockNs();
            it = m_pending.emplace(key, std::move(pending)).first;
        }
        it->second.client = connection;
        scheduleFlush();
        return;
    }
    switch (m_builder.offer(Action { key, SimStateMachine::encodeAction(*input) })) {
    case BatchBuilder::Offer::Queued:
    case BatchBuilder::Offer::AlreadyPending: {
        Pending &pending = m_pending[key];
        pending.client = connection;
        if (pending.message.isEmpty()) {
            pending.message
                = QCborMap { { QStringLiteral("client"), *client }, { QStringLiteral("seq"), *seq },
                      { QStringLiteral("action"), message.value(QStringLiteral("action")) } };
            pending.since = m_clock.elapsed();
            pending.arrivedNs = RaftNode::clockNs();
        }
        break;
    }
    case BatchBuilder::Offer::AlreadyCommitted:
        sendAck(connection, key, 0);
        break;
    case BatchBuilder::Offer::Full:
        refuse(connection, QStringLiteral("busy"), message);
        break;
    }
}

void SimReplica::onAdmin(net::Connection *connection, const QCborMap &message)
{
    const QString type = message.value(kType).toString();
    if (!isTrusted(connection, message)) {
        connection->replyError(
            message, QStringLiteral("admin requests need the cluster token (or a replica's host)"));
        return;
    }
    const RaftStatus raft = m_node.status();
    if (raft.role != RaftRole::Leader) {
        QCborMap request = message;
        // Relayed as this replica: with the cluster's token if there is one.
        if (!m_options.clusterToken.isEmpty())
            request.insert(QStringLiteral("token"), m_options.clusterToken);
        request.remove(QStringLiteral("id"));
        QPointer<net::Connection> origin(connection);
        const bool sent = callLeader(request, [origin, message](const QCborMap &reply) {
            if (!origin)
                return;
            QCborMap fields = reply;
            fields.remove(QStringLiteral("id"));
            fields.remove(QStringLiteral("t"));
            if (fields.contains(QStringLiteral("error")))
                origin->replyError(message, fields.value(QStringLiteral("error")).toString());
            else
                origin->reply(message, fields);
        });
        if (!sent)
            connection->replyError(message,
                QStringLiteral("not the leader and no leader reachable (leader: \"%1\")")
                    .arg(clientAddressOf(raft.leaderId)));
        return;
    }
    const quint64 replica = id(message, "replica");
    QPointer<net::Connection> origin(connection);
    auto answer = [origin, message](const ChangeResult &result) {
        if (!origin)
            return;
        if (result.ok)
            origin->reply(message);
        else
            origin->replyError(message, result.error);
    };
    if (type == QLatin1String("transferLeader")) {
        m_node.transferLeadership(replica);
        connection->reply(message);
        return;
    }
    if (replica == 0) {
        connection->replyError(message, QStringLiteral("\"replica\": a replica id > 0 expected"));
        return;
    }
    if (type == QLatin1String("addReplica")) {
        const QString raftAddress = message.value(QStringLiteral("raft")).toString();
        const QString clientAddress = message.value(QStringLiteral("client")).toString();
        QString host;
        quint16 port = 0;
        if (!splitAddress(raftAddress, &host, &port)
            || (!clientAddress.isEmpty() && !splitAddress(clientAddress, &host, &port))) {
            connection->replyError(
                message, QStringLiteral("\"raft\" (and \"client\") must be host:port"));
            return;
        }
        qInfo("sim replica %llu: adding replica %llu (raft %s, clients %s)", quint64(m_options.id),
            quint64(replica), qPrintable(raftAddress), qPrintable(clientAddress));
        if (!clientAddress.isEmpty())
            m_memberChanges.push_back(MemberChange { replica, clientAddress });
        m_node.addVoter(replica, raftAddress, answer);
    } else {
        if (replica == m_options.id) {
            connection->replyError(
                message, QStringLiteral("the leader cannot remove itself: transferLeader first"));
            return;
        }
        qInfo("sim replica %llu: removing replica %llu", quint64(m_options.id), quint64(replica));
        m_memberChanges.push_back(MemberChange { replica, QString() });
        m_node.removeServer(replica, answer);
    }
}

// Copyleft all the way down: any client may read any object's script, with every past revision.
void SimReplica::onScriptRequest(net::Connection *connection, const QCborMap &message)
{
    const quint64 objectId = id(message, "object");
    const auto world = m_state->view().world;
    const sim::Object *object = world ? world->objects.find(objectId) : nullptr;
    if (object == nullptr) {
        connection->replyError(message, QStringLiteral("no object %1").arg(objectId));
        return;
    }
    QCborMap reply { { QStringLiteral("object"), qint64(objectId) },
        { QStringLiteral("name"), QString::fromStdString(object->name) },
        { QStringLiteral("owner"), qint64(object->owner) },
        { QStringLiteral("tick"), qint64(m_state->view().tick) } };
    if (const auto &script = object->script) {
        reply.insert(QStringLiteral("source"), QString::fromStdString(script->source));
        reply.insert(QStringLiteral("revision"), qint64(script->revision));
        reply.insert(QStringLiteral("author"), qint64(script->author));
        reply.insert(QStringLiteral("suspended"), object->status.suspended);
        reply.insert(QStringLiteral("error"), QString::fromStdString(object->status.error));
        QCborArray history;
        for (const sim::ScriptRevision &past : script->history) {
            history.append(QCborMap { { QStringLiteral("revision"), qint64(past.revision) },
                { QStringLiteral("tick"), qint64(past.tick) },
                { QStringLiteral("author"), qint64(past.author) },
                { QStringLiteral("source"), QString::fromStdString(past.source) } });
        }
        reply.insert(QStringLiteral("history"), history);
    }
    connection->reply(message, reply);
}

void SimReplica::onSnapshotRequest(net::Connection *connection, const QCborMap &message)
{
    if (!isTrusted(connection, message)) {
        connection->replyError(message, QStringLiteral("snapshots are for the cluster's replicas"));
        return;
    }
    const quint64 token = id(message, "snapshot");
    const qint64 offset = qMax<qint64>(0, message.value(QStringLiteral("offset")).toInteger());
    const qint64 now = m_clock.elapsed();
    if (token != m_snapshot.token || token == 0) {
        if (token != 0) {
            connection->replyError(message, QStringLiteral("snapshot %1 expired").arg(token));
            return;
        }
        // A fresh one unless the last is very recent: taking one costs a full serialisation.
        if (m_snapshot.token == 0 || now - m_snapshot.takenAt > 200) {
            SnapshotCache taken;
            const bool ran = m_node.callOnRaftThread([&] {
                taken.bytes = m_state->snapshot();
                const SimStateMachine::View view = m_state->view();
                taken.index = view.index;
                taken.tick = view.tick;
            });
            if (!ran || taken.bytes.isEmpty()) {
                connection->replyError(message, QStringLiteral("no snapshot available"));
                return;
            }
            taken.token = m_nextSnapshotToken++;
            taken.takenAt = now;
            m_snapshot = std::move(taken);
        }
    }
    if (offset > m_snapshot.bytes.size()) {
        connection->replyError(message, QStringLiteral("offset past the end"));
        return;
    }
    connection->reply(message,
        QCborMap { { QStringLiteral("snapshot"), qint64(m_snapshot.token) },
            { QStringLiteral("index"), qint64(m_snapshot.index) },
            { QStringLiteral("tick"), qint64(m_snapshot.tick) },
            { QStringLiteral("size"), qint64(m_snapshot.bytes.size()) },
            { QStringLiteral("data"), m_snapshot.bytes.mid(offset, SnapshotChunk) } });
}

bool SimReplica::isTrusted(const net::Connection *connection, const QCborMap &message) const
{
    if (!m_options.clusterToken.isEmpty())
        return message.value(QStringLiteral("token")).toString() == m_options.clusterToken;
    const QHostAddress peer(connection->peerAddress());
    if (peer.isLoopback())
        return true;
    auto fromHostOf = [&peer](const QString &address) {
        QString host;
        quint16 port = 0;
        return splitAddress(address, &host, &port)
            && QHostAddress(host).isEqual(peer, QHostAddress::ConvertV4MappedToIPv4);
    };
    for (const SimPeer &member : m_options.peers) {
        if (fromHostOf(member.clientAddress) || fromHostOf(member.raftAddress))
            return true;
    }
    for (const auto &[member, address] : m_state->directory()) {
        if (fromHostOf(address))
            return true;
    }
    return false;
}

void SimReplica::onTick()
{
    const RaftStatus raft = m_node.status();
    const qint64 now = m_clock.elapsed();
    const qint64 nowNs = RaftNode::clockNs();
    if (m_lastTickNs != 0)
        m_stages[StageTickInterval].add(nowNs - m_lastTickNs);
    m_lastTickNs = nowNs;
    armTicker();
    if (raft.role != RaftRole::Leader) {
        maintainUpstream();
        if (m_diverged) {
            resync();
            return;
        }
        // Forwarded actions not acknowledged for a while are sent again (a lost message, a
        // leader that refused them while stepping down); the leader de-duplicates.
        bool resend = false;
        std::vector<QPointer<net::Connection>> stale;
        const bool reachable = m_upstream && m_upstream->isReady();
        for (auto it = m_pending.begin(); it != m_pending.end();) {
            Pending &pending = it->second;
            if (!reachable && now - pending.since > m_options.forwardStaleMs) {
                stale.push_back(pending.client);
                it = m_pending.erase(it);
                continue;
            }
            if (pending.forwardedAt >= 0 && now - pending.forwardedAt > 1000) {
                pending.forwardedAt = -1;
                resend = true;
            }
            ++it;
        }
        for (const QPointer<net::Connection> &client : stale) {
            if (client)
                client->close(QStringLiteral("no leader reachable, try another replica"));
        }
        if (resend)
            scheduleFlush();
        return;
    }
    if (m_diverged) {
        // Outvoted while leading: hand leadership to a healthy replica, then resync as follower.
        if (now - m_lastTransferAt > 500) {
            m_lastTransferAt = now;
            m_node.transferLeadership(0);
        }
        return;
    }
    if (m_inFlight >= m_options.maxInFlight)
        return;
    const SimStateMachine::View view = m_state->view();
    TickEntry entry;
    entry.tick = view.tick + quint64(m_inFlight) + 1;
    // The per-tick hashes travel as reports (majority vote); hashTick stays 0 so no replica
    // judges itself against the leader alone.
    const size_t reports = qMin(m_reports.size(), size_t(TickEntry::MaxReports));
    entry.reports.assign(m_reports.begin(), m_reports.begin() + qsizetype(reports));
    m_reports.erase(m_reports.begin(), m_reports.begin() + qsizetype(reports));
    entry.members = std::move(m_memberChanges);
    m_memberChanges.clear();
    entry.actions = m_builder.takeBatch();
    if (entry.actions.isEmpty())
        entry.actions = ActionBatch {}.encode();
    ++m_inFlight;
    QElapsedTimer proposed;
    proposed.start();
    m_node.propose(
        entry.encode(), [this, proposed, members = entry.members](const ProposeResult &result) {
            --m_inFlight;
            if (result.ok)
                m_commitLatencyUs = proposed.nsecsElapsed() / 1000;
            // Still leader: try the actions again (a copy that commits after all is
            // de-duplicated). No longer leader: onRoleChanged handed them to the forwarding path.
            if (!result.ok && m_node.status().role == RaftRole::Leader) {
                m_builder.requeueInFlight();
                m_memberChanges.insert(m_memberChanges.begin(), members.begin(), members.end());
            }
        });
}

void SimReplica::onCommitted(quint64 index, const QByteArray &batch)
{
    const qint64 seenNs = RaftNode::clockNs();
    // Set when this replica proposed the entry (the leader's own ticks).
    const CommitTiming timing = m_node.deliveryTiming();
    const std::optional<TickEntry> entry = TickEntry::decode(batch);
    const std::optional<quint64> tick = m_state->tickOfIndex(index);
    if (entry) {
        bool acked = false;
        for (const ActionKey &key : m_builder.noteCommitted(entry->actions)) {
            const auto pending = m_pending.find(key);
            if (pending == m_pending.end())
                continue;
            sendAck(pending->second.client, key, tick.value_or(0));
            if (timing.proposedNs != 0 && pending->second.arrivedNs != 0) {
                m_stages[StageWait].add(timing.proposedNs - pending->second.arrivedNs);
                m_stages[StageTotal].add(RaftNode::clockNs() - pending->second.arrivedNs);
                acked = true;
            }
            m_pending.erase(pending);
        }
        if (acked) {
            m_stages[StageToRaft].add(timing.submittedNs - timing.proposedNs);
            m_stages[StageCommit].add(timing.applyStartNs - timing.submittedNs);
            m_stages[StageApply].add(timing.appliedNs - timing.applyStartNs);
            m_stages[StageToGateway].add(seenNs - timing.appliedNs);
            m_stages[StageAck].add(RaftNode::clockNs() - seenNs);
        }
        checkReports(*entry);
    }
    // This replica's own hash for the tick, for the majority vote.
    if (tick && !m_diverged) {
        if (const auto hash = m_state->hashAt(*tick)) {
            if (m_reports.size() >= MaxQueuedReports)
                m_reports.erase(m_reports.begin());
            m_reports.push_back(HashReport { m_options.id, *tick, *hash });
            if (m_node.status().role != RaftRole::Leader)
                scheduleFlush();
        }
    }
    scheduleDeltas();
}

void SimReplica::checkReports(const TickEntry &entry)
{
    if (entry.reports.empty())
        return;
    const RaftStatus raft = m_node.status();
    std::vector<quint64> voters(raft.voterIds.begin(), raft.voterIds.end());
    if (!voters.empty() && voters != m_detector.replicas())
        m_detector.setReplicas(voters);
    for (const HashReport &report : entry.reports) {
        for (const Divergence &divergence :
            m_detector.report(report.tick, report.replica, report.hash)) {
            if (divergence.noMajority)
                continue;
            if (divergence.replica != m_options.id) {
                ++m_dissents;
                // Once per replica and episode: a diverged replica is outvoted every tick.
                quint64 &logged = m_dissentLogged[divergence.replica];
                if (logged != 0 && divergence.tick < logged + 450)
                    continue;
                logged = divergence.tick;
                qWarning("sim replica %llu: replica %llu is outvoted at tick %llu (its hash %s, "
                         "majority %s)",
                    quint64(m_options.id), quint64(divergence.replica), quint64(divergence.tick),
                    qPrintable(hex(divergence.hash)), qPrintable(hex(divergence.majorityHash)));
            } else if (!m_diverged && divergence.tick > m_resyncFloor) {
                enterDiverged(divergence);
            }
        }
    }
}

void SimReplica::enterDiverged(const Divergence &divergence)
{
    m_diverged = true;
    ++m_divergences;
    m_divergedTick = divergence.tick;
    m_firstDifference.clear();
    m_reports.clear();
    qCritical("sim replica %llu DIVERGED at tick %llu: own hash %s, the majority's %s; no longer "
              "serving clients, resyncing from a snapshot",
        quint64(m_options.id), quint64(divergence.tick), qPrintable(hex(divergence.hash)),
        qPrintable(hex(divergence.majorityHash)));
    m_pending.clear();
    m_subscribers.clear();
    m_builder.takeUnacknowledged();
    dropClients(QStringLiteral("replica diverged"));
    if (m_node.status().role == RaftRole::Leader) {
        m_lastTransferAt = m_clock.elapsed();
        m_node.transferLeadership(0);
    }
    emit diverged(divergence.tick, divergence.hash, divergence.majorityHash);
}

QString SimReplica::describeDifference(quint64 tick, const QCborMap &healthy) const
{
    const auto own = m_state->worldAt(tick);
    if (!own)
        return QStringLiteral("tick %1 is no longer kept here").arg(tick);
    const QCborMap theirObjects = healthy.value(QStringLiteral("objects")).toMap();
    const QCborMap theirAvatars = healthy.value(QStringLiteral("avatars")).toMap();
    // Walk both id-ordered sets together; the first id that is missing on one side or hashes
    // differently is the first differing object.
    auto compare = [tick](const auto &mine, const QCborMap &theirs, const char *kind,
                       auto nameOf) -> QString {
        std::map<quint64, quint64> other;
        for (auto it = theirs.constBegin(); it != theirs.constEnd(); ++it)
            other.emplace(quint64(it.key().toInteger()), quint64(it.value().toInteger()));
        QString found;
        auto otherIt = other.begin();
        mine.forEach([&](quint64 key, const auto &record) {
            if (otherIt != other.end() && otherIt->first < key) {
                found = QStringLiteral("tick %1: %2 %3 exists only on the healthy replica")
                            .arg(tick)
                            .arg(QLatin1String(kind))
                            .arg(otherIt->first);
                return false;
            }
            if (otherIt == other.end() || otherIt->first != key) {
                found = QStringLiteral("tick %1: %2 %3 \"%4\" exists only on this replica")
                            .arg(tick)
                            .arg(QLatin1String(kind))
                            .arg(key)
                            .arg(nameOf(record));
                return false;
            }
            if (otherIt->second != record.hash) {
                found = QStringLiteral("tick %1: %2 %3 \"%4\" differs (hash %5 here, %6 healthy)")
                            .arg(tick)
                            .arg(QLatin1String(kind))
                            .arg(key)
                            .arg(nameOf(record), hex(record.hash), hex(otherIt->second));
                return false;
            }
            ++otherIt;
            return true;
        });
        if (found.isEmpty() && otherIt != other.end())
            found = QStringLiteral("tick %1: %2 %3 exists only on the healthy replica")
                        .arg(tick)
                        .arg(QLatin1String(kind))
                        .arg(otherIt->first);
        return found;
    };
    const auto name = [](const auto &record) { return QString::fromStdString(record.name); };
    QString difference = compare(own->objects, theirObjects, "object", name);
    if (difference.isEmpty())
        difference = compare(own->avatars, theirAvatars, "avatar", name);
    if (difference.isEmpty())
        difference = QStringLiteral(
            "tick %1: objects and avatars agree; the difference is in script VMs or queued events")
                         .arg(tick);
    return difference;
}

void SimReplica::resync()
{
    if (m_resyncBusy || !m_upstream || !m_upstream->isReady())
        return;
    m_resyncBusy = true;
    if (!m_firstDifference.isEmpty()) {
        fetchSnapshot(0, {});
        return;
    }
    const quint64 tick = m_divergedTick;
    const bool sent = callLeader(QCborMap { { kType, QStringLiteral("objectHashes") },
                                     { QStringLiteral("tick"), qint64(tick) } },
        [this, tick](const QCborMap &reply) {
            if (reply.contains(QStringLiteral("error")))
                m_firstDifference = QStringLiteral("tick %1: not compared (%2)")
                                        .arg(tick)
                                        .arg(reply.value(QStringLiteral("error")).toString());
            else
                m_firstDifference = describeDifference(tick, reply);
            qCritical("sim replica %llu: first difference from the healthy replicas: %s",
                quint64(m_options.id), qPrintable(m_firstDifference));
            fetchSnapshot(0, {});
        });
    if (!sent)
        m_resyncBusy = false;
}

void SimReplica::fetchSnapshot(quint64 token, QByteArray sofar)
{
    const bool sent = callLeader(QCborMap { { kType, QStringLiteral("snapshot") },
                                     { QStringLiteral("snapshot"), qint64(token) },
                                     { QStringLiteral("offset"), qint64(sofar.size()) },
                                     { QStringLiteral("token"), m_options.clusterToken } },
        [this, sofar](const QCborMap &reply) mutable {
            if (reply.contains(QStringLiteral("error")) || !m_diverged) {
                m_resyncBusy = false; // tried again on a later tick
                return;
            }
            const QByteArray data = reply.value(QStringLiteral("data")).toByteArray();
            const qint64 size = reply.value(QStringLiteral("size")).toInteger();
            sofar.append(data);
            if (data.isEmpty() || sofar.size() > size) {
                m_resyncBusy = false;
                return;
            }
            if (sofar.size() < size) {
                fetchSnapshot(quint64(reply.value(QStringLiteral("snapshot")).toInteger()), sofar);
                return;
            }
            const quint64 index = quint64(reply.value(QStringLiteral("index")).toInteger());
            bool ok = false;
            QString error;
            m_node.callOnRaftThread([&] { ok = m_state->install(index, sofar, &error); });
            m_resyncBusy = false;
            if (!ok) {
                qWarning("sim replica %llu: resync snapshot not installed: %s",
                    quint64(m_options.id), qPrintable(error));
                return;
            }
            const SimStateMachine::View view = m_state->view();
            m_diverged = false;
            ++m_resyncs;
            m_resyncFloor = view.tick;
            m_detector.clear(m_options.id);
            qInfo("sim replica %llu resynced from a snapshot at index %llu, tick %llu (hash %s); "
                  "serving again",
                quint64(m_options.id), quint64(index), quint64(view.tick),
                qPrintable(hex(view.hash)));
            emit resynced(view.tick);
        });
    if (!sent)
        m_resyncBusy = false;
}

void SimReplica::onRoleChanged(RaftRole role)
{
    maintainUpstream();
    if (role == RaftRole::Leader) {
        // Announce this replica's gateway in the log, so every replica can send clients and
        // forwarded actions here whatever its own command line says.
        QString host;
        quint16 port = 0;
        if (splitAddress(m_options.clientAddress, &host, &port) && port != 0)
            m_memberChanges.push_back(MemberChange { m_options.id, m_options.clientAddress });
        // Actions this replica was forwarding are now its own to propose.
        for (auto it = m_pending.begin(); it != m_pending.end();) {
            QString error;
            const auto input
                = parseAction(it->second.message.value(QStringLiteral("action")).toMap(), &error);
            const BatchBuilder::Offer offer = input
                ? m_builder.offer(Action { it->first, SimStateMachine::encodeAction(*input) })
                : BatchBuilder::Offer::Full;
            if (offer == BatchBuilder::Offer::AlreadyCommitted) {
                sendAck(it->second.client, it->first, 0);
                it = m_pending.erase(it);
            } else {
                it->second.forwardedAt = -1;
                ++it;
            }
        }
        return;
    }
    // Actions gathered as leader may never be proposed now: they go to the new leader through
    // the forwarding path (or their clients are told to go elsewhere if none shows up).
    m_builder.takeUnacknowledged();
    m_memberChanges.clear();
    const qint64 now = m_clock.elapsed();
    for (auto &[key, pending] : m_pending) {
        pending.forwardedAt = -1;
        pending.since = now;
    }
    scheduleFlush();
}

void SimReplica::maintainUpstream()
{
    const RaftStatus raft = m_node.status();
    QString target;
    if (raft.role != RaftRole::Leader && raft.leaderId != 0 && raft.leaderId != m_options.id)
        target = clientAddressOf(raft.leaderId);
    if (target != m_upstreamAddress) {
        dropUpstream();
        m_upstreamAddress = target;
        m_upstreamRetryAt = 0;
        for (auto &[key, pending] : m_pending)
            pending.forwardedAt = -1;
    }
    if (target.isEmpty() || m_upstream || m_clock.elapsed() < m_upstreamRetryAt || !m_pins)
        return;
    QString host;
    quint16 port = 0;
    if (!splitAddress(target, &host, &port))
        return;
    m_upstream = net::Connection::connectToHost(host, port, *m_pins);
    net::Connection *upstream = m_upstream.get();
    connect(upstream, &net::Connection::ready, this, [this] { scheduleFlush(); });
    connect(upstream, &net::Connection::messageReceived, this, &SimReplica::onUpstreamMessage);
    connect(upstream, &net::Connection::disconnected, this, [this, upstream] {
        if (m_upstream.get() != upstream)
            return;
        QTimer::singleShot(0, this, [this, upstream] {
            if (m_upstream.get() == upstream) {
                dropUpstream();
                m_upstreamRetryAt = m_clock.elapsed() + 100;
            }
        });
    });
}

void SimReplica::dropUpstream()
{
    if (m_upstream) {
        m_upstream->disconnect(this);
        m_upstream->abort();
        m_upstream.release()->deleteLater();
    }
    // Calls in flight fail: their callers retry on the new connection.
    std::map<quint64, Reply> calls;
    calls.swap(m_calls);
    for (auto &[id, done] : calls)
        done(QCborMap { { QStringLiteral("error"), QStringLiteral("leader connection lost") } });
    for (auto &[key, pending] : m_pending)
        pending.forwardedAt = -1;
}

bool SimReplica::callLeader(QCborMap request, Reply done)
{
    if (!m_upstream || !m_upstream->isReady())
        return false;
    const quint64 requestId = m_upstream->request(std::move(request));
    if (requestId == 0)
        return false;
    m_calls.emplace(requestId, std::move(done));
    return true;
}

void SimReplica::onUpstreamMessage(const QCborMap &message)
{
    const QCborValue requestId = message.value(QStringLiteral("id"));
    if (requestId.isInteger()) {
        const auto call = m_calls.find(quint64(requestId.toInteger()));
        if (call != m_calls.end()) {
            Reply done = std::move(call->second);
            m_calls.erase(call);
            done(message);
            return;
        }
    }
    const QString type = message.value(kType).toString();
    const auto client = integer(message, "client");
    const auto seq = integer(message, "seq");
    if (!client || !seq)
        return;
    const ActionKey key { quint64(*client), quint64(*seq) };
    const auto it = m_pending.find(key);
    if (it == m_pending.end())
        return;
    Pending &pending = it->second;
    if (type == QLatin1String("ack")) {
        // The leader acks only what the cluster committed, so the client hears it now rather
        // than a tick later, when this replica learns the commit from the next entry. The ack
        // names the tick: a client that must read its own write here waits for that tick's
        // delta (every subscriber gets it) or for "tick" in status.
        const quint64 tick
            = quint64(qMax<qint64>(0, message.value(QStringLiteral("tick")).toInteger()));
        sendAck(pending.client, key, tick);
        m_pending.erase(it);
    } else if (type == QLatin1String("invalid")) {
        if (pending.client)
            pending.client->send(message);
        m_pending.erase(it);
    } else {
        // notLeader, busy, unavailable: sent again on a later tick or to the next leader.
        pending.forwardedAt = -1;
    }
}

void SimReplica::scheduleFlush()
{
    if (m_flushScheduled)
        return;
    m_flushScheduled = true;
    // Coalesces the actions and reports of about a millisecond into one message, so the leader's
    // per-connection rate limit counts batches, not actions.
    QTimer::singleShot(1, this, [this] {
        m_flushScheduled = false;
        flushForward();
    });
}

void SimReplica::flushForward()
{
    if (!m_upstream || !m_upstream->isReady() || m_node.status().role == RaftRole::Leader)
        return;
    const qint64 now = m_clock.elapsed();
    QCborArray actions;
    constexpr qsizetype MaxPerMessage = 512;
    bool more = false;
    for (auto &[key, pending] : m_pending) {
        if (pending.forwardedAt >= 0)
            continue;
        if (actions.size() >= MaxPerMessage) {
            more = true;
            break;
        }
        actions.append(pending.message);
        pending.forwardedAt = now;
    }
    QCborArray reports;
    for (const HashReport &report : m_reports)
        reports.append(
            QCborArray { qint64(report.replica), qint64(report.tick), wire(report.hash) });
    if (actions.isEmpty() && reports.isEmpty())
        return;
    if (m_upstream->send(QCborMap { { kType, QStringLiteral("forward") },
            { QStringLiteral("actions"), actions }, { QStringLiteral("reports"), reports },
            { QStringLiteral("token"), m_options.clusterToken } }))
        m_reports.clear();
    if (more)
        scheduleFlush();
}

void SimReplica::scheduleDeltas()
{
    if (m_deltasScheduled || m_subscribers.empty())
        return;
    m_deltasScheduled = true;
    QTimer::singleShot(0, this, [this] {
        m_deltasScheduled = false;
        pushDeltas();
    });
}

void SimReplica::pushDeltas()
{
    const SimStateMachine::View view = m_state->view();
    if (!view.world)
        return;
    const std::shared_ptr<const sim::WorldState> &now = view.world;
    const int page = qMax(1, m_options.statePageSize);
    // Subscribers at the same base get the same messages: computed once per base.
    std::map<const sim::WorldState *, std::vector<QCborMap>> cache;
    auto build = [&](const sim::WorldState *base) {
        std::vector<QCborMap> out;
        QCborArray objects;
        QCborArray avatars;
        QCborArray removedObjects;
        QCborArray removedAvatars;
        auto header = [&](bool final) {
            QCborMap message;
            if (base) {
                message.insert(kType, QStringLiteral("delta"));
                message.insert(QStringLiteral("from"), qint64(base->tick));
            } else {
                message.insert(kType, QStringLiteral("state"));
            }
            message.insert(QStringLiteral("tick"), qint64(now->tick));
            message.insert(QStringLiteral("final"), final);
            return message;
        };
        auto flush = [&](bool final) {
            QCborMap message = header(final);
            message.insert(QStringLiteral("objects"), objects);
            message.insert(QStringLiteral("avatars"), avatars);
            if (base) {
                message.insert(QStringLiteral("removedObjects"), removedObjects);
                message.insert(QStringLiteral("removedAvatars"), removedAvatars);
            }
            out.push_back(std::move(message));
            objects = {};
            avatars = {};
            removedObjects = {};
            removedAvatars = {};
        };
        auto full = [&] {
            return objects.size() + avatars.size() + removedObjects.size() + removedAvatars.size()
                >= page;
        };
        now->objects.forEach([&](sim::ObjectId key, const sim::Object &object) {
            const sim::Object *before = base ? base->objects.find(key) : nullptr;
            if (before && (before == &object || before->hash == object.hash))
                return;
            objects.append(encodeObject(object));
            if (full())
                flush(false);
        });
        now->avatars.forEach([&](sim::AvatarId key, const sim::Avatar &avatar) {
            const sim::Avatar *before = base ? base->avatars.find(key) : nullptr;
            if (before && (before == &avatar || before->hash == avatar.hash))
                return;
            avatars.append(encodeAvatar(avatar));
            if (full())
                flush(false);
        });
        if (base) {
            base->objects.forEach([&](sim::ObjectId key, const sim::Object &) {
                if (!now->objects.contains(key)) {
                    removedObjects.append(qint64(key));
                    if (full())
                        flush(false);
                }
            });
            base->avatars.forEach([&](sim::AvatarId key, const sim::Avatar &) {
                if (!now->avatars.contains(key)) {
                    removedAvatars.append(qint64(key));
                    if (full())
                        flush(false);
                }
            });
        }
        flush(true);
        return out;
    };
    std::vector<QCborMap> heard;
    for (auto it = m_subscribers.begin(); it != m_subscribers.end();) {
        Subscriber &subscriber = it->second;
        net::Connection *connection = subscriber.connection;
        if (!connection || !connection->isReady()) {
            it = m_subscribers.erase(it);
            continue;
        }
        // A tick's chat goes before its delta: once a client has the delta of tick n, it has
        // every line heard up to n (what it passes as "after" to the next replica).
        heard.clear();
        if (subscriber.avatar != 0 && subscriber.heardTick < quint64(now->tick))
            heardMessages(subscriber, quint64(now->tick), heard);
        const bool deltaOwed = subscriber.wantsState && subscriber.sent != now;
        if (!deltaOwed && heard.empty()) {
            ++it;
            continue;
        }
        // Too slow: what was sent for earlier ticks is still not written when the next is due.
        bool dropped = connection->bytesToWrite() > m_options.subscriberMaxQueueBytes;
        for (const QCborMap &message : heard) {
            if (dropped || !connection->send(message)) {
                dropped = true;
                break;
            }
        }
        if (deltaOwed && !dropped) {
            const sim::WorldState *base = subscriber.sent.get();
            auto messages = cache.find(base);
            if (messages == cache.end())
                messages = cache.emplace(base, build(base)).first;
            for (const QCborMap &message : messages->second) {
                if (!connection->send(message)) {
                    dropped = true;
                    break;
                }
            }
        }
        if (dropped) {
            ++m_subscribersDropped;
            qWarning("sim replica %llu: state subscriber %s too slow, disconnected",
                quint64(m_options.id), qPrintable(connection->peerAddress()));
            connection->close(QStringLiteral(
                "state stream: client too slow (more than %1 bytes queued), subscribe again")
                                  .arg(m_options.subscriberMaxQueueBytes));
            it = m_subscribers.erase(it);
            continue;
        }
        if (subscriber.wantsState)
            subscriber.sent = now;
        ++it;
    }
}

void SimReplica::heardMessages(Subscriber &subscriber, quint64 tick, std::vector<QCborMap> &out)
{
    const SimStateMachine::HeardLines heard
        = m_state->heardBy(subscriber.avatar, subscriber.heardTick, tick);
    subscriber.heardTick = tick;
    m_heardTicksMissed += heard.missedTicks;
    m_heardLinesSent += heard.lines.size();
    static const char *const rangeNames[] = { "whisper", "say", "shout", "region" };
    QCborArray lines;
    quint64 lineTick = 0;
    auto flush = [&] {
        QCborMap message { { kType, QStringLiteral("heard") },
            { QStringLiteral("tick"), qint64(lineTick) }, { QStringLiteral("lines"), lines } };
        if (out.empty() && heard.missedTicks != 0)
            message.insert(QStringLiteral("missedTicks"), qint64(heard.missedTicks));
        out.push_back(std::move(message));
        lines = {};
    };
    for (const auto &[at, line] : heard.lines) {
        if (at != lineTick && !lines.isEmpty())
            flush();
        lineTick = at;
        const auto range = size_t(line.range);
        lines.append(QCborMap { { QStringLiteral("speaker"), qint64(line.speaker) },
            { QStringLiteral("fromAvatar"), line.fromAvatar },
            { QStringLiteral("name"), QString::fromStdString(line.name) },
            { QStringLiteral("channel"), qint64(line.channel) },
            { QStringLiteral("range"),
                QLatin1String(range < std::size(rangeNames) ? rangeNames[range] : "say") },
            { QStringLiteral("pos"), vec3(line.position) },
            { QStringLiteral("text"), QString::fromStdString(line.text) } });
    }
    if (!lines.isEmpty()) {
        flush();
    } else if (heard.missedTicks != 0) {
        lineTick = tick;
        flush();
    }
}

void SimReplica::dropClients(const QString &reason)
{
    for (net::Connection *connection : m_server.connections())
        connection->close(reason);
}

int runSimReplica(const SimReplicaOptions &options)
{
    SimReplica replica(options);
    QString error;
    if (!replica.start(&error)) {
        std::fprintf(stderr, "sim replica %llu: %s\n", quint64(options.id), qPrintable(error));
        return 1;
    }
    std::printf("READY client=%u raft=%s\n", unsigned(replica.clientPort()),
        qPrintable(options.raftAddress));
    std::fflush(stdout);
    return QCoreApplication::exec();
}

} // namespace metatopia::cluster
