// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
// LocalWorld and ReplicaMonitor against real metatopia-server processes: the chat server and
// three sim replicas start and become ready, the monitor sees one leader, advancing ticks and
// equal state hashes; killing the leader with SIGKILL elects another and ticks resume; the killed
// replica restarts on its data and catches up; a second LocalWorld on the same world dir reuses
// its shape and raft data.

#include "ui/LocalWorld.h"
#include "ui/ReplicaMonitor.h"

#include "net/PinStore.h"

#include "FreePorts.h"

#include <QFileInfo>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <limits>
#include <memory>

using namespace metatopia;

namespace {

constexpr int waitMs = 30000;

} // namespace

class TestLocalWorld : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void startsAndAgrees();
    void failoverWhenTheLeaderIsKilled();
    void restartReusesTheWorld();
    void refusesBadOptions();
    void cleanupTestCase();

private:
    void startWorld(int replicas);
    qint64 maxAliveTick() const;
    qint64 minAliveTick() const;

    QTemporaryDir m_dir;
    quint16 m_base = 0;
    std::unique_ptr<LocalWorld> m_world;
    std::unique_ptr<net::PinStore> m_pins;
    std::unique_ptr<ReplicaMonitor> m_monitor;
};

void TestLocalWorld::initTestCase()
{
    QVERIFY(m_dir.isValid());
    m_base = test::freePortBlock();
    QVERIFY(m_base != 0);
}

void TestLocalWorld::cleanupTestCase()
{
    m_monitor.reset();
    m_world.reset();
}

void TestLocalWorld::startWorld(int replicas)
{
    LocalWorldOptions options;
    options.worldDir = m_dir.filePath(QStringLiteral("world"));
    options.serverBinary = LocalWorld::serverBinaryIn(QStringLiteral(METATOPIA_BIN_DIR));
    options.replicas = replicas;
    options.basePort = m_base;
    m_world = std::make_unique<LocalWorld>(options);
    QSignalSpy started(m_world.get(), &LocalWorld::started);
    QSignalSpy failed(m_world.get(), &LocalWorld::failed);
    QString error;
    QVERIFY2(m_world->start(&error), qPrintable(error));
    QTRY_VERIFY_WITH_TIMEOUT(!started.isEmpty() || !failed.isEmpty(), waitMs);
    QVERIFY2(failed.isEmpty(), qPrintable(failed.value(0).value(0).toString()));

    m_pins = std::make_unique<net::PinStore>(m_world->pinFile());
    m_monitor = std::make_unique<ReplicaMonitor>(*m_pins);
    QList<ReplicaEndpoint> endpoints;
    for (int id = 1; id <= m_world->replicaCount(); ++id) {
        endpoints << ReplicaEndpoint { QStringLiteral("sim-%1").arg(id), QStringLiteral("127.0.0.1"),
            m_world->clientPort(id) };
    }
    m_monitor->setReplicas(endpoints);
    m_monitor->setInterval(200);
    m_monitor->start();
}

qint64 TestLocalWorld::maxAliveTick() const
{
    qint64 most = 0;
    ReplicaListModel *model = m_monitor->model();
    for (int row = 0; row < model->count(); ++row) {
        if (model->get(row, QStringLiteral("alive")).toBool())
            most = std::max(most, model->get(row, QStringLiteral("tick")).toLongLong());
    }
    return most;
}

qint64 TestLocalWorld::minAliveTick() const
{
    qint64 least = std::numeric_limits<qint64>::max();
    ReplicaListModel *model = m_monitor->model();
    for (int row = 0; row < model->count(); ++row) {
        if (model->get(row, QStringLiteral("alive")).toBool())
            least = std::min(least, model->get(row, QStringLiteral("tick")).toLongLong());
    }
    return least;
}

void TestLocalWorld::startsAndAgrees()
{
    startWorld(3);
    QCOMPARE(m_world->processes().size(), 4);
    QVERIFY(m_world->allRunning());
    // The chat server listens where the world says, the replicas serve on their fixed ports.
    QCOMPARE(m_world->chat()->readyCaptures().value(2).toUInt(), uint(m_world->chatPort()));
    for (int id = 1; id <= 3; ++id) {
        QCOMPARE(m_world->replica(id)->readyCaptures().value(1).toUInt(),
            uint(m_world->clientPort(id)));
        QVERIFY(m_world->replica(id)->log()->count() > 0);
    }
    QVERIFY(QFileInfo::exists(m_dir.filePath(QStringLiteral("world/world.ini"))));

    ReplicaListModel *model = m_monitor->model();
    QTRY_VERIFY_WITH_TIMEOUT(model->aliveCount() == 3 && model->leaderCount() == 1, waitMs);
    const qint64 tick = minAliveTick();
    QTRY_VERIFY_WITH_TIMEOUT(minAliveTick() > tick + 20, waitMs);
    QTRY_VERIFY_WITH_TIMEOUT(model->checkedTick() > tick, waitMs);
    QVERIFY(model->hashesAgree());
    QCOMPARE(model->mismatchCount(), 0);
    for (int row = 0; row < 3; ++row) {
        QVERIFY(model->get(row, QStringLiteral("ticksPerSecond")).toDouble() > 5);
        QCOMPARE(model->get(row, QStringLiteral("divergences")).toInt(), 0);
        QVERIFY(!model->get(row, QStringLiteral("hash")).toString().isEmpty());
    }
}

