// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// Three sim replicas as real processes on 127.0.0.1 (sim_cluster_test_replica), a client sending
// actions continuously through the TLS client gateway, the leader killed with SIGKILL several
// times and restarted from its data dir: every acknowledged action is in the final sim state
// exactly once on every replica, and the replicas' state hashes agree tick by tick.

#include "ClusterTestUtil.h"
#include "net/Connection.h"
#include "net/PinStore.h"

#include <QCborArray>
#include <QElapsedTimer>
#include <QProcess>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <map>
#include <memory>
#include <set>

using namespace metatopia;
using metatopia::cluster::test::freeLoopbackAddress;

namespace {

struct Node
{
    quint64 id = 0;
    QString raft;
    QString client;
    QString dir;
    QStringList args;
    std::unique_ptr<QProcess> process;
};

QString executable()
{
    return QStringLiteral(METATOPIA_BIN_DIR "/sim_cluster_test_replica");
}

bool startNode(Node &node)
{
    node.process = std::make_unique<QProcess>();
    node.process->setProcessChannelMode(QProcess::ForwardedErrorChannel);
    node.process->start(executable(), node.args);
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

QPair<QString, quint16> split(const QString &address)
{
    return { address.section(QLatin1Char(':'), 0, 0),
        quint16(address.section(QLatin1Char(':'), 1).toUInt()) };
}

// One request/response on a fresh connection, bounded.
std::optional<QCborMap> query(net::PinStore &pins, const QString &address, QCborMap request)
{
    const auto [host, port] = split(address);
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
    while (timer.elapsed() < 5000) {
        for (const QList<QVariant> &args : messages) {
            const QCborMap reply = args.at(0).value<QCborMap>();
            if (quint64(reply.value(QStringLiteral("id")).toInteger()) == id)
                return reply;
        }
        messages.clear();
        if (!gone.isEmpty() || !messages.wait(1000))
            if (!gone.isEmpty())
                return std::nullopt;
    }
    return std::nullopt;
}

// A client that sends "create" actions named c<client>-<seq> as fast as the window allows,
// follows notLeader redirects, reconnects round-robin when its replica goes away and resends
// everything not acknowledged.
class Client final : public QObject
{
public:
    Client(quint64 id, QStringList addresses, net::PinStore &pins)
        : m_id(id)
        , m_addresses(std::move(addresses))
        , m_pins(pins)
    {
        m_timer.setInterval(4);
        connect(&m_timer, &QTimer::timeout, this, &Client::pump);
        m_timer.start();
        connectTo(m_addresses.first());
    }

    void setSending(bool on) { m_sending = on; }
    const std::map<quint64, qint64> &acked() const { return m_acked; } // seq -> ack time (ms)
    size_t unacked() const { return m_unacked.size(); }
    quint64 duplicateAcks() const { return m_duplicateAcks; }
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
        const auto [host, port] = split(address);
        m_current = address;
        m_connection = net::Connection::connectToHost(host, port, m_pins);
        connect(m_connection.get(), &net::Connection::ready, this, [this] {
            for (quint64 seq : m_unacked)
                send(seq);
        });
        connect(m_connection.get(), &net::Connection::messageReceived, this, &Client::onMessage);
        connect(
            m_connection.get(), &net::Connection::disconnected, this, [this] { reconnect({}); });
    }

    void reconnect(const QString &leader)
    {
        if (m_reconnecting)
            return;
        m_reconnecting = true;
        QString next = leader;
        if (next.isEmpty() || next == m_current)
            next = m_addresses.at((m_addresses.indexOf(m_current) + 1) % m_addresses.size());
        // A short back-off so a cluster in the middle of an election is not hammered.
        QTimer::singleShot(30, this, [this, next] { connectTo(next); });
    }

    void send(quint64 seq)
    {
        QCborMap action { { QStringLiteral("kind"), QStringLiteral("create") },
            { QStringLiteral("name"), name(seq) }, { QStringLiteral("owner"), qint64(m_id) },
            { QStringLiteral("x"), qint64(seq % 200) * 1000 }, { QStringLiteral("y"), 1500 },
            { QStringLiteral("z"), 20 } };
        m_connection->send(QCborMap { { QStringLiteral("t"), QStringLiteral("action") },
            { QStringLiteral("client"), qint64(m_id) }, { QStringLiteral("seq"), qint64(seq) },
            { QStringLiteral("action"), action } });
    }

    void pump()
    {
        if (!m_sending || !m_connection || !m_connection->isReady() || m_unacked.size() >= 32)
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
            reconnect(message.value(QStringLiteral("leader")).toString());
        } else if (type == QLatin1String("busy") || type == QLatin1String("unavailable")) {
            reconnect({});
        }
    }

