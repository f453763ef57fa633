// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

// Shared pieces of the multi-process sim cluster tests: replicas as real processes
// (sim_cluster_test_replica) on 127.0.0.1, one-shot requests to their client gateways, a client
// that sends actions continuously and resends what was not acknowledged, and the checks every
// test ends with (each acknowledged action exactly once everywhere, identical per-tick hashes).

#include "ClusterTestUtil.h"
#include "net/Connection.h"
#include "net/PinStore.h"

#include <QCborArray>
#include <QCborMap>
#include <QCborValue>
#include <QElapsedTimer>
#include <QProcess>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

#include <algorithm>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <vector>

namespace metatopia::cluster::test {

inline QString simReplicaExecutable()
{
    return QStringLiteral(METATOPIA_BIN_DIR "/sim_cluster_test_replica");
}

inline QPair<QString, quint16> splitHostPort(const QString &address)
{
    return { address.section(QLatin1Char(':'), 0, 0),
        quint16(address.section(QLatin1Char(':'), 1).toUInt()) };
}

struct SimNode
{
    quint64 id = 0;
    QString raft;
    QString client;
    QString dir;
    QStringList args;
    std::unique_ptr<QProcess> process;

    bool running() const { return process && process->state() == QProcess::Running; }
};

// Starts the process and waits (bounded) for its READY line.
inline bool startSimNode(SimNode &node)
{
    node.process = std::make_unique<QProcess>();
    node.process->setProcessChannelMode(QProcess::ForwardedErrorChannel);
    node.process->start(simReplicaExecutable(), node.args);
    if (!node.process->waitForStarted(10000))
        return false;
    QByteArray out;
    QElapsedTimer timer;
    timer.start();
    while (!out.contains("READY") && timer.elapsed() < 20000) {
        if (!node.process->waitForReadyRead(1000) && node.process->state() != QProcess::Running)
            return false;
        out += node.process->readAllStandardOutput();
    }
    return out.contains("READY");
}

inline void killSimNode(SimNode &node)
{
    if (node.process && node.process->state() != QProcess::NotRunning) {
        node.process->kill(); // SIGKILL
        node.process->waitForFinished(5000);
    }
}

// One request/response on a fresh connection, bounded.
inline std::optional<QCborMap> queryGateway(
    net::PinStore &pins, const QString &address, QCborMap request, int timeoutMs = 5000)
{
    const auto [host, port] = splitHostPort(address);
    auto connection = net::Connection::connectToHost(host, port, pins);
    QSignalSpy ready(connection.get(), &net::Connection::ready);
    QSignalSpy gone(connection.get(), &net::Connection::disconnected);
    QSignalSpy messages(connection.get(), &net::Connection::messageReceived);
    if (!connection->isReady() && !ready.wait(3000))
        return std::nullopt;
    const quint64 id = connection->request(std::move(request));
    if (id == 0)
        return std::nullopt;
    QElapsedTimer timer;
    timer.start();
    while (timer.elapsed() < timeoutMs) {
        for (const QList<QVariant> &args : messages) {
            const QCborMap reply = args.at(0).value<QCborMap>();
            if (quint64(reply.value(QStringLiteral("id")).toInteger()) == id)
                return reply;
        }
        messages.clear();
        if (!gone.isEmpty())
            return std::nullopt;
        messages.wait(200);
    }
    return std::nullopt;
}

// A connection to a gateway once its handshake is done; null if it is not done within 5 s.
inline std::unique_ptr<net::Connection> connectToGateway(
    const QString &address, net::PinStore &pins)
{
    const auto [host, port] = splitHostPort(address);
    auto connection = net::Connection::connectToHost(host, port, pins);
    QSignalSpy ready(connection.get(), &net::Connection::ready);
    if (!ready.wait(5000))
        return nullptr;
    return connection;
}

// How many "ack" messages a connection's messageReceived spy has seen.
inline int countAcks(const QSignalSpy &messages)
{
    int count = 0;
    for (const QList<QVariant> &args : messages) {
        if (args.at(0).value<QCborMap>().value(QStringLiteral("t")).toString()
            == QLatin1String("ack"))
            ++count;
    }
    return count;
}

inline QCborMap createAction(const QString &name, qint64 owner, qint64 x)
{
    return QCborMap { { QStringLiteral("kind"), QStringLiteral("create") },
        { QStringLiteral("name"), name }, { QStringLiteral("owner"), owner },
        { QStringLiteral("x"), x }, { QStringLiteral("y"), 1500 }, { QStringLiteral("z"), 20 } };
}

// A client that sends "create" actions named c<client>-<seq> as fast as its window allows,
// follows notLeader redirects, reconnects round-robin when its replica goes away and resends
// everything not acknowledged.
class ActionClient final : public QObject
{
public:
    ActionClient(quint64 id, QStringList addresses, net::PinStore &pins, int window = 32)
        : m_id(id)
        , m_addresses(std::move(addresses))
        , m_pins(pins)
        , m_window(size_t(window))
    {
        m_clock.start();
        m_timer.setInterval(4);
        connect(&m_timer, &QTimer::timeout, this, &ActionClient::pump);
        m_timer.start();
        connectTo(m_addresses.first());
    }

