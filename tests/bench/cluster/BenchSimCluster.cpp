// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "BenchSimCluster.h"

#include "ClusterTestUtil.h"
#include "GatewayClient.h"
#include "SimServerProcess.h"
#include "cluster/RaftNode.h"
#include "cluster/SimStateMachine.h"

#include <QCborArray>
#include <QDir>
#include <QElapsedTimer>
#include <QTemporaryDir>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <vector>

namespace metatopia::cluster::bench {

using namespace metatopia::cluster::test;

namespace {

// METATOPIA_BENCH_OBJECTS overrides it for a quick trial run.
const int ScriptedObjects = qEnvironmentVariableIntValue("METATOPIA_BENCH_OBJECTS") > 0
    ? qEnvironmentVariableIntValue("METATOPIA_BENCH_OBJECTS")
    : 10000;
constexpr int CreatesPerEntry = 1000;

// As in bench_sim: one object in ten runs a timer every tick, the others wait for a touch.
const char *ActiveScript = R"(
n = 0
acc = 0
set_timer(0.01)
function on_timer()
  n = n + 1
  acc = (acc * 31 + n) % 1000003
  if n % 45 == 0 then set_text("n=" .. n) end
end)";

const char *IdleScript = R"(
n = 0
names = {}
function on_touch(avatar, name)
  n = n + 1
  names[name] = (names[name] or 0) + 1
end)";

void bench(const char *name, double value, const char *unit, const QString &extra = {})
{
    std::printf("BENCH cluster.%s value=%.3f unit=%s%s\n", name, value, unit,
        extra.isEmpty() ? "" : qPrintable(QLatin1Char(' ') + extra));
    std::fflush(stdout);
}

double percentile(std::vector<qint64> values, double p)
{
    if (values.empty())
        return 0;
    std::sort(values.begin(), values.end());
    const size_t index = std::min(values.size() - 1, size_t(p * double(values.size() - 1) + 0.5));
    return double(values[index]);
}

double median(std::vector<qint64> values)
{
    return percentile(std::move(values), 0.5);
}

// The raft entries that build the world: 10 ticks of 1,000 scripted objects each, then empty
// ticks so the scripts run, set timers and hold some state.
std::vector<QByteArray> worldEntries(int emptyTicks)
{
    std::vector<QByteArray> entries;
    quint64 seq = 0;
    for (int first = 0; first < ScriptedObjects; first += CreatesPerEntry) {
        ActionBatch batch;
        for (int i = first; i < first + CreatesPerEntry && i < ScriptedObjects; ++i) {
            sim::CreateObject create;
            create.owner = 1;
            create.name = "o" + std::to_string(i);
            create.position = FVec3 { Fixed::fromInt(1 + i % 250),
                Fixed::fromInt(1 + (i / 250) * 6), Fixed::fromInt(20) };
            create.rotation = FQuat::identity();
            create.scale = FVec3 { Fixed::one(), Fixed::one(), Fixed::one() };
            create.script = i % 10 == 0 ? ActiveScript : IdleScript;
            batch.actions.push_back(Action { { 1, ++seq }, SimStateMachine::encodeAction(create) });
        }
        TickEntry entry;
        entry.actions = batch.encode();
        entries.push_back(entry.encode());
    }
    for (int i = 0; i < emptyTicks; ++i) {
        TickEntry entry;
        entry.actions = ActionBatch {}.encode();
        entries.push_back(entry.encode());
    }
    return entries;
}

// Install over raft: a one-voter cluster holding the world (its log compacted into a snapshot),
// then a fresh node started like `--join` is added; the time from addVoter to the new node
// having installed the snapshot with the same state hash.
struct InstallResult
{
    double restoredMs = -1; // addVoter -> snapshot restored on the joiner
    double caughtUpMs = -1; // addVoter -> joiner at the leader's tick
    bool joined = false; // addVoter succeeded (the joiner is a voter)
    bool sameHash = false;
    quint64 fileBytes = 0; // the snapshot as raft stores it (LZ4-compressed by libraft)
    QString error;
};

