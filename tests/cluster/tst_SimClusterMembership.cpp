// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// Membership of a running sim cluster, with real replica processes: a fourth replica started
// with --join is added through the client gateway's admin request (sent to a follower, which
// relays it to the leader) while a client keeps sending actions; it installs a snapshot (the log
// is compacted by then), replays the tail and agrees with the others tick by tick. Then one of
// the original replicas is removed and the cluster of the remaining three goes on.

#include "SimClusterHarness.h"

using namespace metatopia;
using namespace metatopia::cluster::test;

class SimClusterMembershipTest : public QObject
{
    Q_OBJECT

private:
    SimClusterFixture m_cluster;

    bool allApplied(const std::vector<quint64> &ids, qint64 applied)
    {
        for (quint64 id : ids) {
            if (m_cluster.statusValue(m_cluster.node(id), "applied") < applied)
                return false;
        }
        return true;
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_cluster.prepare(3));
        // With a cluster token: forwarding between replicas and admin requests must carry it.
        m_cluster.commonArgs << QStringLiteral("--cluster-token") << QStringLiteral("s3cret");
        QVERIFY(m_cluster.startAll());
        QTRY_VERIFY_WITH_TIMEOUT(m_cluster.leader() != 0, 15000);
    }

    void addAndRemoveReplicas()
    {
        ActionClient client(11, m_cluster.clientAddresses(), *m_cluster.pins);
        QTRY_VERIFY_WITH_TIMEOUT(client.acked().size() >= 30, 15000);
        // Past two snapshots (threshold 100, trailing 50): the newcomer cannot be caught up from
        // the log alone and must install a snapshot.
        QTRY_VERIFY_WITH_TIMEOUT(allApplied({ 1, 2, 3 }, 250), 30000);

        SimNode *fourth = m_cluster.addNode();
        QVERIFY(fourth);
        const quint64 newId = fourth->id;
        m_cluster.setArgs(*fourth, m_cluster.peersOf({ 1, 2, 3, newId }), true);
        QVERIFY(startSimNode(*fourth));
        SimNode &newcomer = m_cluster.node(newId);

        // The admin request goes to a follower on purpose: it relays it to the leader.
        quint64 leaderId = 0;
        QTRY_VERIFY_WITH_TIMEOUT((leaderId = m_cluster.leader()) != 0, 10000);
        const quint64 via = leaderId == 1 ? 2 : 1;
        const QCborMap addRequest { { QStringLiteral("t"), QStringLiteral("addReplica") },
            { QStringLiteral("replica"), qint64(newId) }, { QStringLiteral("raft"), newcomer.raft },
            { QStringLiteral("client"), newcomer.client } };
        const auto refused = m_cluster.query(m_cluster.node(leaderId), addRequest);
        QVERIFY(refused && refused->contains(QStringLiteral("error")));
        QCOMPARE(m_cluster.statusValue(m_cluster.node(leaderId), "voters"), 3);
        QElapsedTimer joining;
        joining.start();
        QCborMap withToken = addRequest;
        withToken.insert(QStringLiteral("token"), QStringLiteral("s3cret"));
        const auto added = m_cluster.query(m_cluster.node(via), withToken, 20000);
        QVERIFY(added);
        QVERIFY2(added->value(QStringLiteral("ok")).toBool(),
            qPrintable(added->value(QStringLiteral("error")).toString()));
        const qint64 joinMs = joining.elapsed();

        // Every replica sees four voters and knows the newcomer's gateway (from the log).
        for (quint64 id : { quint64(1), quint64(2), quint64(3), newId }) {
            auto fourVoters = [&] {
                const auto reply = m_cluster.status(m_cluster.node(id));
                return reply && reply->value(QStringLiteral("voters")).toInteger() == 4
                    && reply->value(QStringLiteral("members")).toMap().value(qint64(newId))
                    == newcomer.client;
            };
            QTRY_VERIFY_WITH_TIMEOUT(fourVoters(), 10000);
        }
        // The newcomer caught up through a snapshot and executes the same ticks.
        const auto newStatus = m_cluster.status(newcomer);
        QVERIFY(newStatus);
        QVERIFY(newStatus->value(QStringLiteral("snapshotsRestored")).toInteger() >= 1);
        const size_t beforeCheck = client.acked().size();
        QTRY_VERIFY_WITH_TIMEOUT(client.acked().size() >= beforeCheck + 20, 15000);
        QTRY_VERIFY_WITH_TIMEOUT(m_cluster.statusValue(newcomer, "tick")
                >= m_cluster.statusValue(m_cluster.node(leaderId), "tick") - 5,
            15000);
        const int comparedAfterJoin = verifyHashesAgree(m_cluster, { 1, 2, 3, newId }, 100);
        QVERIFY(!QTest::currentTestFailed());
        QVERIFY(comparedAfterJoin > 0);

        // Remove one of the original replicas that is not the leader, through the leader.
        QTRY_VERIFY_WITH_TIMEOUT((leaderId = m_cluster.leader()) != 0, 10000);
        quint64 victim = 1;
        while (victim == leaderId)
            ++victim;
        const auto removed = m_cluster.query(m_cluster.node(leaderId),
            QCborMap { { QStringLiteral("t"), QStringLiteral("removeReplica") },
                { QStringLiteral("replica"), qint64(victim) },
                { QStringLiteral("token"), QStringLiteral("s3cret") } },
            15000);
        QVERIFY(removed);
        QVERIFY2(removed->value(QStringLiteral("ok")).toBool(),
            qPrintable(removed->value(QStringLiteral("error")).toString()));
        std::vector<quint64> remaining;
        for (quint64 id : { quint64(1), quint64(2), quint64(3), newId }) {
            if (id != victim)
                remaining.push_back(id);
        }
        for (quint64 id : remaining) {
            auto threeVoters
                = [&] { return m_cluster.statusValue(m_cluster.node(id), "voters") == 3; };
            QTRY_VERIFY_WITH_TIMEOUT(threeVoters(), 10000);
        }
        killSimNode(m_cluster.node(victim));

        // The three go on: actions keep being acknowledged (the client's list still names the
        // removed replica; it just moves on to the next one).
        const size_t beforeRemoval = client.acked().size();
        QTRY_VERIFY_WITH_TIMEOUT(client.acked().size() >= beforeRemoval + 30, 15000);
        client.setSending(false);
        QTRY_COMPARE_WITH_TIMEOUT(client.unacked(), size_t(0), 20000);

        verifyExactlyOnce(m_cluster, remaining, { &client });
        QVERIFY(!QTest::currentTestFailed());
        const int compared = verifyHashesAgree(m_cluster, remaining);
        QVERIFY(!QTest::currentTestFailed());
        QVERIFY(compared > 0);
        qInfo("sim cluster membership: replica %llu added in %lld ms (snapshot + tail), replica "
              "%llu removed, %zu actions acknowledged, %d hashes compared",
            quint64(newId), joinMs, quint64(victim), client.acked().size(), compared);
    }
};

QTEST_GUILESS_MAIN(SimClusterMembershipTest)
#include "tst_SimClusterMembership.moc"
