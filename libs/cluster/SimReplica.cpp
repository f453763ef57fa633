// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "cluster/SimReplica.h"

#include "net/TlsIdentity.h"

#include <QCborArray>
#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QHostAddress>

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

std::string text(const QCborMap &map, const char *key)
{
    return map.value(QLatin1String(key)).toString().toStdString();
}

quint64 id(const QCborMap &map, const char *key)
{
    return quint64(qMax<qint64>(0, map.value(QLatin1String(key)).toInteger()));
}

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
        const auto at = position(action, error);
        if (!at)
            return std::nullopt;
        create.position = *at;
        create.scale = FVec3 { Fixed::one(), Fixed::one(), Fixed::one() };
        return create;
    }
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
        sim::AvatarMove move;
        move.avatar = id(action, "avatar");
        move.position = *at;
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

SimReplica::SimReplica(SimReplicaOptions options, QObject *parent)
    : QObject(parent)
    , m_options(std::move(options))
    , m_state(std::make_shared<SimStateMachine>(stateOptions(m_options)))
    , m_node(m_state)
    , m_builder(m_options.maxActionsPerTick)
    , m_server(serverOptions(m_options))
{
    m_ticker.setTimerType(Qt::PreciseTimer);
    m_ticker.setInterval(1000 / qMax(1, m_options.tickRateHz));
    connect(&m_ticker, &QTimer::timeout, this, &SimReplica::onTick);
    connect(&m_node, &RaftNode::committed, this, &SimReplica::onCommitted);
    connect(&m_node, &RaftNode::roleChanged, this, &SimReplica::onRoleChanged);
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
    m_ticker.start();
    return true;
}

void SimReplica::stop()
{
    m_ticker.stop();
    m_server.close();
    m_node.stop();
}

quint16 SimReplica::clientPort() const
{
    return m_server.serverPort();
}

QString SimReplica::clientAddressOf(quint64 id) const
{
    for (const SimPeer &peer : m_options.peers) {
        if (peer.id == id)
            return peer.clientAddress;
    }
    return {};
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
    out.insert(QStringLiteral("snapshotsRestored"), qint64(raft.snapshotsRestored));
    out.insert(QStringLiteral("clients"), qint64(m_server.connections().size()));
    out.insert(QStringLiteral("objects"), qint64(view.world ? view.world->objects.size() : 0));
    out.insert(QStringLiteral("actionsApplied"), qint64(view.actionsApplied));
    out.insert(QStringLiteral("duplicates"), qint64(view.duplicates));
    out.insert(QStringLiteral("divergences"), qint64(view.divergences));
    out.insert(QStringLiteral("diverged"), m_diverged);
    if (view.firstDivergence)
        out.insert(QStringLiteral("divergedTick"), qint64(view.firstDivergence->tick));
    return out;
}

void SimReplica::onConnection(net::Connection *connection)
{
    connect(connection, &net::Connection::messageReceived, this,
        [this, connection](const QCborMap &message) { onMessage(connection, message); });
}

void SimReplica::onMessage(net::Connection *connection, const QCborMap &message)
{
    const QString type = message.value(kType).toString();
    if (type == QLatin1String("action")) {
        onAction(connection, message);
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
    } else {
        connection->replyError(message, QStringLiteral("unknown message type \"%1\"").arg(type));
    }
}