    void setSending(bool on) { m_sending = on; }
    const std::map<quint64, qint64> &acked() const { return m_acked; } // seq -> ack time (ms)
    size_t unacked() const { return m_unacked.size(); }
    quint64 duplicateAcks() const { return m_duplicateAcks; }
    quint64 notLeaders() const { return m_notLeaders; }
    quint64 reconnects() const { return m_reconnects; }
    const QString &currentAddress() const { return m_current; }
    const std::set<quint64> &unackedSeqs() const { return m_unacked; }
    // Milliseconds from the first send to the ack, sorted.
    std::vector<qint64> latencies() const
    {
        std::vector<qint64> out;
        for (const auto &[seq, at] : m_acked)
            out.push_back(at - m_sentAt.at(seq));
        std::sort(out.begin(), out.end());
        return out;
    }
    qint64 now() const { return m_clock.elapsed(); }
    QString name(quint64 seq) const { return QStringLiteral("c%1-%2").arg(m_id).arg(seq); }

private:
    void connectTo(const QString &address)
    {
        m_reconnecting = false;
        if (m_connection) {
            m_connection->disconnect(this);
            m_connection.release()->deleteLater();
        }
        const auto [host, port] = splitHostPort(address);
        m_current = address;
        m_connection = net::Connection::connectToHost(host, port, m_pins);
        connect(m_connection.get(), &net::Connection::ready, this, [this] {
            for (quint64 seq : m_unacked)
                send(seq);
        });
        connect(
            m_connection.get(), &net::Connection::messageReceived, this, &ActionClient::onMessage);
        connect(
            m_connection.get(), &net::Connection::disconnected, this, [this] { reconnect({}); });
    }

    void reconnect(const QString &leader)
    {
        if (m_reconnecting)
            return;
        m_reconnecting = true;
        ++m_reconnects;
        QString next = leader;
        if (next.isEmpty() || next == m_current)
            next = m_addresses.at((m_addresses.indexOf(m_current) + 1) % m_addresses.size());
        // A short back-off so a cluster in the middle of an election is not hammered.
        QTimer::singleShot(30, this, [this, next] { connectTo(next); });
    }

    void send(quint64 seq)
    {
        m_connection->send(QCborMap { { QStringLiteral("t"), QStringLiteral("action") },
            { QStringLiteral("client"), qint64(m_id) }, { QStringLiteral("seq"), qint64(seq) },
            { QStringLiteral("action"),
                createAction(name(seq), qint64(m_id), qint64(seq % 200) * 1000) } });
    }

    void pump()
    {
        if (!m_sending || !m_connection || !m_connection->isReady() || m_unacked.size() >= m_window)
            return;
        const quint64 seq = m_nextSeq++;
        m_unacked.insert(seq);
        m_sentAt.emplace(seq, m_clock.elapsed());
        send(seq);
    }

    void onMessage(const QCborMap &message)
    {
        const QString type = message.value(QStringLiteral("t")).toString();
        const quint64 seq = quint64(message.value(QStringLiteral("seq")).toInteger());
        if (type == QLatin1String("ack")) {
            if (m_acked.contains(seq))
                ++m_duplicateAcks;
            else
                m_acked.emplace(seq, m_clock.elapsed());
            m_unacked.erase(seq);
        } else if (type == QLatin1String("notLeader")) {
            ++m_notLeaders;
            reconnect(message.value(QStringLiteral("leader")).toString());
        } else if (type == QLatin1String("busy") || type == QLatin1String("unavailable")) {
            reconnect({});
        }
    }