bool installOverRaft(const std::vector<QByteArray> &entries, InstallResult *out)
{
    quint64 *bytes = &out->fileBytes;
    QTemporaryDir dir;
    auto leaderState = std::make_shared<SimStateMachine>(SimStateMachineOptions {});
    RaftNode leader(leaderState);
    RaftConfig config;
    config.id = 1;
    config.address = freeLoopbackAddress();
    config.dataDir = dir.filePath(QStringLiteral("leader"));
    config.bootstrap = { RaftPeer { 1, config.address } };
    config.snapshotThreshold = 8;
    config.snapshotTrailing = 2;
    QString error;
    if (!leader.start(config, &error)) {
        std::fprintf(stderr, "snapshot install: leader: %s\n", qPrintable(error));
        return false;
    }
    if (!waitUntil([&] { return leader.status().role == RaftRole::Leader; }, 15000))
        return false;
    // One proposal at a time: its index tells where the world is complete.
    const auto proposeOne = [&](const QByteArray &entry) -> quint64 {
        quint64 index = 0;
        bool done = false;
        leader.propose(entry, [&](const ProposeResult &result) {
            done = true;
            index = result.ok ? result.index : 0;
        });
        waitUntil([&] { return done; }, 60000);
        return index;
    };
    quint64 worldIndex = 0;
    for (size_t i = 0; i < entries.size(); ++i) {
        const quint64 index = proposeOne(entries[i]);
        if (index == 0) {
            std::fprintf(stderr, "snapshot install: proposal %zu did not commit\n", i);
            return false;
        }
        if (i + 1 == size_t(ScriptedObjects / CreatesPerEntry))
            worldIndex = index;
    }
    // raft snapshots on apply, every `threshold` entries unless one is still being written; keep
    // the log moving with empty ticks until a snapshot (files snapshot-<term>-<index>-<time>)
    // holds the whole world.
    const auto snapshotCovers = [&] {
        const QStringList files
            = QDir(config.dataDir).entryList({ QStringLiteral("snapshot-*") }, QDir::Files);
        for (const QString &file : files) {
            if (file.endsWith(QLatin1String(".meta")))
                continue;
            if (file.section(QLatin1Char('-'), 2, 2).toULongLong() >= worldIndex) {
                *bytes = quint64(QFileInfo(QDir(config.dataDir).filePath(file)).size());
                return true;
            }
        }
        return false;
    };
    const QByteArray empty = entries.back();
    for (int i = 0; i < 200 && !snapshotCovers(); ++i) {
        if (proposeOne(empty) == 0 || waitUntil(snapshotCovers, 500))
            break;
    }
    if (!snapshotCovers()) {
        std::fprintf(stderr, "snapshot install: no snapshot covers the world\n");
        return false;
    }

    auto joinerState = std::make_shared<SimStateMachine>(SimStateMachineOptions {});
    RaftNode joiner(joinerState);
    RaftConfig joining = config;
    joining.id = 2;
    joining.address = freeLoopbackAddress();
    joining.dataDir = dir.filePath(QStringLiteral("joiner"));
    joining.bootstrap.clear();
    if (!joiner.start(joining, &error)) {
        std::fprintf(stderr, "snapshot install: joiner: %s\n", qPrintable(error));
        return false;
    }
    QElapsedTimer clock;
    clock.start();
    bool answered = false;
    leader.addVoter(2, joining.address, [&](const ChangeResult &result) {
        answered = true;
        out->joined = result.ok;
        out->error = result.error;
    });
    const quint64 wantTick = leaderState->view().tick;
    const quint64 wantHash = leaderState->view().hash;
    const auto caughtUp = [&] { return joinerState->view().tick >= wantTick; };
    waitUntil(
        [&] {
            if (out->restoredMs < 0 && joiner.status().snapshotsRestored > 0)
                out->restoredMs = double(clock.nsecsElapsed()) / 1e6;
            if (out->caughtUpMs < 0 && out->restoredMs >= 0 && caughtUp())
                out->caughtUpMs = double(clock.nsecsElapsed()) / 1e6;
            // Done when it has caught up and is a voter, or the change failed after the
            // snapshot went in (a spare whose promotion failed is sent nothing more).
            return (out->caughtUpMs >= 0 && answered)
                || (answered && !out->joined && out->restoredMs >= 0);
        },
        180000);
    out->sameHash = caughtUp() && joinerState->hashAt(wantTick) == wantHash;
    const RaftStatus a = leader.status();
    const RaftStatus b = joiner.status();
    joiner.stop();
    leader.stop();
    std::fprintf(stderr,
        "install over raft: addVoter %s%s; joiner restored the snapshot after %.0f ms, caught "
        "up after %.0f ms (leader applied %llu, voters %llu; joiner %s, applied %llu, tick %llu "
        "of %llu, hash %s)\n",
        out->joined ? "ok" : "FAILED: ", qPrintable(out->error), out->restoredMs, out->caughtUpMs,
        a.appliedIndex, a.voters, raftRoleName(b.role), b.appliedIndex, joinerState->view().tick,
        wantTick, out->sameHash ? "same" : "not compared or different");
    return out->restoredMs >= 0;
}

