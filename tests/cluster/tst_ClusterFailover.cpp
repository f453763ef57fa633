// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// Three cluster_test_replica processes on 127.0.0.1; the leader is killed with SIGKILL again and
// again while a client keeps sending actions. Nothing acknowledged may be lost, nothing may be
// applied twice, and every replica must end with the same state.
#include "ClusterDriver.h"
#include "ClusterTestUtil.h"
#include "ReplicaProcess.h"

#include <QTemporaryDir>
#include <QTest>

#include <memory>
#include <set>

using namespace metatopia::cluster;
using namespace metatopia::cluster::test;

class TestClusterFailover : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void killingTheLeaderLosesNothing();
    void gracefulQuitAndRestart();
    void fourthReplicaJoinsThroughSnapshot();
    void cleanupTestCase();

private:
    std::vector<ReplicaProcess *> replicas() const;
    ReplicaProcess *makeReplica(quint64 id, const QString &peers, const QString &address);
    // All running replicas applied the same log prefix and hold identical state.
    bool converged(int timeoutMs);
    void verifyExactlyOnce(const ClusterDriver &driver);

    QTemporaryDir m_dir;
    std::vector<std::unique_ptr<ReplicaProcess>> m_replicas;
    std::unique_ptr<ClusterDriver> m_driver;
};

std::vector<ReplicaProcess *> TestClusterFailover::replicas() const
{
    std::vector<ReplicaProcess *> out;
    for (const auto &replica : m_replicas)
        out.push_back(replica.get());
    return out;
}

ReplicaProcess *TestClusterFailover::makeReplica(
    quint64 id, const QString &peers, const QString &address)
{
    ReplicaOptions options;
    options.id = id;
    options.raftAddress = address;
    options.dataDir = m_dir.filePath(QStringLiteral("replica%1").arg(id));
    options.peers = peers;
    options.extraArgs = { QStringLiteral("--snapshot-threshold"), QStringLiteral("128"),
        QStringLiteral("--snapshot-trailing"), QStringLiteral("32") };
    m_replicas.push_back(std::make_unique<ReplicaProcess>(options));
    return m_replicas.back().get();
}

void TestClusterFailover::initTestCase()
{
    QVERIFY(m_dir.isValid());
    QVERIFY2(QFile::exists(ReplicaProcess::executable()), qPrintable(ReplicaProcess::executable()));
    QStringList addresses;
    for (quint64 id = 1; id <= 3; ++id)
        addresses << freeLoopbackAddress();
    QStringList peers;
    for (quint64 id = 1; id <= 3; ++id)
        peers << QStringLiteral("%1=%2").arg(id).arg(addresses[int(id - 1)]);
    for (quint64 id = 1; id <= 3; ++id)
        makeReplica(id, peers.join(QLatin1Char(',')), addresses[int(id - 1)]);
    for (const auto &replica : m_replicas)
        QVERIFY(replica->start());
    m_driver = std::make_unique<ClusterDriver>(replicas(), 1);
}

bool TestClusterFailover::converged(int timeoutMs)
{
    QDeadlineTimer deadline(timeoutMs);
    while (!deadline.hasExpired()) {
        QSet<QString> states;
        bool allAnswered = true;
        quint64 running = 0;
        for (const auto &replica : m_replicas) {
            if (!replica->isRunning())
                continue;
            ++running;
            const auto status = replica->status(2000);
            if (status.isEmpty()) {
                allAnswered = false;
                break;
            }
            states.insert(status.value(QStringLiteral("applied")) + QLatin1Char('/')
                + status.value(QStringLiteral("accepted")) + QLatin1Char('/')
                + status.value(QStringLiteral("hash")));
        }
        if (allAnswered && running > 0 && states.size() == 1)
            return true;
        QTest::qWait(20);
    }
    return false;
}

