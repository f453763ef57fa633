// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
// ReplicaListModel on status answers shaped like the sim gateway's: rows and roles, the derived
// ticks per second, unreachable replicas, the leader with the highest term, the bounded history,
// and the hash comparison that flags two replicas disagreeing on the same tick.

#include "ui/ReplicaListModel.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QTest>

using namespace metatopia;

namespace {

QCborMap status(const char *role, qint64 term, qint64 tick, const char *hash, qint64 replica)
{
    return QCborMap { { QStringLiteral("t"), QStringLiteral("status") },
        { QStringLiteral("ok"), true }, { QStringLiteral("replica"), replica },
        { QStringLiteral("role"), QString::fromLatin1(role) }, { QStringLiteral("term"), term },
        { QStringLiteral("commit"), tick + 5 }, { QStringLiteral("applied"), tick + 3 },
        { QStringLiteral("lag"), 2 }, { QStringLiteral("tick"), tick },
        { QStringLiteral("tickTimeUs"), 1500 }, { QStringLiteral("hash"), QString::fromLatin1(hash) },
        { QStringLiteral("clients"), 4 }, { QStringLiteral("divergences"), 0 },
        { QStringLiteral("objects"), 7 } };
}

QList<ReplicaEndpoint> three()
{
    return { { QStringLiteral("sim-1"), QStringLiteral("127.0.0.1"), 7001 },
        { QStringLiteral("sim-2"), QStringLiteral("127.0.0.1"), 7002 },
        { QStringLiteral("sim-3"), QStringLiteral("127.0.0.1"), 7003 } };
}

} // namespace

class TestReplicaListModel : public QObject
{
    Q_OBJECT

private slots:
    void rowsAndRoles();
    void ticksPerSecondAndHistory();
    void unreachableAndLeader();
    void hashAgreement();
};

void TestReplicaListModel::rowsAndRoles()
{
    ReplicaListModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QSignalSpy count(&model, &ReplicaListModel::countChanged);
    model.setReplicas(three());
    QCOMPARE(model.rowCount(), 3);
    QCOMPARE(count.count(), 1);
    QCOMPARE(model.rowOf(QStringLiteral("sim-2")), 1);
    QCOMPARE(model.rowOf(QStringLiteral("sim-9")), -1);

    const QHash<int, QByteArray> names = model.roleNames();
    for (const char *role : { "name", "alive", "role", "term", "commit", "tick", "tickTimeUs",
             "ticksPerSecond", "hash", "lag", "clients", "divergences", "processState",
             "tickTimeHistory", "rateHistory" })
        QVERIFY2(names.values().contains(QByteArray(role)), role);

    // Before any answer a row is a name and nothing else.
    QCOMPARE(model.get(0, QStringLiteral("name")).toString(), QStringLiteral("sim-1"));
    QCOMPARE(model.get(0, QStringLiteral("alive")).toBool(), false);
    QCOMPARE(model.get(0, QStringLiteral("role")).toString(), QString());
    QCOMPARE(model.get(0, QStringLiteral("port")).toInt(), 7001);

    QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
    model.updateStatus(1, status("follower", 3, 400, "00ab", 2), 1000);
    QCOMPARE(changed.count(), 1);
    QCOMPARE(changed.at(0).at(0).value<QModelIndex>().row(), 1);
    QCOMPARE(model.get(1, QStringLiteral("alive")).toBool(), true);
    QCOMPARE(model.get(1, QStringLiteral("role")).toString(), QStringLiteral("follower"));
    QCOMPARE(model.get(1, QStringLiteral("term")).toLongLong(), 3);
    QCOMPARE(model.get(1, QStringLiteral("commit")).toLongLong(), 405);
    QCOMPARE(model.get(1, QStringLiteral("applied")).toLongLong(), 403);
    QCOMPARE(model.get(1, QStringLiteral("tick")).toLongLong(), 400);
    QCOMPARE(model.get(1, QStringLiteral("tickTimeUs")).toLongLong(), 1500);
    QCOMPARE(model.get(1, QStringLiteral("hash")).toString(), QStringLiteral("00ab"));
    QCOMPARE(model.get(1, QStringLiteral("lag")).toLongLong(), 2);
    QCOMPARE(model.get(1, QStringLiteral("clients")).toLongLong(), 4);
    QCOMPARE(model.get(1, QStringLiteral("divergences")).toLongLong(), 0);
    QCOMPARE(model.get(1, QStringLiteral("replicaId")).toLongLong(), 2);
    QCOMPARE(model.get(1, QStringLiteral("no such role")), QVariant());
    QCOMPARE(model.data(model.index(1), Qt::DisplayRole).toString(), QStringLiteral("sim-2"));

    model.setProcessState(1, QStringLiteral("running"));
    QCOMPARE(model.get(1, QStringLiteral("processState")).toString(), QStringLiteral("running"));
    QCOMPARE(model.aliveCount(), 1);
}