struct SimCluster
{
    QTemporaryDir dir;
    std::vector<std::unique_ptr<SimServerProcess>> replicas;
    std::vector<std::unique_ptr<GatewayProbe>> probes;
    QStringList clientAddresses;
    std::unique_ptr<net::PinStore> pins;

    bool start(int size, int tickRate)
    {
        pins = std::make_unique<net::PinStore>(dir.filePath(QStringLiteral("pins")));
        QStringList peers;
        for (int i = 1; i <= size; ++i) {
            const QString raft = freeLoopbackAddress();
            QString client = freeLoopbackAddress();
            while (client == raft)
                client = freeLoopbackAddress();
            clientAddresses << client;
            peers << QStringLiteral("%1=%2/%3").arg(i).arg(raft, client);
        }
        for (int i = 1; i <= size; ++i) {
            SimServerOptions options;
            options.logFile = dir.filePath(QStringLiteral("replica%1.log").arg(i));
            options.args = QStringList { QStringLiteral("--role"), QStringLiteral("sim"),
                QStringLiteral("--cluster"), QStringLiteral("21"), QStringLiteral("--id"),
                QString::number(i), QStringLiteral("--peers"), peers.join(QLatin1Char(',')),
                QStringLiteral("--data-dir"), dir.filePath(QStringLiteral("replica%1").arg(i)),
                QStringLiteral("--tick-rate"), QString::number(tickRate) };
            replicas.push_back(std::make_unique<SimServerProcess>(options));
            QString error;
            if (!replicas.back()->start(20000, &error)) {
                std::fprintf(stderr, "replica %d: %s\n", i, qPrintable(error));
                return false;
            }
            probes.push_back(std::make_unique<GatewayProbe>(clientAddresses.at(i - 1), *pins));
        }
        return true;
    }

    std::optional<QCborMap> status(int index, int timeoutMs = 1000)
    {
        if (!replicas.at(index)->isRunning())
            return std::nullopt;
        return probes.at(index)->status(timeoutMs);
    }

    // Index of the replica that says it leads, -1 if none.
    int leader()
    {
        for (int i = 0; i < int(replicas.size()); ++i) {
            const auto reply = status(i);
            if (reply && reply->value(QStringLiteral("role")).toString() == QLatin1String("leader"))
                return i;
        }
        return -1;
    }

    void report(const char *what)
    {
        std::fprintf(stderr, "%s:\n", what);
        for (int i = 0; i < int(replicas.size()); ++i) {
            const auto reply = status(i, 2000);
            std::fprintf(stderr, "  replica %d (%s): %s\n%s\n", i + 1,
                replicas.at(i)->isRunning() ? "running" : "not running",
                reply ? qPrintable(
                    QString::fromUtf8(QCborValue(*reply).toDiagnosticNotation().toUtf8()))
                      : "no status",
                qPrintable(replicas.at(i)->logTail(8)));
        }
    }

