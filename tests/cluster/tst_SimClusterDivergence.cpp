// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// Majority-vote divergence in a 3-replica sim cluster (real processes). A replica restarted with
// the test-only fault flag adds a stray object at a chosen tick. Every replica reports its hash
// per tick through the log; the faulty one is outvoted, stops serving, names the first object
// that differs from a healthy replica, installs a snapshot fetched from the leader and serves
// again with matching hashes. When the faulty replica is the leader itself, the majority still
// wins: it hands leadership away and resyncs, and the healthy replicas never doubt themselves.

#include "SimClusterHarness.h"

using namespace metatopia;
using namespace metatopia::cluster::test;

class SimClusterDivergenceTest : public QObject
{
    Q_OBJECT

private:
    SimClusterFixture m_cluster;
    std::unique_ptr<ActionClient> m_client;

    // Restarts `id` from its data dir with the fault flag set `ahead` ticks from now; returns
    // the fault tick.
    quint64 restartFaulty(quint64 id, quint64 ahead)
    {
        SimNode &faulty = m_cluster.node(id);
        quint64 leaderId = 0;
        if (!QTest::qWaitFor([&] { return (leaderId = m_cluster.leader()) != 0; }, 10000))
            return 0;
        const qint64 now = m_cluster.statusValue(m_cluster.node(leaderId), "tick");
        if (now < 0)
            return 0;
        const quint64 faultTick = quint64(now) + ahead;
        killSimNode(faulty);
        const QStringList plainArgs = faulty.args;
        faulty.args << QStringLiteral("--fault-tick") << QString::number(faultTick);
        const bool started = startSimNode(faulty);
        faulty.args = plainArgs;
        return started ? faultTick : 0;
    }

