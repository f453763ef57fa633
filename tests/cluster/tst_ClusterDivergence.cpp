// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// Injected divergence: three cluster_test_replica processes, one of which perturbs its own state
// from a given log index on (--fault-at-index, a test-only fault). Raft replicates the same log to
// all three, so only the per-batch state hashes reveal it; DivergenceDetector must flag that
// replica, from that index, and nobody else.
#include "ClusterDriver.h"
#include "ClusterTestUtil.h"
#include "ReplicaProcess.h"
#include "cluster/DivergenceDetector.h"

#include <QTemporaryDir>
#include <QTest>

#include <memory>

using namespace metatopia::cluster;
using namespace metatopia::cluster::test;

class TestClusterDivergence : public QObject
{
    Q_OBJECT

private slots:
    void perturbedReplicaIsFlagged()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        constexpr quint64 FaultyId = 3;
        constexpr quint64 FaultAt = 40;
        QStringList addresses;
        QStringList peers;
        for (int id = 1; id <= 3; ++id) {
            addresses << freeLoopbackAddress();
            peers << QStringLiteral("%1=%2").arg(id).arg(addresses.last());
        }
        std::vector<std::unique_ptr<ReplicaProcess>> replicas;
        std::vector<ReplicaProcess *> pointers;
        for (int id = 1; id <= 3; ++id) {
            ReplicaOptions options;
            options.id = quint64(id);
            options.raftAddress = addresses[id - 1];
            options.dataDir = dir.filePath(QStringLiteral("replica%1").arg(id));
            options.peers = peers.join(QLatin1Char(','));
            if (options.id == FaultyId)
                options.extraArgs
                    = { QStringLiteral("--fault-at-index"), QString::number(FaultAt) };
            replicas.push_back(std::make_unique<ReplicaProcess>(options));
            QVERIFY(replicas.back()->start());
            pointers.push_back(replicas.back().get());
        }

        ClusterDriver driver(pointers, 1);
        ReplicaProcess *leader = driver.findLeader(15000);
        QVERIFY(leader);
        driver.setTarget(leader);
        driver.sendNew(100);
        QVERIFY(driver.drain(20000));

        // Wait until everyone applied the same prefix, then compare per-batch hashes.
        QString applied;
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                QSet<QString> seen;
                for (ReplicaProcess *replica : pointers)
                    seen.insert(replica->status().value(QStringLiteral("applied")));
                applied = *seen.begin();
                return seen.size() == 1 && !applied.isEmpty();
            }(),
            20000);

        DivergenceDetector detector({ 1, 2, 3 });
        quint64 firstFlagged = 0;
        for (ReplicaProcess *replica : pointers) {
            const auto hashes = replica->hashes();
            QVERIFY(hashes.has_value());
            QVERIFY(hashes->size() >= 100);
            for (const auto &[index, hash] : *hashes) {
                for (const Divergence &d : detector.report(index, replica->options().id, hash)) {
                    QCOMPARE(d.replica, FaultyId);
                    QVERIFY(!d.noMajority);
                    QVERIFY(d.tick >= FaultAt);
                    if (firstFlagged == 0 || d.tick < firstFlagged)
                        firstFlagged = d.tick;
                }
            }
        }
        QVERIFY(detector.hasDiverged(FaultyId));
        QVERIFY(!detector.hasDiverged(1));
        QVERIFY(!detector.hasDiverged(2));
        QCOMPARE(detector.divergedReplicas().at(FaultyId), firstFlagged);
        QVERIFY(firstFlagged >= FaultAt && firstFlagged < FaultAt + 5);
        QVERIFY(detector.divergenceCount() >= 50);

        for (const auto &replica : replicas)
            QVERIFY(replica->quit());
    }
};

QTEST_GUILESS_MAIN(TestClusterDivergence)
#include "tst_ClusterDivergence.moc"