    // Client addresses with the leader's first, so clients start there.
    QStringList addressesFrom(int first) const
    {
        QStringList out { clientAddresses.at(first) };
        for (int i = 0; i < clientAddresses.size(); ++i) {
            if (i != first)
                out << clientAddresses.at(i);
        }
        return out;
    }
};

struct LatencyRun
{
    std::vector<qint64> latenciesNs;
    std::vector<qint64> commitUs; // the leader's propose -> commit, sampled
    QCborMap leaderStagesUs; // the leader's status "latencyUs" at the end
    bool ok = false;
};

// Paced open loop: `rate` actions/s for `seconds` after a warm-up second, one client, connected
// to the leader or (viaFollower) to a follower, which forwards to the leader and acknowledges
// once it has applied the tick itself.
LatencyRun pacedRun(int replicas, double rate, double seconds, bool viaFollower = false)
{
    LatencyRun run;
    SimCluster cluster;
    if (!cluster.start(replicas, 45))
        return run;
    int leader = -1;
    if (!waitUntil([&] { return (leader = cluster.leader()) >= 0; }, 15000)) {
        cluster.report("no leader");
        return run;
    }
    const int entry = viaFollower ? (leader + 1) % replicas : leader;
    SimLoadClient client(1, cluster.addressesFrom(entry), *cluster.pins);
    client.setWindow(4096);
    client.setRate(rate);
    client.setSending(true);
    QElapsedTimer wall;
    wall.start();
    waitUntil([] { return false; }, 1000); // warm-up: connection, first ticks, caches
    const qint64 from = client.nowNs();
    // Sample the leader's last propose -> commit latency while the load runs.
    while (wall.elapsed() < qint64((1 + seconds) * 1000)) {
        const auto reply = cluster.status(leader, 500);
        if (reply)
            run.commitUs.push_back(reply->value(QStringLiteral("commitLatencyUs")).toInteger());
        waitUntil([] { return false; }, 50);
    }
    const qint64 to = client.nowNs();
    client.setSending(false);
    run.ok = waitUntil([&] { return client.unacked() == 0; }, 15000);
    // The leader's own breakdown of where an action's time went (its recent samples), to stderr:
    // arrived -> proposed in a tick entry (wait) -> raft_apply (toRaft) -> committed and handed
    // to the state machine (commit) -> applied (apply) -> seen on the gateway's thread
    // (toGateway) -> acks written (ack); total is arrived -> ack on the leader.
    if (const auto status = cluster.status(leader, 2000)) {
        const QCborMap stages = status->value(QStringLiteral("latencyUs")).toMap();
        run.leaderStagesUs = stages;
        std::fprintf(stderr, "  leader stages, p50 / p99 us (samples):");
        for (auto it = stages.constBegin(); it != stages.constEnd(); ++it) {
            const QCborArray v = it.value().toArray();
            std::fprintf(stderr, " %s %lld / %lld (%lld);", qPrintable(it.key().toString()),
                v.at(0).toInteger(), v.at(1).toInteger(), v.at(2).toInteger());
        }
        std::fprintf(stderr, "\n");
    }
    run.latenciesNs = client.latenciesNs(from, to);
    std::fprintf(stderr,
        "%d replica(s) at 45 ticks/s, %.0f actions/s for %.0f s%s: %zu acked, reconnects %llu, "
        "latency p50 %.2f p90 %.2f p99 %.2f max %.2f ms; leader propose->commit p50 %.2f p99 "
        "%.2f ms (%zu samples)\n",
        replicas, rate, seconds, viaFollower ? " through a follower" : "", run.latenciesNs.size(),
        client.reconnects(), percentile(run.latenciesNs, 0.5) / 1e6,
        percentile(run.latenciesNs, 0.9) / 1e6, percentile(run.latenciesNs, 0.99) / 1e6,
        percentile(run.latenciesNs, 1.0) / 1e6, percentile(run.commitUs, 0.5) / 1e3,
        percentile(run.commitUs, 0.99) / 1e3, run.commitUs.size());
    return run;
}