    quint64 m_id;
    QStringList m_addresses;
    net::PinStore &m_pins;
    size_t m_window;
    std::unique_ptr<net::Connection> m_connection;
    QString m_current;
    bool m_reconnecting = false;
    bool m_sending = true;
    QTimer m_timer;
    quint64 m_nextSeq = 1;
    std::set<quint64> m_unacked;
    std::map<quint64, qint64> m_acked;
    std::map<quint64, qint64> m_sentAt; // first send
    quint64 m_duplicateAcks = 0;
    quint64 m_notLeaders = 0;
    quint64 m_reconnects = 0;
    QElapsedTimer m_clock;
};

// N replicas of one sim cluster (ids 1..N) plus the helpers the tests share.
class SimClusterFixture
{
public:
    QTemporaryDir dir;
    std::vector<SimNode> nodes; // nodes[i].id == i + 1
    std::unique_ptr<net::PinStore> pins;
    QStringList commonArgs { QStringLiteral("--snapshot-threshold"), QStringLiteral("100") };

    ~SimClusterFixture()
    {
        for (SimNode &node : nodes)
            killSimNode(node);
    }

    // Creates nodes 1..count (addresses only).
    bool prepare(int count)
    {
        if (!dir.isValid() || !QFile::exists(simReplicaExecutable()))
            return false;
        pins = std::make_unique<net::PinStore>(dir.filePath(QStringLiteral("pins")));
        for (int i = 0; i < count; ++i) {
            if (!addNode())
                return false;
        }
        return true;
    }

    SimNode *addNode()
    {
        SimNode node;
        node.id = nodes.size() + 1;
        node.raft = freeLoopbackAddress();
        node.client = freeLoopbackAddress();
        if (node.raft.isEmpty() || node.client.isEmpty() || node.raft == node.client)
            return nullptr;
        node.dir = dir.filePath(QStringLiteral("replica%1").arg(node.id));
        nodes.push_back(std::move(node));
        return &nodes.back();
    }

    // The peers list of the given nodes ("id=raft/client,...").
    QString peersOf(const std::vector<quint64> &ids) const
    {
        QStringList peers;
        for (quint64 id : ids) {
            const SimNode &node = nodes.at(id - 1);
            peers << QStringLiteral("%1=%2/%3").arg(id).arg(node.raft, node.client);
        }
        return peers.join(QLatin1Char(','));
    }

    void setArgs(SimNode &node, const QString &peers, bool join = false)
    {
        node.args = QStringList { QStringLiteral("--id"), QString::number(node.id),
            QStringLiteral("--cluster"), QStringLiteral("7"), QStringLiteral("--raft"), node.raft,
            QStringLiteral("--client"), node.client, QStringLiteral("--data"), node.dir,
            QStringLiteral("--peers"), peers };
        node.args << commonArgs;
        if (join)
            node.args << QStringLiteral("--join");
    }

    // Bootstraps every prepared node as one cluster.
    bool startAll()
    {
        std::vector<quint64> ids;
        for (const SimNode &node : nodes)
            ids.push_back(node.id);
        const QString peers = peersOf(ids);
        for (SimNode &node : nodes) {
            setArgs(node, peers);
            if (!startSimNode(node))
                return false;
        }
        return true;
    }

    SimNode &node(quint64 id) { return nodes.at(id - 1); }

    QStringList clientAddresses(const std::vector<quint64> &ids = {}) const
    {
        QStringList out;
        for (const SimNode &node : nodes) {
            if (ids.empty() || std::find(ids.begin(), ids.end(), node.id) != ids.end())
                out << node.client;
        }
        return out;
    }

    std::optional<QCborMap> query(const SimNode &node, QCborMap request, int timeoutMs = 5000)
    {
        if (!node.running())
            return std::nullopt;
        return queryGateway(*pins, node.client, std::move(request), timeoutMs);
    }

    std::optional<QCborMap> status(const SimNode &node)
    {
        return query(node, QCborMap { { QStringLiteral("t"), QStringLiteral("status") } });
    }

    // The id of the live replica that says it leads, 0 if none does.
    quint64 leader()
    {
        for (const SimNode &node : nodes) {
            const auto reply = status(node);
            if (reply && reply->value(QStringLiteral("role")).toString() == QLatin1String("leader"))
                return node.id;
        }
        return 0;
    }