    // The faulty replica is outvoted at exactly the fault tick, names the stray object, resyncs
    // and agrees with the others again; the healthy ones never flagged themselves.
    void expectDetectedAndResynced(quint64 id, quint64 faultTick)
    {
        SimNode &faulty = m_cluster.node(id);
        std::map<quint64, qint64> healthyBefore;
        for (const SimNode &other : m_cluster.nodes) {
            if (other.id != id)
                healthyBefore[other.id] = m_cluster.statusValue(other, "divergences");
        }
        auto divergedAt = [&]() -> qint64 {
            const auto reply = m_cluster.status(faulty);
            if (!reply || reply->value(QStringLiteral("divergences")).toInteger() < 1)
                return -1;
            return reply->value(QStringLiteral("divergedTick")).toInteger();
        };
        qint64 tick = -1;
        QTRY_VERIFY_WITH_TIMEOUT((tick = divergedAt()) >= 0, 20000);
        QCOMPARE(quint64(tick), faultTick);
        auto resynced = [&] {
            const auto reply = m_cluster.status(faulty);
            return reply && reply->value(QStringLiteral("resyncs")).toInteger() >= 1
                && !reply->value(QStringLiteral("diverged")).toBool();
        };
        QTRY_VERIFY_WITH_TIMEOUT(resynced(), 20000);
        const auto reply = m_cluster.status(faulty);
        QVERIFY(reply);
        const QString difference = reply->value(QStringLiteral("firstDifference")).toString();
        QVERIFY2(difference.contains(QLatin1String("injected-fault")), qPrintable(difference));
        const qint64 resyncTick = reply->value(QStringLiteral("resyncTick")).toInteger();
        QVERIFY(resyncTick >= qint64(faultTick));
        qInfo("sim cluster divergence: replica %llu outvoted at tick %lld, %s; resynced at tick "
              "%lld",
            quint64(id), tick, qPrintable(difference), resyncTick);

        for (const SimNode &other : m_cluster.nodes) {
            if (other.id == id)
                continue;
            const auto healthy = m_cluster.status(other);
            QVERIFY(healthy);
            QCOMPARE(
                healthy->value(QStringLiteral("divergences")).toInteger(), healthyBefore[other.id]);
            QVERIFY(healthy->value(QStringLiteral("dissents")).toInteger() >= 1);
        }
        // Serving again, in step: its hashes after the resync equal everyone's.
        QTRY_VERIFY_WITH_TIMEOUT(m_cluster.statusValue(faulty, "tick") > resyncTick + 60, 10000);
        const int compared = verifyHashesAgree(m_cluster, { 1, 2, 3 }, 50);
        QVERIFY(!QTest::currentTestFailed());
        QVERIFY(compared >= 50);
        const auto served = m_cluster.query(
            faulty, QCborMap { { QStringLiteral("t"), QStringLiteral("subscribe") } });
        QVERIFY(served && served->value(QStringLiteral("ok")).toBool());
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_cluster.prepare(3));
        QVERIFY(m_cluster.startAll());
        QTRY_VERIFY_WITH_TIMEOUT(m_cluster.leader() != 0, 15000);
        m_client = std::make_unique<ActionClient>(31, m_cluster.clientAddresses(), *m_cluster.pins);
        QTRY_VERIFY_WITH_TIMEOUT(m_client->acked().size() >= 30, 15000);
    }

    void cleanupTestCase()
    {
        if (!m_client)
            return;
        m_client->setSending(false);
        QTRY_COMPARE_WITH_TIMEOUT(m_client->unacked(), size_t(0), 20000);
        verifyExactlyOnce(m_cluster, { 1, 2, 3 }, { m_client.get() });
    }

    void faultyFollowerIsOutvotedAndResyncs()
    {
        quint64 leaderId = 0;
        QTRY_VERIFY_WITH_TIMEOUT((leaderId = m_cluster.leader()) != 0, 10000);
        const quint64 faulty = leaderId == 3 ? 2 : 3;
        const quint64 faultTick = restartFaulty(faulty, 90);
        QVERIFY(faultTick != 0);
        expectDetectedAndResynced(faulty, faultTick);
        if (QTest::currentTestFailed())
            return;
        const size_t before = m_client->acked().size();
        QTRY_VERIFY_WITH_TIMEOUT(m_client->acked().size() >= before + 20, 10000);
    }

    void faultyLeaderIsOutvotedByTheMajority()
    {
        quint64 leaderId = 0;
        QTRY_VERIFY_WITH_TIMEOUT((leaderId = m_cluster.leader()) != 0, 10000);
        const quint64 faulty = leaderId == 1 ? 2 : 1;
        const quint64 faultTick = restartFaulty(faulty, 270);
        QVERIFY(faultTick != 0);
        SimNode &node = m_cluster.node(faulty);
        // Caught up, then made leader before its fault tick.
        QTRY_VERIFY_WITH_TIMEOUT(m_cluster.statusValue(node, "tick")
                >= m_cluster.statusValue(m_cluster.node(leaderId), "tick") - 5,
            15000);
        auto leads = [&] {
            const auto reply = m_cluster.status(node);
            return reply
                && reply->value(QStringLiteral("role")).toString() == QLatin1String("leader");
        };
        for (int attempt = 0; attempt < 5 && !leads(); ++attempt) {
            const quint64 current = m_cluster.leader();
            if (current == 0 || current == faulty)
                continue;
            m_cluster.query(m_cluster.node(current),
                QCborMap { { QStringLiteral("t"), QStringLiteral("transferLeader") },
                    { QStringLiteral("replica"), qint64(faulty) } });
            if (QTest::qWaitFor(leads, 2000))
                break;
        }
        QVERIFY(leads());
        const qint64 tickWhenLeading = m_cluster.statusValue(node, "tick");
        if (tickWhenLeading >= qint64(faultTick))
            QSKIP("the machine was too slow to make the faulty replica leader before its fault");
        expectDetectedAndResynced(faulty, faultTick);
        if (QTest::currentTestFailed())
            return;
        // Leadership went to a healthy replica, and the cluster goes on.
        quint64 now = 0;
        QTRY_VERIFY_WITH_TIMEOUT((now = m_cluster.leader()) != 0, 10000);
        const size_t before = m_client->acked().size();
        QTRY_VERIFY_WITH_TIMEOUT(m_client->acked().size() >= before + 20, 10000);
    }
};

QTEST_GUILESS_MAIN(SimClusterDivergenceTest)
#include "tst_SimClusterDivergence.moc"