void TestLocalWorld::failoverWhenTheLeaderIsKilled()
{
    QVERIFY(m_world && m_monitor);
    ReplicaListModel *model = m_monitor->model();
    const QString oldLeader = model->leaderName();
    QVERIFY(!oldLeader.isEmpty());
    const int oldRow = model->rowOf(oldLeader);
    const int id = oldRow + 1;

    m_world->killReplica(id);
    QTRY_COMPARE_WITH_TIMEOUT(m_world->replica(id)->state(), ManagedProcess::State::Stopped, waitMs);
    QVERIFY(m_world->replica(id)->log()->lines().last().contains(QStringLiteral("killed")));
    QTRY_VERIFY_WITH_TIMEOUT(!model->get(oldRow, QStringLiteral("alive")).toBool(), waitMs);
    QTRY_VERIFY_WITH_TIMEOUT(
        model->leaderCount() == 1 && model->leaderName() != oldLeader, waitMs);
    const qint64 tick = maxAliveTick();
    QTRY_VERIFY_WITH_TIMEOUT(minAliveTick() > tick + 20, waitMs);
    QTRY_VERIFY_WITH_TIMEOUT(model->checkedTick() > tick, waitMs);
    QVERIFY(model->hashesAgree());

    // Back on its data: it rejoins, catches up and agrees.
    m_world->restartReplica(id);
    QTRY_VERIFY_WITH_TIMEOUT(m_world->replica(id)->isRunning(), waitMs);
    QTRY_VERIFY_WITH_TIMEOUT(model->aliveCount() == 3, waitMs);
    const qint64 resumed = maxAliveTick();
    QTRY_VERIFY_WITH_TIMEOUT(model->get(oldRow, QStringLiteral("tick")).toLongLong() > resumed, waitMs);
    QCOMPARE(model->leaderCount(), 1);
    QVERIFY(model->hashesAgree());
    QCOMPARE(model->mismatchCount(), 0);
}

void TestLocalWorld::restartReusesTheWorld()
{
    QVERIFY(m_world && m_monitor);
    const qint64 before = maxAliveTick();
    QVERIFY(before > 0);
    m_monitor.reset();
    m_world->stop();
    for (ManagedProcess *process : m_world->processes())
        QCOMPARE(process->state(), ManagedProcess::State::Stopped);
    m_world.reset();

    // Asking for five replicas on an existing three-replica world keeps its three.
    startWorld(5);
    QCOMPARE(m_world->replicaCount(), 3);
    QCOMPARE(m_world->notes().size(), 1);
    ReplicaListModel *model = m_monitor->model();
    QTRY_VERIFY_WITH_TIMEOUT(model->aliveCount() == 3 && model->leaderCount() == 1, waitMs);
    // The sim goes on from its raft log: no tick from before is lost.
    QTRY_VERIFY_WITH_TIMEOUT(minAliveTick() > before, waitMs);
    QTRY_VERIFY_WITH_TIMEOUT(model->checkedTick() > before, waitMs);
    QVERIFY(model->hashesAgree());
}

void TestLocalWorld::refusesBadOptions()
{
    LocalWorldOptions options;
    options.serverBinary = LocalWorld::serverBinaryIn(QStringLiteral(METATOPIA_BIN_DIR));
    options.basePort = m_base;
    QString error;
    options.worldDir = m_dir.filePath(QStringLiteral("even"));
    options.replicas = 4;
    QVERIFY(!LocalWorld(options).start(&error));
    QVERIFY2(error.contains(QStringLiteral("odd")), qPrintable(error));
    options.worldDir = m_dir.filePath(QStringLiteral("nobinary"));
    options.replicas = 3;
    options.serverBinary = m_dir.filePath(QStringLiteral("no-such-server"));
    QVERIFY(!LocalWorld(options).start(&error));
    QVERIFY2(error.contains(QStringLiteral("not an executable")), qPrintable(error));
}

QTEST_GUILESS_MAIN(TestLocalWorld)
#include "tst_LocalWorld.moc"
