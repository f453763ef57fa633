// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
// A recorded busy world replayed with 1, 2 and 8 threads, in this process and in separate
// sim_replay processes, and across a snapshot restored in a new process: identical per-tick
// state hashes. The world's size comes from SIM_OBJECTS and SIM_TICKS (default 600 objects,
// 150 ticks); SIM_LONG=1 (the `long` ctest label) means 3,000 objects for 10,000 ticks.

#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

#include "BusyWorld.h"
#include "sim/TickEngine.h"

using namespace metatopia;
using namespace metatopia::sim;
using namespace metatopia::sim::test;

class DeterminismTest : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void sameHashesWithAnyThreadCount();
    void sameHashesInSeparateProcesses();
    void snapshotRestoredInNewProcessContinuesIdentically();

private:
    QString replay() const { return QStringLiteral(METATOPIA_BIN_DIR "/sim_replay"); }
    QString runReplay(const QStringList &args);

    BusyWorldOptions m_options;
    std::vector<TickBatch> m_log;
    QTemporaryDir m_dir;
    QString m_logPath;
};

void DeterminismTest::initTestCase()
{
    const bool longRun = qEnvironmentVariableIntValue("SIM_LONG") == 1;
    m_options.objects = longRun ? 3000 : 600;
    m_options.avatars = 20;
    m_options.ticks = longRun ? 10000 : 150;
    if (const int objects = qEnvironmentVariableIntValue("SIM_OBJECTS"); objects > 0)
        m_options.objects = objects;
    if (const int ticks = qEnvironmentVariableIntValue("SIM_TICKS"); ticks > 0)
        m_options.ticks = std::uint64_t(ticks);
    m_options.seed = 2026;
    m_log = generateBusyWorld(m_options);
    QVERIFY(m_dir.isValid());
    m_logPath = m_dir.filePath(QStringLiteral("busy.log"));
    QVERIFY(writeInputLog(m_logPath, m_log));
    std::string error;
    const auto readBack = readInputLog(m_logPath, &error);
    QVERIFY2(readBack, error.c_str());
    QCOMPARE(readBack->size(), m_log.size());
    QCOMPARE(readBack->back().encode(), m_log.back().encode());
}

void DeterminismTest::sameHashesWithAnyThreadCount()
{
    // In-process: 1, 2 and 8 threads over the same log. Short prefix when the log is long: the
    // separate-process test below covers the whole log.
    const std::size_t ticks = std::min<std::size_t>(m_log.size(), 150);
    std::vector<std::vector<std::uint64_t>> runs;
    std::uint64_t chatted = 0, rezzed = 0, derezzed = 0, moved = 0;
    for (int threads : { 1, 2, 8 }) {
        EngineConfig config;
        config.threads = threads;
        // VM states enter the hash within 5 ticks of a run (the default is staggered wider).
        config.region.limits.vmHashInterval = 5;
        TickEngine engine(config);
        std::vector<std::uint64_t> hashes;
        for (std::size_t i = 0; i < ticks; ++i) {
            const auto &report = engine.step(m_log[i]);
            hashes.push_back(report.stats.hash);
            if (threads == 1) {
                chatted += report.chat.size();
                rezzed += report.stats.rezzed;
                derezzed += report.stats.derezzed;
                moved += report.stats.objectsChanged;
                QCOMPARE(report.stats.scriptErrors, 0u);
            }
        }
        runs.push_back(std::move(hashes));
    }
    QCOMPARE(runs[1], runs[0]);
    QCOMPARE(runs[2], runs[0]);
    // The world really was busy.
    QVERIFY(chatted > 1000);
    QVERIFY(rezzed > 100);
    QVERIFY(derezzed > 10);
    QVERIFY(moved > 5000);
}

QString DeterminismTest::runReplay(const QStringList &args)
{
    QProcess process;
    process.start(replay(), args);
    if (!process.waitForFinished(600000) || process.exitCode() != 0) {
        qWarning() << process.readAllStandardError();
        return {};
    }
    return QString::fromUtf8(process.readAllStandardOutput()).trimmed();
}