    quint64 m_id;
    QStringList m_addresses;
    net::PinStore &m_pins;
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
    QElapsedTimer m_clock { [] {
        QElapsedTimer t;
        t.start();
        return t;
    }() };
};

} // namespace

class SimClusterTest : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    std::vector<Node> m_nodes;
    std::unique_ptr<net::PinStore> m_pins;

    std::optional<QCborMap> status(const Node &node)
    {
        if (!node.process || node.process->state() != QProcess::Running)
            return std::nullopt;
        return query(
            *m_pins, node.client, QCborMap { { QStringLiteral("t"), QStringLiteral("status") } });
    }

    // The id of the live replica that says it leads, 0 if none does.
    quint64 leader()
    {
        for (const Node &node : m_nodes) {
            const auto reply = status(node);
            if (reply && reply->value(QStringLiteral("role")).toString() == QLatin1String("leader"))
                return node.id;
        }
        return 0;
    }

    Node &node(quint64 id) { return m_nodes.at(id - 1); }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        QVERIFY2(QFile::exists(executable()), qPrintable(executable()));
        m_pins = std::make_unique<net::PinStore>(m_dir.filePath(QStringLiteral("pins")));
        QStringList peers;
        for (quint64 id = 1; id <= 3; ++id) {
            Node node;
            node.id = id;
            node.raft = freeLoopbackAddress();
            node.client = freeLoopbackAddress();
            QVERIFY(!node.raft.isEmpty() && !node.client.isEmpty() && node.raft != node.client);
            node.dir = m_dir.filePath(QStringLiteral("replica%1").arg(id));
            peers << QStringLiteral("%1=%2/%3").arg(id).arg(node.raft, node.client);
            m_nodes.push_back(std::move(node));
        }
        for (Node &node : m_nodes) {
            node.args = QStringList { QStringLiteral("--id"), QString::number(node.id),
                QStringLiteral("--cluster"), QStringLiteral("7"), QStringLiteral("--raft"),
                node.raft, QStringLiteral("--client"), node.client, QStringLiteral("--data"),
                node.dir, QStringLiteral("--peers"), peers.join(QLatin1Char(',')),
                QStringLiteral("--snapshot-threshold"), QStringLiteral("100") };
            QVERIFY(startNode(node));
        }
    }

    void cleanupTestCase()
    {
        for (Node &node : m_nodes) {
            if (node.process) {
                node.process->kill();
                node.process->waitForFinished(5000);
            }
        }
    }

    void failoverKeepsEveryAcknowledgedActionOnce()
    {
        QStringList addresses;
        for (const Node &node : m_nodes)
            addresses << node.client;
        Client client(42, addresses, *m_pins);

        QTRY_VERIFY_WITH_TIMEOUT(leader() != 0, 15000);
        QTRY_VERIFY_WITH_TIMEOUT(client.acked().size() >= 30, 15000);
        // Every replica has applied well past the snapshot threshold (100), so each holds a
        // snapshot on disk and a killed one restarts through SimStateMachine::restore, whatever
        // the machine's speed.
        for (const Node &node : m_nodes) {
            auto appliedPastSnapshots = [&] {
                const auto reply = status(node);
                return reply && reply->value(QStringLiteral("applied")).toInteger() >= 250;
            };
            QTRY_VERIFY_WITH_TIMEOUT(appliedPastSnapshots(), 30000);
        }

        constexpr int Kills = 4;
        std::vector<qint64> failoverMs;
        for (int kill = 0; kill < Kills; ++kill) {
            quint64 victim = 0;
            QTRY_VERIFY_WITH_TIMEOUT((victim = leader()) != 0, 10000);
            const size_t before = client.acked().size();
            const qint64 killedAt = client.now();
            node(victim).process->kill(); // SIGKILL
            QVERIFY(node(victim).process->waitForFinished(5000));
            // A new leader takes over and actions are acknowledged again.
            QTRY_VERIFY_WITH_TIMEOUT(client.acked().size() >= before + 20, 15000);
            qint64 firstAck = -1;
            for (const auto &[seq, at] : client.acked()) {
                if (at > killedAt && (firstAck < 0 || at < firstAck))
                    firstAck = at;
            }
            failoverMs.push_back(firstAck - killedAt);
            // The killed replica restarts from its data dir and rejoins.
            QVERIFY(startNode(node(victim)));
            QTRY_VERIFY_WITH_TIMEOUT(status(node(victim)).has_value(), 10000);
        }

        client.setSending(false);
        QTRY_COMPARE_WITH_TIMEOUT(client.unacked(), size_t(0), 20000);
        const auto &acked = client.acked();
        QVERIFY(acked.size() >= 30 + Kills * 20);

        // A client replaying old seqs (a resend storm, or a hostile client) gets them acknowledged
        // and nothing is applied twice (checked with the final state below).
        {
            quint64 now = 0;
            QTRY_VERIFY_WITH_TIMEOUT((now = leader()) != 0, 10000);
            const auto [host, port] = split(node(now).client);
            auto replay = net::Connection::connectToHost(host, port, *m_pins);
            QSignalSpy ready(replay.get(), &net::Connection::ready);
            QVERIFY(ready.wait(5000));
            QSignalSpy messages(replay.get(), &net::Connection::messageReceived);
            constexpr int Replayed = 20;
            for (int seq = 1; seq <= Replayed; ++seq) {
                replay->send(QCborMap { { QStringLiteral("t"), QStringLiteral("action") },
                    { QStringLiteral("client"), 42 }, { QStringLiteral("seq"), seq },
                    { QStringLiteral("action"),
                        QCborMap { { QStringLiteral("kind"), QStringLiteral("create") },
                            { QStringLiteral("name"), client.name(quint64(seq)) },
                            { QStringLiteral("x"), 0 }, { QStringLiteral("y"), 0 },
                            { QStringLiteral("z"), 0 } } } });
            }
            auto acks = [&] {
                int count = 0;
                for (const QList<QVariant> &args : messages) {
                    if (args.at(0).value<QCborMap>().value(QStringLiteral("t")).toString()
                        == QLatin1String("ack"))
                        ++count;
                }
                return count;
            };
            QTRY_COMPARE_WITH_TIMEOUT(acks(), Replayed, 10000);
        }

        // Every replica (the restarted ones included) catches up and holds each acknowledged
        // action exactly once.
        std::optional<QCborArray> reference;
        for (const Node &node : m_nodes) {
            QCborArray names;
            auto holdsAll = [&] {
                const auto reply = query(*m_pins, node.client,
                    QCborMap { { QStringLiteral("t"), QStringLiteral("objects") } });
                if (!reply)
                    return false;
                names = reply->value(QStringLiteral("names")).toArray();
                std::set<QString> present;
                for (const QCborValue &name : names)
                    present.insert(name.toString());
                for (const auto &[seq, at] : acked) {
                    if (!present.contains(client.name(seq)))
                        return false;
                }
                return true;
            };
            QTRY_VERIFY_WITH_TIMEOUT(holdsAll(), 15000);
            std::map<QString, int> counts;
            for (const QCborValue &name : names)
                ++counts[name.toString()];
            for (const auto &[name, count] : counts)
                QVERIFY2(count == 1, qPrintable(name));
            if (!reference)
                reference = names;
            else
                QCOMPARE(names, *reference);
        }

        // Identical state hashes for the same tick on every replica, and no divergence.
        quint64 common = std::numeric_limits<quint64>::max();
        qint64 snapshotsRestored = 0;
        for (const Node &node : m_nodes) {
            const auto reply = status(node);
            QVERIFY(reply);
            QCOMPARE(reply->value(QStringLiteral("divergences")).toInteger(), 0);
            if (reply->value(QStringLiteral("role")).toString() == QLatin1String("leader"))
                qInfo("sim cluster: leader's last commit latency %lld us, tick time %lld us",
                    reply->value(QStringLiteral("commitLatencyUs")).toInteger(),
                    reply->value(QStringLiteral("tickTimeUs")).toInteger());
            snapshotsRestored += reply->value(QStringLiteral("snapshotsRestored")).toInteger();
            common = qMin(common, quint64(reply->value(QStringLiteral("tick")).toInteger()));
        }
        std::map<qint64, QString> byTick;
        int compared = 0;
        for (const Node &node : m_nodes) {
            const auto reply = query(*m_pins, node.client,
                QCborMap { { QStringLiteral("t"), QStringLiteral("hashes") },
                    { QStringLiteral("from"), qint64(common > 300 ? common - 300 : 1) },
                    { QStringLiteral("to"), qint64(common) } });
            QVERIFY(reply);
            const QCborMap hashes = reply->value(QStringLiteral("hashes")).toMap();
            QVERIFY2(hashes.contains(qint64(common)), "every replica executed the common tick");
            for (auto it = hashes.constBegin(); it != hashes.constEnd(); ++it) {
                const auto [known, inserted]
                    = byTick.emplace(it.key().toInteger(), it.value().toString());
                if (!inserted) {
                    QCOMPARE(it.value().toString(), known->second);
                    ++compared;
                }
            }
        }
        QVERIFY(compared > 0);
        // Restarts went through SimStateMachine::restore (snapshots every 100 entries).
        QVERIFY(snapshotsRestored > 0);

        std::sort(failoverMs.begin(), failoverMs.end());
        const std::vector<qint64> latency = client.latencies();
        qInfo("sim cluster: ack latency ms (send to ack, failovers included): p50 %lld p90 %lld "
              "p99 %lld max %lld",
            latency[latency.size() / 2], latency[latency.size() * 9 / 10],
            latency[latency.size() * 99 / 100], latency.back());
        qInfo("sim cluster: %zu actions acknowledged, %llu duplicate acks, %d kills, kill to next "
              "ack ms: min %lld median %lld max %lld, common tick %llu, %d hashes compared, %lld "
              "snapshot restores",
            acked.size(), client.duplicateAcks(), Kills, failoverMs.front(),
            failoverMs[failoverMs.size() / 2], failoverMs.back(), common, compared,
            snapshotsRestored);
    }

    // Runs last: it leaves one replica diverged. A follower restarted with a test-only fault
    // flag adds a stray object at a chosen tick; the hash the leader publishes for that tick
    // differs from its own, so it flags itself and stops serving, and the others go on.
    void injectedDivergenceIsDetected()
    {
        quint64 leaderId = 0;
        QTRY_VERIFY_WITH_TIMEOUT((leaderId = leader()) != 0, 10000);
        Node &faulty = node(leaderId == 3 ? 2 : 3);
        const auto before = status(node(leaderId));
        QVERIFY(before);
        const quint64 faultTick = quint64(before->value(QStringLiteral("tick")).toInteger()) + 90;

        faulty.process->kill();
        QVERIFY(faulty.process->waitForFinished(5000));
        const QStringList plainArgs = faulty.args;
        faulty.args << QStringLiteral("--fault-tick") << QString::number(faultTick);
        QVERIFY(startNode(faulty));
        faulty.args = plainArgs;

        auto divergedAt = [&]() -> qint64 {
            const auto reply = status(faulty);
            if (!reply || !reply->value(QStringLiteral("diverged")).toBool())
                return -1;
            return reply->value(QStringLiteral("divergedTick")).toInteger();
        };
        qint64 tick = -1;
        QTRY_VERIFY_WITH_TIMEOUT((tick = divergedAt()) >= 0, 15000);
        QCOMPARE(quint64(tick), faultTick);

        // The diverged replica refuses actions; the healthy ones saw no divergence.
        const auto [host, port] = split(faulty.client);
        auto connection = net::Connection::connectToHost(host, port, *m_pins);
        QSignalSpy ready(connection.get(), &net::Connection::ready);
        QVERIFY(ready.wait(5000));
        QSignalSpy messages(connection.get(), &net::Connection::messageReceived);
        connection->send(QCborMap { { QStringLiteral("t"), QStringLiteral("action") },
            { QStringLiteral("client"), 99 }, { QStringLiteral("seq"), 1 },
            { QStringLiteral("action"),
                QCborMap { { QStringLiteral("kind"), QStringLiteral("leave") } } } });
        QVERIFY(messages.wait(5000));
        QCOMPARE(messages.first().at(0).value<QCborMap>().value(QStringLiteral("t")).toString(),
            QStringLiteral("unavailable"));
        for (const Node &other : m_nodes) {
            if (&other == &faulty)
                continue;
            const auto reply = status(other);
            QVERIFY(reply);
            QCOMPARE(reply->value(QStringLiteral("divergences")).toInteger(), 0);
            QVERIFY(quint64(reply->value(QStringLiteral("tick")).toInteger()) > faultTick);
        }
    }
};

QTEST_GUILESS_MAIN(SimClusterTest)
#include "tst_SimCluster.moc"