void TestReplicaListModel::ticksPerSecondAndHistory()
{
    ReplicaListModel model;
    model.setReplicas(three());
    model.updateStatus(0, status("leader", 1, 100, "01", 1), 10000);
    QCOMPARE(model.get(0, QStringLiteral("ticksPerSecond")).toDouble(), 0.0);
    model.updateStatus(0, status("leader", 1, 145, "02", 1), 11000);
    QCOMPARE(model.get(0, QStringLiteral("ticksPerSecond")).toDouble(), 45.0);
    model.updateStatus(0, status("leader", 1, 190, "03", 1), 12000);
    QCOMPARE(model.get(0, QStringLiteral("ticksPerSecond")).toDouble(), 45.0);
    // A stall: the rate falls over the window.
    model.updateStatus(0, status("leader", 1, 190, "03", 1), 13000);
    QCOMPARE(model.get(0, QStringLiteral("ticksPerSecond")).toDouble(), 22.5);

    const QVariantList rates = model.get(0, QStringLiteral("rateHistory")).toList();
    QCOMPARE(rates.size(), 4);
    QCOMPARE(rates.at(1).toDouble(), 45.0);
    const QVariantList times = model.get(0, QStringLiteral("tickTimeHistory")).toList();
    QCOMPARE(times.size(), 4);
    QCOMPARE(times.at(0).toDouble(), 1500.0);
    QCOMPARE(model.historyMax(ReplicaListModel::RateHistoryRole), 45.0);
    QCOMPARE(model.historyMax(ReplicaListModel::TickTimeHistoryRole), 1500.0);

    for (int i = 0; i < ReplicaListModel::HistoryLength + 30; ++i)
        model.updateStatus(0, status("leader", 1, 200 + i, "04", 1), 14000 + i * 500);
    QCOMPARE(model.get(0, QStringLiteral("rateHistory")).toList().size(),
        ReplicaListModel::HistoryLength);
    QCOMPARE(model.get(0, QStringLiteral("ticksPerSecond")).toDouble(), 2.0);
}

void TestReplicaListModel::unreachableAndLeader()
{
    ReplicaListModel model;
    model.setReplicas(three());
    QVERIFY(!model.leader());
    QCOMPARE(model.leaderName(), QString());
    model.updateStatus(0, status("leader", 2, 100, "aa", 1), 1000);
    model.updateStatus(1, status("follower", 2, 100, "aa", 2), 1000);
    model.updateStatus(2, status("follower", 2, 100, "aa", 3), 1000);
    QCOMPARE(model.leaderName(), QStringLiteral("sim-1"));
    QCOMPARE(model.leader()->port, 7001);
    QCOMPARE(model.leaderCount(), 1);
    QCOMPARE(model.term(), 2);

    QSignalSpy summary(&model, &ReplicaListModel::summaryChanged);
    model.markUnreachable(0, QStringLiteral("connection closed"));
    QVERIFY(!summary.isEmpty());
    QCOMPARE(model.get(0, QStringLiteral("alive")).toBool(), false);
    QCOMPARE(model.get(0, QStringLiteral("role")).toString(), QString());
    QCOMPARE(model.get(0, QStringLiteral("error")).toString(), QStringLiteral("connection closed"));
    QCOMPARE(model.get(0, QStringLiteral("ticksPerSecond")).toDouble(), 0.0);
    QCOMPARE(model.leaderCount(), 0);
    QCOMPARE(model.aliveCount(), 2);

    // A new leader in a higher term; a stale answer from an older term does not win.
    model.updateStatus(2, status("leader", 3, 130, "bb", 3), 2000);
    model.updateStatus(1, status("leader", 2, 120, "cc", 2), 2000);
    QCOMPARE(model.leaderName(), QStringLiteral("sim-3"));
    QCOMPARE(model.term(), 3);
    model.updateStatus(0, status("follower", 3, 131, "dd", 1), 3000);
    QCOMPARE(model.get(0, QStringLiteral("alive")).toBool(), true);
    QCOMPARE(model.get(0, QStringLiteral("error")).toString(), QString());
}

void TestReplicaListModel::hashAgreement()
{
    ReplicaListModel model;
    model.setReplicas(three());
    QSignalSpy check(&model, &ReplicaListModel::hashCheckChanged);
    // One replica alone proves nothing.
    model.addHashes(0, { { 10, QStringLiteral("a") }, { 11, QStringLiteral("b") } });
    QCOMPARE(model.checkedTick(), 0);
    QVERIFY(model.hashesAgree());
    // A second one agrees on the ticks they share.
    model.addHashes(1, { { 11, QStringLiteral("b") }, { 12, QStringLiteral("c") } });
    QCOMPARE(model.checkedTick(), 11);
    QVERIFY(model.hashesAgree());
    QVERIFY(!check.isEmpty());
    model.addHashes(0, { { 12, QStringLiteral("c") } });
    QCOMPARE(model.checkedTick(), 12);

    // The third differs at tick 12: flagged, whichever replica is wrong.
    model.addHashes(2, { { 12, QStringLiteral("X") } });
    QVERIFY(!model.hashesAgree());
    QCOMPARE(model.mismatchTick(), 12);
    QCOMPARE(model.mismatchCount(), 1);
    // Later ticks agree again (the replica resynced): agreement is back, the count stays.
    model.addHashes(2, { { 13, QStringLiteral("d") } });
    model.addHashes(0, { { 13, QStringLiteral("d") } });
    QVERIFY(model.hashesAgree());
    QCOMPARE(model.checkedTick(), 13);
    QCOMPARE(model.mismatchCount(), 1);

    // Only a bounded number of ticks is remembered per replica.
    std::map<quint64, QString> many;
    for (quint64 tick = 100; tick < 100 + 2 * ReplicaListModel::RememberedTicks; ++tick)
        many[tick] = QStringLiteral("h%1").arg(tick);
    model.addHashes(1, many);
    model.addHashes(0, many);
    QCOMPARE(model.checkedTick(), qint64(99 + 2 * ReplicaListModel::RememberedTicks));
    QVERIFY(model.hashesAgree());
}

QTEST_GUILESS_MAIN(TestReplicaListModel)
#include "tst_ReplicaListModel.moc"
