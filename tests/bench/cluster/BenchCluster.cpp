// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// bench_cluster: replicas are cluster_test_replica processes on 127.0.0.1 (raft over loopback TCP,
// raft log on the local disk), driven over their control sockets like a client would.
//   - commit latency (send -> ack after commit) at a paced 1,000 proposals/s, 3 replicas, against
//     the same measurement on a single-replica cluster (baseline: no replication);
//   - maximum proposals/s sustained (one raft entry per action) and actions/s with batching;
//   - failover: kill -9 the leader 20 times, time from the kill to the next committed proposal,
//     with the default timings (election 300 ms, heartbeat 50 ms) and with 150/25 ms.
// The real sim role (BenchSimCluster.cpp): snapshot size and install time of a world of 10,000
// scripted objects, commit latency at 45 ticks/s and 1,000 actions/s with three
// `metatopia-server --role sim` processes and their maximum actions/s, failover over 20 kills.
// BENCH lines on stdout, details on stderr.
//   bench_cluster                  everything
//   bench_cluster SECTION...       only these: ledger, snapshot, sim-latency, sim-failover
#include "BenchSimCluster.h"
#include "ClusterDriver.h"
#include "ClusterTestUtil.h"
#include "ReplicaProcess.h"

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>
#include <QTimer>

#include <algorithm>
#include <cstdio>
#include <memory>

using namespace metatopia::cluster;
using namespace metatopia::cluster::test;