void SimReplica::onAction(net::Connection *connection, const QCborMap &message)
{
    const auto client = integer(message, "client");
    const auto seq = integer(message, "seq");
    const QCborValue seqValue = message.value(QStringLiteral("seq"));
    if (!client || !seq || *client <= 0 || *seq <= 0) {
        connection->send(
            QCborMap { { kType, QStringLiteral("invalid") }, { QStringLiteral("seq"), seqValue },
                { QStringLiteral("error"),
                    QStringLiteral("client and seq must be positive integers") } });
        return;
    }
    if (m_diverged) {
        connection->send(
            QCborMap { { kType, QStringLiteral("unavailable") }, { QStringLiteral("seq"), *seq } });
        return;
    }
    const RaftStatus raft = m_node.status();
    if (raft.role != RaftRole::Leader) {
        connection->send(
            QCborMap { { kType, QStringLiteral("notLeader") }, { QStringLiteral("seq"), *seq },
                { QStringLiteral("leader"), clientAddressOf(raft.leaderId) } });
        return;
    }
    QString error;
    const auto input = parseAction(message.value(QStringLiteral("action")).toMap(), &error);
    if (!input) {
        connection->send(QCborMap { { kType, QStringLiteral("invalid") },
            { QStringLiteral("seq"), *seq }, { QStringLiteral("error"), error } });
        return;
    }
    const ActionKey key { quint64(*client), quint64(*seq) };
    switch (m_builder.offer(Action { key, SimStateMachine::encodeAction(*input) })) {
    case BatchBuilder::Offer::Queued:
    case BatchBuilder::Offer::AlreadyPending:
        m_waiting[key] = connection;
        break;
    case BatchBuilder::Offer::AlreadyCommitted:
        connection->send(
            QCborMap { { kType, QStringLiteral("ack") }, { QStringLiteral("client"), *client },
                { QStringLiteral("seq"), *seq }, { QStringLiteral("tick"), 0 } });
        break;
    case BatchBuilder::Offer::Full:
        connection->send(
            QCborMap { { kType, QStringLiteral("busy") }, { QStringLiteral("seq"), *seq } });
        break;
    }
}

void SimReplica::onTick()
{
    if (m_diverged || m_inFlight >= m_options.maxInFlight
        || m_node.status().role != RaftRole::Leader)
        return;
    const SimStateMachine::View view = m_state->view();
    TickEntry entry;
    entry.tick = view.tick + quint64(m_inFlight) + 1;
    entry.hashTick = view.tick;
    entry.hash = view.hash;
    entry.actions = m_builder.takeBatch();
    if (entry.actions.isEmpty())
        entry.actions = ActionBatch {}.encode();
    ++m_inFlight;
    QElapsedTimer proposed;
    proposed.start();
    m_node.propose(entry.encode(), [this, proposed](const ProposeResult &result) {
        --m_inFlight;
        if (result.ok)
            m_commitLatencyUs = proposed.nsecsElapsed() / 1000;
        // Still leader: try the actions again (a copy that commits after all is de-duplicated).
        // No longer leader: onRoleChanged dropped them and the clients resend elsewhere.
        if (!result.ok && m_node.status().role == RaftRole::Leader)
            m_builder.requeueInFlight();
    });
}

void SimReplica::onCommitted(quint64 index, const QByteArray &batch)
{
    const std::optional<TickEntry> entry = TickEntry::decode(batch);
    if (entry) {
        const quint64 tick = m_state->tickOfIndex(index).value_or(0);
        for (const ActionKey &key : m_builder.noteCommitted(entry->actions)) {
            const auto waiting = m_waiting.find(key);
            if (waiting == m_waiting.end())
                continue;
            if (waiting->second) {
                waiting->second->send(QCborMap { { kType, QStringLiteral("ack") },
                    { QStringLiteral("client"), qint64(key.clientId) },
                    { QStringLiteral("seq"), qint64(key.seq) },
                    { QStringLiteral("tick"), qint64(tick) } });
            }
            m_waiting.erase(waiting);
        }
    }
    if (!m_diverged) {
        const SimStateMachine::View view = m_state->view();
        if (view.firstDivergence) {
            m_diverged = true;
            qCritical("sim replica %llu DIVERGED at tick %llu: own hash %s, leader's %s; no longer "
                      "serving clients",
                quint64(m_options.id), quint64(view.firstDivergence->tick),
                qPrintable(hex(view.firstDivergence->ownHash)),
                qPrintable(hex(view.firstDivergence->leaderHash)));
            dropClients(QStringLiteral("replica diverged"));
            emit diverged(view.firstDivergence->tick, view.firstDivergence->ownHash,
                view.firstDivergence->leaderHash);
        }
    }
}

void SimReplica::onRoleChanged(RaftRole role)
{
    if (role == RaftRole::Leader)
        return;
    // Actions gathered as leader may never be proposed now: let their clients resend them to
    // the new leader (reconnecting is what tells them to).
    const bool hadPending
        = !m_waiting.empty() || m_builder.hasQueued() || m_builder.inFlightCount() > 0;
    m_builder.takeUnacknowledged();
    m_waiting.clear();
    if (hadPending)
        dropClients(QStringLiteral("leader changed"));
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