void DeterminismTest::sameHashesInSeparateProcesses()
{
    // 1, 2 and 8 threads, each in its own process, run at the same time.
    const QList<int> threadCounts { 1, 2, 8 };
    std::vector<std::unique_ptr<QProcess>> processes;
    for (int threads : threadCounts) {
        auto &process = processes.emplace_back(std::make_unique<QProcess>());
        process->start(replay(),
            { QStringLiteral("run"), QStringLiteral("--log"), m_logPath,
                QStringLiteral("--threads"), QString::number(threads), QStringLiteral("--hashes"),
                m_dir.filePath(QStringLiteral("h%1").arg(threads)) });
    }
    QStringList finals;
    for (auto &process : processes) {
        QVERIFY(process->waitForFinished(3600000));
        QVERIFY2(process->exitStatus() == QProcess::NormalExit && process->exitCode() == 0,
            process->readAllStandardError().constData());
        finals << QString::fromUtf8(process->readAllStandardOutput()).trimmed();
    }
    const QString one = finals[0];
    QVERIFY(one.startsWith(QStringLiteral("final %1 ").arg(m_log.size())));
    QCOMPARE(finals[1], one);
    QCOMPARE(finals[2], one);
    QFile f1(m_dir.filePath(QStringLiteral("h1")));
    QVERIFY(f1.open(QIODevice::ReadOnly));
    const QByteArray a = f1.readAll();
    QCOMPARE(a.count('\n'), qsizetype(m_log.size()));
    for (int threads : { 2, 8 }) {
        QFile f(m_dir.filePath(QStringLiteral("h%1").arg(threads)));
        QVERIFY(f.open(QIODevice::ReadOnly));
        QCOMPARE(f.readAll(), a);
    }
    if (m_log.size() <= 150) {
        // And the same as this process computed.
        TickEngine engine({});
        for (const auto &batch : m_log)
            engine.step(batch);
        QVERIFY(
            one.contains(QStringLiteral("%1").arg(engine.stateHash(), 16, 16, QLatin1Char('0'))));
    }
}

void DeterminismTest::snapshotRestoredInNewProcessContinuesIdentically()
{
    const std::uint64_t k = m_log.size() / 2;
    const QString snapshot = m_dir.filePath(QStringLiteral("snap.sqlite"));
    const QString straightHashes = m_dir.filePath(QStringLiteral("straight"));
    const QString restoredHashes = m_dir.filePath(QStringLiteral("restored"));
    const QString straight = runReplay(
        { QStringLiteral("run"), QStringLiteral("--log"), m_logPath, QStringLiteral("--threads"),
            QStringLiteral("2"), QStringLiteral("--snapshot-at"), QString::number(k),
            QStringLiteral("--snapshot"), snapshot, QStringLiteral("--hashes"), straightHashes });
    QVERIFY(!straight.isEmpty());
    const QString restored = runReplay({ QStringLiteral("run"), QStringLiteral("--log"), m_logPath,
        QStringLiteral("--threads"), QStringLiteral("1"), QStringLiteral("--restore"), snapshot,
        QStringLiteral("--hashes"), restoredHashes });
    QVERIFY(!restored.isEmpty());
    // Same final state; the chain differs only because it covers fewer ticks.
    QCOMPARE(restored.section(QLatin1Char(' '), 0, 2), straight.section(QLatin1Char(' '), 0, 2));
    QFile a(straightHashes);
    QFile b(restoredHashes);
    QVERIFY(a.open(QIODevice::ReadOnly) && b.open(QIODevice::ReadOnly));
    const QList<QByteArray> all = a.readAll().split('\n');
    const QList<QByteArray> tail = b.readAll().split('\n');
    QCOMPARE(tail.size(), all.size() - qsizetype(k));
    QCOMPARE(tail, all.mid(qsizetype(k)));
}

QTEST_GUILESS_MAIN(DeterminismTest)
#include "DeterminismTest.moc"