// `clients` connections offering 1,800 actions/s each, at most `window` unacknowledged each.
double maxActionsPerSecond(int clients, int window, double seconds)
{
    SimCluster cluster;
    if (!cluster.start(3, 45))
        return 0;
    int leader = -1;
    if (!waitUntil([&] { return (leader = cluster.leader()) >= 0; }, 15000))
        return 0;
    std::vector<std::unique_ptr<SimLoadClient>> load;
    for (int c = 0; c < clients; ++c) {
        load.push_back(std::make_unique<SimLoadClient>(
            quint64(100 + c), cluster.addressesFrom(leader), *cluster.pins));
        load.back()->setWindow(window);
        // Below the gateway's per-connection limit (2,000 messages/s): refused messages would
        // never be acknowledged and stall the window.
        load.back()->setRate(1800);
        load.back()->setSending(true);
    }
    const auto total = [&] {
        size_t sum = 0;
        for (const auto &client : load)
            sum += client->ackedCount();
        return sum;
    };
    waitUntil([] { return false; }, 2000); // warm-up
    const size_t before = total();
    QElapsedTimer clock;
    clock.start();
    waitUntil([] { return false; }, int(seconds * 1000));
    const double rate = double(total() - before) / (double(clock.nsecsElapsed()) / 1e9);
    for (auto &client : load)
        client->setSending(false);
    waitUntil(
        [&] {
            return std::all_of(
                load.begin(), load.end(), [](const auto &c) { return c->unacked() == 0; });
        },
        15000);
    const auto status = cluster.status(leader);
    std::fprintf(stderr,
        "max throughput: %d clients x 1800/s offered, window %d: %.0f actions/s acknowledged "
        "(leader tick time "
        "%lld us, %lld objects)\n",
        clients, window, rate,
        status ? status->value(QStringLiteral("tickTimeUs")).toInteger() : -1,
        status ? status->value(QStringLiteral("objects")).toInteger() : -1);
    return rate;
}

} // namespace

bool snapshotOfScriptedWorld()
{
    const std::vector<QByteArray> entries = worldEntries(45);
    std::vector<qint64> buildNs;
    std::vector<qint64> snapshotNs;
    std::vector<qint64> restoreNs;
    qint64 bytes = 0;
    bool identical = true;
    {
        SimStateMachine world({});
        QElapsedTimer clock;
        clock.start();
        quint64 index = 0;
        for (const QByteArray &entry : entries)
            world.apply(++index, entry);
        buildNs.push_back(clock.nsecsElapsed());
        const auto view = world.view();
        std::fprintf(stderr, "scripted world: %zu objects after %llu ticks, built in %.0f ms\n",
            view.world->objects.size(), view.tick, double(buildNs.back()) / 1e6);
        if (view.world->objects.size() != size_t(ScriptedObjects))
            return false;
        for (int rep = 0; rep < 3; ++rep) {
            clock.restart();
            const QByteArray snapshot = world.snapshot();
            const qint64 took = clock.nsecsElapsed();
            bytes = snapshot.size();
            SimStateMachine fresh({});
            clock.restart();
            const bool restored = fresh.restore(snapshot);
            const qint64 restoreTook = clock.nsecsElapsed();
            identical = identical && restored && fresh.view().hash == view.hash
                && fresh.view().tick == view.tick;
            if (rep > 0) { // the first round warms caches and the allocator
                snapshotNs.push_back(took);
                restoreNs.push_back(restoreTook);
            }
        }
    }
    std::fprintf(stderr,
        "snapshot of %d scripted objects: %lld bytes, take median %.1f ms, restore median %.1f "
        "ms, restored state hash %s\n",
        ScriptedObjects, bytes, median(snapshotNs) / 1e6, median(restoreNs) / 1e6,
        identical ? "identical" : "DIFFERENT");
    bench("snapshot_10k_scripted_bytes", double(bytes), "B");
    bench("snapshot_10k_scripted_take", median(snapshotNs) / 1e6, "ms");
    bench("snapshot_10k_scripted_restore", median(restoreNs) / 1e6, "ms");

    InstallResult install;
    const bool installed = installOverRaft(entries, &install);
    bench("snapshot_10k_scripted_file_bytes", double(install.fileBytes), "B");
    if (installed)
        bench("snapshot_10k_scripted_install_over_raft", install.restoredMs, "ms");
    if (install.caughtUpMs >= 0)
        bench("snapshot_10k_scripted_join_caught_up", install.caughtUpMs, "ms");
    bench("snapshot_10k_scripted_join_ok", install.joined && install.sameHash ? 1 : 0, "bool",
        QStringLiteral("target=value==1"));
    return identical && installed && install.joined && install.sameHash;
}