namespace {

struct Cluster
{
    std::vector<std::unique_ptr<ReplicaProcess>> replicas;
    std::vector<ReplicaProcess *> pointers() const
    {
        std::vector<ReplicaProcess *> out;
        for (const auto &r : replicas)
            out.push_back(r.get());
        return out;
    }
};

bool startCluster(Cluster &cluster, int size, const QString &dir, const QStringList &extraArgs)
{
    QStringList addresses;
    QStringList peers;
    for (int i = 1; i <= size; ++i) {
        addresses << freeLoopbackAddress();
        peers << QStringLiteral("%1=%2").arg(i).arg(addresses.last());
    }
    for (int i = 1; i <= size; ++i) {
        ReplicaOptions options;
        options.id = quint64(i);
        options.raftAddress = addresses[i - 1];
        options.dataDir = dir + QStringLiteral("/replica%1").arg(i);
        options.peers = peers.join(QLatin1Char(','));
        options.extraArgs = extraArgs;
        cluster.replicas.push_back(std::make_unique<ReplicaProcess>(options));
        if (!cluster.replicas.back()->start())
            return false;
    }
    return true;
}

double percentile(std::vector<qint64> values, double p)
{
    if (values.empty())
        return 0;
    std::sort(values.begin(), values.end());
    const size_t index = std::min(values.size() - 1, size_t(p * double(values.size() - 1) + 0.5));
    return double(values[index]);
}

bool waitFor(const std::function<bool()> &condition, int timeoutMs)
{
    QDeadlineTimer deadline(timeoutMs);
    while (!condition()) {
        if (deadline.hasExpired())
            return false;
        QTest::qWait(1);
    }
    return true;
}

// Paced open-loop load: `rate` sends per second of `burst` actions each, for `seconds`.
std::vector<qint64> pacedLatencies(ClusterDriver &driver, int rate, int burst, double seconds)
{
    driver.clearLatencies();
    QElapsedTimer clock;
    clock.start();
    const qint64 total = qint64(rate * seconds);
    qint64 sent = 0;
    QTimer pacer;
    pacer.setTimerType(Qt::PreciseTimer);
    pacer.setInterval(1);
    QObject::connect(&pacer, &QTimer::timeout, [&] {
        const qint64 due = std::min(total, clock.nsecsElapsed() * rate / 1000000000);
        if (due > sent) {
            driver.sendNew(int(due - sent) * burst);
            sent = due;
        }
    });
    pacer.start();
    waitFor([&] { return sent >= total; }, int(seconds * 1000) + 10000);
    pacer.stop();
    waitFor([&] { return driver.unacked().empty(); }, 10000);
    return driver.latenciesNs();
}

struct LatencyFigures
{
    double p50Ms = 0;
    double p99Ms = 0;
};

// burst > 1 models tick batching: the actions of one tick arrive together and the replica
// proposes them as one batch (--max-batch), so raft sees `rate` proposals per second.
LatencyFigures measureLatency(
    int replicas, int rate, int burst, double seconds, const QString &base)
{
    QTemporaryDir dir(base + QStringLiteral("/metatopia-bench-cluster-XXXXXX"));
    Cluster cluster;
    LatencyFigures figures;
    if (!startCluster(cluster, replicas, dir.path(),
            { QStringLiteral("--max-batch"), QString::number(qMax(1, burst)) }))
        return figures;
    ClusterDriver driver(cluster.pointers(), 1);
    ReplicaProcess *leader = driver.findLeader(15000);
    if (!leader)
        return figures;
    driver.setTarget(leader);
    pacedLatencies(driver, rate, burst, 1.0); // warm-up: connections, segment files, caches
    const auto latencies = pacedLatencies(driver, rate, burst, seconds);
    figures.p50Ms = percentile(latencies, 0.50) / 1e6;
    figures.p99Ms = percentile(latencies, 0.99) / 1e6;
    std::fprintf(stderr,
        "%d replica(s), %d proposals/s x %d actions, data in %s, %.0f s: %zu acked, p50 %.3f ms, "
        "p90 %.3f ms, p99 %.3f ms, max %.3f ms\n",
        replicas, rate, burst, qPrintable(base), seconds, latencies.size(), figures.p50Ms,
        percentile(latencies, 0.9) / 1e6, figures.p99Ms, percentile(latencies, 1.0) / 1e6);
    return figures;
}

// Closed loop: keep `window` proposals outstanding for `seconds`; returns acks per second.
double measureThroughput(int maxBatch, int window, double seconds)
{
    QTemporaryDir dir;
    Cluster cluster;
    if (!startCluster(
            cluster, 3, dir.path(), { QStringLiteral("--max-batch"), QString::number(maxBatch) }))
        return 0;
    ClusterDriver driver(cluster.pointers(), 1);
    ReplicaProcess *leader = driver.findLeader(15000);
    if (!leader)
        return 0;
    driver.setTarget(leader);
    QObject::connect(&driver, &ClusterDriver::ackedOne, [&] {
        const int missing = window - int(driver.unacked().size());
        if (missing > 0)
            driver.sendNew(missing);
    });
    driver.sendNew(window);
    QTest::qWait(1000); // warm-up, load running
    const size_t before = driver.acked().size();
    QElapsedTimer clock;
    clock.start();
    QTest::qWait(int(seconds * 1000));
    const double rate
        = double(driver.acked().size() - before) / (double(clock.nsecsElapsed()) / 1e9);
    QObject::disconnect(&driver, &ClusterDriver::ackedOne, nullptr, nullptr);
    waitFor([&] { return driver.unacked().empty(); }, 10000);
    std::fprintf(
        stderr, "throughput, max-batch %d, window %d: %.0f acks/s\n", maxBatch, window, rate);
    return rate;
}

std::vector<qint64> measureFailover(int kills, const QStringList &extraArgs)
{
    std::vector<qint64> failovers;
    QTemporaryDir dir;
    Cluster cluster;
    if (!startCluster(cluster, 3, dir.path(), extraArgs))
        return failovers;
    ClusterDriver driver(cluster.pointers(), 1);
    for (int kill = 0; kill < kills; ++kill) {
        ReplicaProcess *leader = driver.findLeader(15000);
        if (!leader)
            break;
        driver.setTarget(leader);
        driver.sendNew(20);
        if (!waitFor([&] { return driver.unacked().empty(); }, 10000))
            break;
        QElapsedTimer sinceKill;
        leader->kill9();
        sinceKill.start();
        // Probe: find whoever leads now and get one new proposal committed.
        qint64 failover = -1;
        while (failover < 0 && sinceKill.elapsed() < 15000) {
            ReplicaProcess *next = driver.findLeader(15000);
            if (!next)
                break;
            driver.setTarget(next);
            driver.resendUnacked();
            driver.sendNew(1);
            const size_t acked = driver.acked().size();
            if (waitFor([&] { return driver.acked().size() > acked && driver.unacked().empty(); },
                    1000))
                failover = sinceKill.nsecsElapsed();
        }
        if (failover < 0)
            break;
        failovers.push_back(failover);
        std::fprintf(stderr, "kill %2d: leader %llu, next commit after %.1f ms\n", kill + 1,
            leader->options().id, double(failover) / 1e6);
        // Back to three healthy replicas before the next kill.
        if (!leader->start())
            break;
        const auto caughtUp = [&] {
            QSet<QString> applied;
            for (ReplicaProcess *replica : cluster.pointers())
                applied.insert(replica->status(2000).value(QStringLiteral("applied")));
            return applied.size() == 1 && !applied.contains(QString());
        };
        if (!waitFor(caughtUp, 15000))
            break;
    }
    return failovers;
}

void bench(const char *name, double value, const char *unit, const QString &extra = {})
{
    std::printf("BENCH cluster.%s value=%.3f unit=%s%s\n", name, value, unit,
        extra.isEmpty() ? "" : qPrintable(QLatin1Char(' ') + extra));
    std::fflush(stdout);
}

// The replicated-ledger figures (cluster_test_replica): raft alone, without the sim.
bool ledgerBenchmarks()
{
    if (!QFile::exists(ReplicaProcess::executable())) {
        std::fprintf(stderr, "missing %s\n", qPrintable(ReplicaProcess::executable()));
        return false;
    }

    // Baseline: the same measurement on a single replica (no replication, same disk and code path).
    const QString disk = QDir::tempPath();
    const QString memory = QStringLiteral("/dev/shm");
    const auto latency
        = [](const char *name, const LatencyFigures &figures, const LatencyFigures &baseline) {
              bench(QByteArray(QByteArray(name) + "_p50").constData(), figures.p50Ms, "ms",
                  QStringLiteral("baseline=%1 ratio=%2")
                      .arg(baseline.p50Ms, 0, 'f', 3)
                      .arg(baseline.p50Ms > 0 ? figures.p50Ms / baseline.p50Ms : 0, 0, 'f', 2));
              bench(QByteArray(QByteArray(name) + "_p99").constData(), figures.p99Ms, "ms",
                  QStringLiteral("baseline=%1 ratio=%2 target=value<=5")
                      .arg(baseline.p99Ms, 0, 'f', 3)
                      .arg(baseline.p99Ms > 0 ? figures.p99Ms / baseline.p99Ms : 0, 0, 'f', 2));
          };
    latency("commit_latency_1000ps", measureLatency(3, 1000, 1, 5.0, disk),
        measureLatency(1, 1000, 1, 5.0, disk));
    // 45 ticks/s carrying 1,000 actions/s: one proposal of ~22 actions per tick.
    latency("commit_latency_45tps_1000aps", measureLatency(3, 45, 22, 5.0, disk),
        measureLatency(1, 45, 22, 5.0, disk));
    if (QFileInfo(memory).isDir() && QFileInfo(memory).isWritable())
        latency("commit_latency_1000ps_tmpfs", measureLatency(3, 1000, 1, 5.0, memory),
            measureLatency(1, 1000, 1, 5.0, memory));

    const double unbatched = measureThroughput(1, 256, 5.0);
    const double batched = measureThroughput(256, 4096, 5.0);
    bench("max_proposals_per_s", unbatched, "1/s");
    bench("max_actions_per_s_batched", batched, "1/s",
        QStringLiteral("baseline=%1 ratio=%2")
            .arg(unbatched, 0, 'f', 0)
            .arg(unbatched > 0 ? batched / unbatched : 0, 0, 'f', 2));

    const auto failovers = measureFailover(20, {});
    std::fprintf(stderr,
        "failover: %zu kills measured (election timeout 300 ms, heartbeat 50 ms)\n",
        failovers.size());
    bench("failover_p50", percentile(failovers, 0.5) / 1e6, "ms");
    bench("failover_p99", percentile(failovers, 0.99) / 1e6, "ms",
        QStringLiteral("target=value<=1000"));
    bench("failover_max", percentile(failovers, 1.0) / 1e6, "ms");
    bench("failover_kills", double(failovers.size()), "count", QStringLiteral("target=value==20"));

    // Tighter loopback timings: faster failover, at the price of less slack for a stalled leader.
    const auto fast = measureFailover(20,
        { QStringLiteral("--election-ms"), QStringLiteral("150"), QStringLiteral("--heartbeat-ms"),
            QStringLiteral("25") });
    std::fprintf(stderr,
        "failover: %zu kills measured (election timeout 150 ms, heartbeat 25 ms)\n", fast.size());
    bench("failover_election150_p50", percentile(fast, 0.5) / 1e6, "ms");
    bench("failover_election150_p99", percentile(fast, 0.99) / 1e6, "ms",
        QStringLiteral("target=value<=1000"));
    return failovers.size() == 20 && fast.size() == 20;
}

void printLoad(const char *when)
{
    QFile loadavg(QStringLiteral("/proc/loadavg"));
    if (loadavg.open(QIODevice::ReadOnly))
        std::fprintf(stderr, "load average %s: %s", when, loadavg.readAll().constData());
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QStringList sections = app.arguments().mid(1);
    const QStringList known { QStringLiteral("ledger"), QStringLiteral("snapshot"),
        QStringLiteral("sim-latency"), QStringLiteral("sim-failover") };
    for (const QString &section : std::as_const(sections)) {
        if (!known.contains(section)) {
            std::fprintf(stderr, "unknown section \"%s\" (known: %s)\n", qPrintable(section),
                qPrintable(known.join(QStringLiteral(", "))));
            return 2;
        }
    }
    if (sections.isEmpty())
        sections = known;
    std::fprintf(stderr, "machine: %d cores\n", QThread::idealThreadCount());
    printLoad("at start");

    bool ok = true;
    for (const QString &section : std::as_const(sections)) {
        std::fprintf(stderr, "== %s\n", qPrintable(section));
        if (section == QLatin1String("ledger"))
            ok = ledgerBenchmarks() && ok;
        else if (section == QLatin1String("snapshot"))
            ok = metatopia::cluster::bench::snapshotOfScriptedWorld() && ok;
        else if (section == QLatin1String("sim-latency"))
            ok = metatopia::cluster::bench::simCommitLatency() && ok;
        else if (section == QLatin1String("sim-failover"))
            ok = metatopia::cluster::bench::simFailover(20) && ok;
        printLoad(qPrintable(QStringLiteral("after ") + section));
    }
    return ok ? 0 : 1;
}