    qint64 statusValue(const SimNode &node, const char *key)
    {
        const auto reply = status(node);
        return reply ? reply->value(QLatin1String(key)).toInteger() : -1;
    }

    // Every replica's status on stderr, to see where a failed wait got stuck.
    void dumpStatus(const char *why)
    {
        qWarning("%s; replica statuses:", why);
        for (const SimNode &node : nodes) {
            const auto reply = status(node);
            qWarning("  replica %llu (%s, client %s): %s", node.id,
                node.running() ? "running" : "not running", qPrintable(node.client),
                reply ? qPrintable(QCborValue(*reply).toDiagnosticNotation()) : "no status");
        }
    }
};

// Every replica in `ids` catches up and holds each action of `clients` it acknowledged exactly
// once, and all of them hold the same object names.
inline void verifyExactlyOnce(SimClusterFixture &cluster, const std::vector<quint64> &ids,
    const std::vector<const ActionClient *> &clients, int timeoutMs = 15000)
{
    std::optional<QCborArray> reference;
    for (quint64 id : ids) {
        QCborArray names;
        auto holdsAll = [&] {
            const auto reply = cluster.query(
                cluster.node(id), QCborMap { { QStringLiteral("t"), QStringLiteral("objects") } });
            if (!reply)
                return false;
            names = reply->value(QStringLiteral("names")).toArray();
            std::set<QString> present;
            for (const QCborValue &name : names)
                present.insert(name.toString());
            for (const ActionClient *client : clients) {
                for (const auto &[seq, at] : client->acked()) {
                    if (!present.contains(client->name(seq)))
                        return false;
                }
            }
            return true;
        };
        QTRY_VERIFY_WITH_TIMEOUT(holdsAll(), timeoutMs);
        std::map<QString, int> counts;
        for (const QCborValue &name : names)
            ++counts[name.toString()];
        for (const auto &[name, count] : counts)
            QVERIFY2(count == 1, qPrintable(name));
        if (!reference) {
            reference = names;
        } else {
            // Replicas may differ by the actions that committed since the previous query: the
            // shorter list must be a prefix of the longer one (objects are listed in id order).
            const QCborArray &a = reference->size() <= names.size() ? *reference : names;
            const QCborArray &b = reference->size() <= names.size() ? names : *reference;
            for (qsizetype i = 0; i < a.size(); ++i)
                QCOMPARE(a.at(i).toString(), b.at(i).toString());
        }
    }
}

// The replicas in `ids` agree on the state hash of every tick they all still remember in the
// last `span` ticks up to the lowest current tick; returns how many ticks were compared.
inline int verifyHashesAgree(
    SimClusterFixture &cluster, const std::vector<quint64> &ids, quint64 span = 300)
{
    quint64 common = std::numeric_limits<quint64>::max();
    for (quint64 id : ids) {
        const qint64 tick = cluster.statusValue(cluster.node(id), "tick");
        if (tick < 0) {
            QTest::qFail("a replica did not answer status", __FILE__, __LINE__);
            return 0;
        }
        common = qMin(common, quint64(tick));
    }
    std::map<qint64, QString> byTick;
    int compared = 0;
    for (quint64 id : ids) {
        const auto reply = cluster.query(cluster.node(id),
            QCborMap { { QStringLiteral("t"), QStringLiteral("hashes") },
                { QStringLiteral("from"), qint64(common > span ? common - span : 1) },
                { QStringLiteral("to"), qint64(common) } });
        if (!reply) {
            QTest::qFail("a replica did not answer hashes", __FILE__, __LINE__);
            return 0;
        }
        const QCborMap hashes = reply->value(QStringLiteral("hashes")).toMap();
        if (!hashes.contains(qint64(common))) {
            QTest::qFail("a replica lacks the common tick's hash", __FILE__, __LINE__);
            return 0;
        }
        for (auto it = hashes.constBegin(); it != hashes.constEnd(); ++it) {
            const auto [known, inserted]
                = byTick.emplace(it.key().toInteger(), it.value().toString());
            if (!inserted) {
                if (it.value().toString() != known->second) {
                    QTest::qFail(qPrintable(QStringLiteral("replica %1 differs at tick %2")
                                                .arg(id)
                                                .arg(it.key().toInteger())),
                        __FILE__, __LINE__);
                    return 0;
                }
                ++compared;
            }
        }
    }
    return compared;
}

} // namespace metatopia::cluster::test