bool simCommitLatency()
{
    const double tickMs = 1000.0 / 45;
    const LatencyRun three = pacedRun(3, 1000, 10.0);
    const LatencyRun one = pacedRun(1, 1000, 10.0);
    if (!three.ok || !one.ok || three.latenciesNs.empty() || one.latenciesNs.empty())
        return false;
    const double p50 = percentile(three.latenciesNs, 0.5) / 1e6;
    const double p99 = percentile(three.latenciesNs, 0.99) / 1e6;
    const double base50 = percentile(one.latenciesNs, 0.5) / 1e6;
    const double base99 = percentile(one.latenciesNs, 0.99) / 1e6;
    // An action waits for the next tick (up to one tick interval), then for its commit. The
    // single-replica cluster is the baseline: same code, same tick wait, no replication.
    bench("sim_commit_latency_45tps_1000aps_p50", p50, "ms",
        QStringLiteral("baseline=%1 ratio=%2").arg(base50, 0, 'f', 3).arg(p50 / base50, 0, 'f', 2));
    bench("sim_commit_latency_45tps_1000aps_p99", p99, "ms",
        QStringLiteral("baseline=%1 ratio=%2 target=value<=%3")
            .arg(base99, 0, 'f', 3)
            .arg(p99 / base99, 0, 'f', 2)
            .arg(tickMs + 5, 0, 'f', 1));
    bench("sim_commit_latency_p99_above_tick_wait", p99 - tickMs, "ms",
        QStringLiteral("target=value<=5"));
    bench("sim_commit_latency_p99_above_single_replica", p99 - base99, "ms",
        QStringLiteral("target=value<=5"));
    // The same as seen by the leader (arrived at its gateway -> ack written, its recent
    // actions): without the client's side, which a loaded machine makes noisy.
    const QCborArray leaderTotal = three.leaderStagesUs.value(QStringLiteral("total")).toArray();
    if (leaderTotal.size() >= 2) {
        bench("sim_commit_latency_leader_side_p99", double(leaderTotal.at(1).toInteger()) / 1e3,
            "ms", QStringLiteral("target=value<=%1").arg(tickMs + 5, 0, 'f', 1));
    }
    bench("sim_propose_to_commit_p50", percentile(three.commitUs, 0.5) / 1e3, "ms");
    bench("sim_propose_to_commit_p99", percentile(three.commitUs, 0.99) / 1e3, "ms",
        QStringLiteral("target=value<=5"));
    // A client of a follower: forwarded to the leader, acknowledged when the leader says it is
    // committed; one more hop each way.
    const LatencyRun follower = pacedRun(3, 1000, 10.0, true);
    if (follower.ok && !follower.latenciesNs.empty()) {
        bench("sim_commit_latency_via_follower_p50", percentile(follower.latenciesNs, 0.5) / 1e6,
            "ms");
        bench("sim_commit_latency_via_follower_p99", percentile(follower.latenciesNs, 0.99) / 1e6,
            "ms", QStringLiteral("target=value<=%1").arg(tickMs + 5, 0, 'f', 1));
    }

    const double max = maxActionsPerSecond(12, 512, 5.0);
    bench("sim_max_actions_per_s", max, "1/s");
    return max > 0;
}