void TestClusterFailover::verifyExactlyOnce(const ClusterDriver &driver)
{
    std::optional<std::vector<ActionKey>> reference;
    for (const auto &replica : m_replicas) {
        if (!replica->isRunning())
            continue;
        const auto list = replica->list();
        QVERIFY(list.has_value());
        std::set<quint64> seen;
        for (const ActionKey &key : *list) {
            QCOMPARE(key.clientId, driver.clientId());
            QVERIFY2(seen.insert(key.seq).second, "an action was applied twice");
            QVERIFY(key.seq >= 1 && key.seq <= driver.sentCount());
        }
        for (quint64 seq : driver.acked())
            QVERIFY2(seen.contains(seq),
                qPrintable(QStringLiteral("acknowledged action %1 lost").arg(seq)));
        if (!reference)
            reference = list;
        else
            QVERIFY2(*reference == *list, "replicas applied different sequences");
    }
}

void TestClusterFailover::killingTheLeaderLosesNothing()
{
    ClusterDriver &driver = *m_driver;
    constexpr int Kills = 5;
    for (int kill = 0; kill < Kills; ++kill) {
        ReplicaProcess *leader = driver.findLeader(15000);
        QVERIFY2(leader, "no leader elected");
        driver.setTarget(leader);
        const size_t before = driver.acked().size();
        driver.sendNew(40);
        QTRY_VERIFY_WITH_TIMEOUT(driver.acked().size() >= before + 20, 10000);
        // More actions in flight when the leader dies: some commit, some do not; the client
        // cannot tell which and resends them all.
        driver.sendNew(40);
        leader->kill9();
        QVERIFY(!leader->isRunning());

        ReplicaProcess *next = driver.findLeader(15000);
        QVERIFY2(next, "no new leader after the kill");
        QVERIFY(next != leader);
        QVERIFY2(driver.drain(20000),
            qPrintable(
                QStringLiteral("%1 actions never acknowledged").arg(driver.unacked().size())));

        // The killed replica comes back from its data dir and catches up.
        QVERIFY(leader->start());
    }
    QVERIFY(driver.drain(20000));
    QVERIFY(converged(30000));
    verifyExactlyOnce(driver);
    qInfo("sent %llu, acked %zu, resends %llu, nacks %llu", driver.sentCount(),
        driver.acked().size(), driver.resends(), driver.nacks());
}

void TestClusterFailover::gracefulQuitAndRestart()
{
    ClusterDriver &driver = *m_driver;
    ReplicaProcess *leader = driver.findLeader(15000);
    QVERIFY(leader);
    ReplicaProcess *follower = nullptr;
    for (const auto &replica : m_replicas) {
        if (replica.get() != leader && replica->isRunning())
            follower = replica.get();
    }
    QVERIFY(follower);
    // Clean shutdown: raft_close, loop closed, exit code 0.
    QVERIFY(follower->quit());
    driver.setTarget(leader);
    driver.sendNew(100);
    QVERIFY(driver.drain(20000));
    QVERIFY(follower->start());
    QVERIFY(converged(30000));
    verifyExactlyOnce(driver);
}

void TestClusterFailover::fourthReplicaJoinsThroughSnapshot()
{
    ClusterDriver &driver = *m_driver;
    ReplicaProcess *fourth = makeReplica(4, QString(), freeLoopbackAddress());
    QVERIFY(fourth->start());
    ReplicaProcess *leader = driver.findLeader(15000);
    QVERIFY(leader);
    const auto reply = leader->request("add 4 " + fourth->options().raftAddress.toUtf8(), 30000);
    QVERIFY(reply.has_value());
    QCOMPARE(*reply, QByteArray("changed ok"));
    QVERIFY(converged(30000));
    const auto status = fourth->status();
    QVERIFY(status.value(QStringLiteral("restores")).toULongLong() >= 1);
    QCOMPARE(status.value(QStringLiteral("voters")), QStringLiteral("4"));
    verifyExactlyOnce(driver);
}

void TestClusterFailover::cleanupTestCase()
{
    m_driver.reset();
    for (const auto &replica : m_replicas) {
        if (replica->isRunning())
            QVERIFY(replica->quit());
    }
}

QTEST_GUILESS_MAIN(TestClusterFailover)
#include "tst_ClusterFailover.moc"