bool simFailover(int kills)
{
    SimCluster cluster;
    if (!cluster.start(3, 45))
        return false;
    int leader = -1;
    if (!waitUntil([&] { return (leader = cluster.leader()) >= 0; }, 15000))
        return false;
    SimLoadClient client(7, cluster.addressesFrom(leader), *cluster.pins);
    client.setWindow(64);
    client.setRate(200);
    client.setSending(true);
    if (!waitUntil([&] { return client.ackedCount() >= 50; }, 15000))
        return false;

    std::vector<qint64> toTick;
    std::vector<qint64> toAck;
    for (int kill = 0; kill < kills; ++kill) {
        if (!waitUntil([&] { return (leader = cluster.leader()) >= 0; }, 15000))
            break;
        const auto before = cluster.status(leader);
        if (!before)
            break;
        const qint64 tickBefore = before->value(QStringLiteral("tick")).toInteger();
        const qint64 termBefore = before->value(QStringLiteral("term")).toInteger();
        const qint64 killedAt = client.nowNs();
        cluster.replicas.at(size_t(leader))->kill9();
        // Next committed tick: a survivor leads in a later term and has applied a tick the old
        // leader had not (one tick of slack for a commit racing the kill).
        qint64 tickAt = -1;
        waitUntil(
            [&] {
                for (int i = 0; i < int(cluster.replicas.size()); ++i) {
                    if (i == leader)
                        continue;
                    const auto reply = cluster.status(i, 200);
                    if (reply
                        && reply->value(QStringLiteral("role")).toString()
                            == QLatin1String("leader")
                        && reply->value(QStringLiteral("term")).toInteger() > termBefore
                        && reply->value(QStringLiteral("tick")).toInteger() > tickBefore + 1) {
                        tickAt = client.nowNs();
                        return true;
                    }
                }
                return false;
            },
            15000);
        if (tickAt < 0
            || !waitUntil(
                [&] { return client.firstAckAfter(killedAt, tickBefore + 1) >= 0; }, 15000))
            break;
        toTick.push_back(tickAt - killedAt);
        toAck.push_back(client.firstAckAfter(killedAt, tickBefore + 1) - killedAt);
        std::fprintf(stderr,
            "kill %2d: replica %d, next committed tick after %.1f ms, next ack %.1f ms\n", kill + 1,
            leader + 1, double(toTick.back()) / 1e6, double(toAck.back()) / 1e6);
        // Restart it from its data dir and let it catch up before the next kill.
        if (!cluster.replicas.at(size_t(leader))->start(20000))
            break;
        const auto caughtUp = [&] {
            qint64 low = std::numeric_limits<qint64>::max();
            qint64 high = 0;
            for (int i = 0; i < int(cluster.replicas.size()); ++i) {
                const auto reply = cluster.status(i);
                if (!reply)
                    return false;
                const qint64 tick = reply->value(QStringLiteral("tick")).toInteger();
                low = qMin(low, tick);
                high = qMax(high, tick);
            }
            return high - low <= 3;
        };
        if (!waitUntil(caughtUp, 20000))
            break;
    }
    client.setSending(false);
    waitUntil([&] { return client.unacked() == 0; }, 15000);
    std::fprintf(stderr,
        "sim failover: %zu of %d kills measured (election timeout 300 ms, heartbeat 50 ms); "
        "%zu actions acknowledged, %llu duplicate acks\n",
        toTick.size(), kills, client.ackedCount(), client.duplicateAcks());
    bench("sim_failover_to_tick_p50", percentile(toTick, 0.5) / 1e6, "ms");
    bench("sim_failover_to_tick_p99", percentile(toTick, 0.99) / 1e6, "ms",
        QStringLiteral("target=value<=1000"));
    bench("sim_failover_to_ack_p50", percentile(toAck, 0.5) / 1e6, "ms");
    bench("sim_failover_to_ack_p99", percentile(toAck, 0.99) / 1e6, "ms",
        QStringLiteral("target=value<=1000"));
    bench("sim_failover_kills", double(toTick.size()), "count",
        QStringLiteral("target=value==%1").arg(kills));
    return int(toTick.size()) == kills;
}

} // namespace metatopia::cluster::bench
