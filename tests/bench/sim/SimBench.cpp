// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
// bench_sim: 10,000 scripted objects each handling one event per tick (on_timer every tick):
// tick time p50/p99 with 2 threads, the speedup of 2 threads over 1, the cost of a tick with 1%
// of the objects active against 100%, and the memory an idle scripted object costs.
// Only BENCH lines go to stdout; details go to stderr.
//
//   bench_sim                          the full benchmark
//   bench_sim profile OBJECTS TICKS [THREADS [WRITE_EVERY [sync]]]
//                                      one run of a smaller world, for callgrind/perf, with
//                                      per-tick figures; scripts write every WRITE_EVERY ticks;
//                                      THREADS "1,2" alternates 1 and 2 threads on one world

#include <QCoreApplication>

#include "sim/TickEngine.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <string_view>
#include <sys/resource.h>
#include <thread>
#include <time.h>
#include <tuple>
#include <unistd.h>
#include <vector>

using namespace metatopia;
using namespace metatopia::sim;

namespace {

int Objects = 10000;
int WarmupTicks = 20;
int MeasuredTicks = 150;
bool ProfileMode = false;

// Every script writes its object once a second (every 45 ticks). Scripts started at different
// times write in different ticks (phase = when in the second it writes), as timers set at
// different moments do: 10,000 writes a second, 222 in each tick. With SynchronisedWrites every
// script writes in the same tick instead: a thundering herd of 10,000 writes, merges and rehashes
// in one tick, reported on its own (sim.tick_p99_10k_synchronised_writes).
bool SynchronisedWrites = false;
std::string activeScript(int writeEvery, int phase)
{
    return R"(
n = )" + std::to_string(phase)
        + R"(
acc = 0
set_timer(0.01)
function on_timer()
  n = n + 1
  acc = (acc * 31 + n) % 1000003
  if n % )"
        + std::to_string(writeEvery) + R"( == 0 then set_text("n=" .. n) end
end)";
}
int WriteEvery = 45;

const char *IdleScript = R"(
n = 0
function on_touch() n = n + 1 end)";

std::string loadAverage()
{
    std::ifstream in("/proc/loadavg");
    std::string line;
    std::getline(in, line);
    return line + "\n";
}

std::size_t residentBytes()
{
    std::ifstream statm("/proc/self/statm");
    std::size_t pages = 0;
    std::size_t resident = 0;
    statm >> pages >> resident;
    return resident * std::size_t(sysconf(_SC_PAGESIZE));
}

TickBatch worldBatch(int active)
{
    TickBatch batch;
    batch.tick = 1;
    batch.seed = 99;
    for (int i = 0; i < Objects; ++i) {
        CreateObject c;
        c.owner = 1;
        c.name = "o";
        c.position.x = Fixed::fromInt(1 + i % 250);
        c.position.y = Fixed::fromInt(1 + (i / 250) * 6);
        c.position.z = Fixed::fromInt(20);
        c.rotation = FQuat::identity();
        c.scale = FVec3 { Fixed::one(), Fixed::one(), Fixed::one() };
        // Spread the active ones evenly through the id range.
        const bool isActive = active >= Objects || (i % (Objects / active)) == 0;
        c.script = isActive ? activeScript(WriteEvery, SynchronisedWrites ? 0 : i % WriteEvery)
                            : IdleScript;
        batch.inputs.push_back(Input { std::uint64_t(i + 1), std::move(c) });
    }
    return batch;
}

struct Timing
{
    double p50 = 0; // wall time
    double p99 = 0;
    double cpuP50 = 0; // CPU time on the critical path (TickStats::criticalCpuNs)
    double cpuP99 = 0;
    double parallelTotalP50 = 0; // CPU time of all threads in the parallel phase
    std::uint32_t scriptsRun = 0;
};

std::int64_t threadCpuNs()
{
    timespec ts {};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return std::int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

// A register-only loop: no memory traffic, so two threads can only be slowed by the machine
// (shared physical cores, hypervisor), never by the code.
[[gnu::noinline]] std::uint64_t aluLoop(std::uint64_t rounds, std::uint64_t seed)
{
    std::uint64_t x = seed | 1;
    std::uint64_t y = seed;
    for (std::uint64_t i = 0; i < rounds; ++i) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        y += x >> 17;
        asm volatile("" : "+r"(x), "+r"(y));
    }
    return x ^ y;
}

// Pointer chasing through a ring much larger than the caches: every step waits for memory, like
// a script whose VM state is no longer cached.
[[gnu::noinline]] std::uint32_t chaseLoop(
    const std::vector<std::uint32_t> &ring, std::uint64_t steps, std::uint32_t start)
{
    std::uint32_t at = start;
    for (std::uint64_t i = 0; i < steps; ++i)
        at = ring[at];
    return at;
}

// Streaming reads through a buffer much larger than the caches: bounded by memory bandwidth, like
// a tick that walks every script's VM state once.
[[gnu::noinline]] std::uint64_t streamLoop(const std::vector<std::uint64_t> &buffer, int passes)
{
    std::uint64_t sum = 0;
    for (int pass = 0; pass < passes; ++pass) {
        for (std::size_t i = 0; i < buffer.size(); i += 8) // one read per 64-byte line
            sum += buffer[i];
        asm volatile("" : "+r"(sum));
    }
    return sum;
}

// What two threads give over one on this machine, by wall time and by CPU time (medians of
// `reps`), for the same work `work(seed)` on each: the ceiling against which
// sim.speedup_2threads is read.
template<typename Work> std::pair<double, double> parallelCeiling(int reps, const Work &work)
{
    std::vector<double> wall;
    std::vector<double> cpu;
    for (int rep = 0; rep < reps; ++rep) {
        auto start = std::chrono::steady_clock::now();
        std::int64_t cpuStart = threadCpuNs();
        volatile std::uint64_t sink = work(1);
        const double aloneCpu = double(threadCpuNs() - cpuStart);
        const double aloneWall
            = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

        std::int64_t otherCpu = 0;
        start = std::chrono::steady_clock::now();
        std::thread other([&] {
            const std::int64_t begin = threadCpuNs();
            volatile std::uint64_t otherSink = work(2);
            (void)otherSink;
            otherCpu = threadCpuNs() - begin;
        });
        cpuStart = threadCpuNs();
        sink = work(3);
        const std::int64_t ownCpu = threadCpuNs() - cpuStart;
        other.join();
        (void)sink;
        const double bothWall
            = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        wall.push_back(2 * aloneWall / bothWall);
        cpu.push_back(2 * aloneCpu / double(std::max(ownCpu, otherCpu)));
    }
    std::sort(wall.begin(), wall.end());
    std::sort(cpu.begin(), cpu.end());
    return { wall[wall.size() / 2], cpu[cpu.size() / 2] };
}

struct Ceilings
{
    std::pair<double, double> alu;
    std::pair<double, double> memory;
    std::pair<double, double> bandwidth;
};

Ceilings machineParallelCeilings()
{
    Ceilings c;
    c.alu = parallelCeiling(7, [](std::uint64_t seed) { return aluLoop(40'000'000, seed); });
    // One random cycle through 64 MiB (a fixed permutation: same work every run).
    std::vector<std::uint32_t> ring(std::size_t(16) << 20);
    std::vector<std::uint32_t> order(ring.size());
    for (std::size_t i = 0; i < order.size(); ++i)
        order[i] = std::uint32_t(i);
    std::uint64_t state = 0x9e3779b97f4a7c15ull;
    for (std::size_t i = order.size() - 1; i > 0; --i) {
        state = state * 6364136223846793005ull + 1442695040888963407ull;
        std::swap(order[i], order[(state >> 33) % (i + 1)]);
    }
    for (std::size_t i = 0; i < order.size(); ++i)
        ring[order[i]] = order[(i + 1) % order.size()];
    c.memory = parallelCeiling(3, [&](std::uint64_t seed) {
        return std::uint64_t(chaseLoop(ring, 1'000'000, std::uint32_t(seed * 977)));
    });
    // Each thread streams its own 128 MiB.
    std::vector<std::uint64_t> first(std::size_t(16) << 20, 1);
    std::vector<std::uint64_t> second(std::size_t(16) << 20, 2);
    c.bandwidth = parallelCeiling(
        3, [&](std::uint64_t seed) { return streamLoop(seed == 2 ? second : first, 4); });
    return c;
}

// p50 and p99 of a sample (sorted in place).
std::pair<double, double> percentiles(std::vector<double> &v)
{
    std::sort(v.begin(), v.end());
    return { v[v.size() / 2], v[std::min(v.size() - 1, (v.size() * 99) / 100)] };
}

// Out of line so a profiler can collect only the measured ticks:
//   valgrind --tool=callgrind --collect-atstart=no --toggle-collect='*measuredStep*' ...
[[gnu::noinline]] const TickReport &measuredStep(TickEngine &engine, const TickBatch &batch)
{
    return engine.step(batch);
}

// Runs one world of `active` busy scripts (the rest idle) and times its ticks with each thread
// count in `threadCounts`, alternating in blocks of a few ticks on the same engine: every count
// sees the same world, the same memory layout and the same machine weather, so their ratio holds
// even when the machine's speed drifts during the run (it did, by 1.6x between runs).
std::vector<Timing> measure(const std::vector<int> &threadCounts, int active)
{
    constexpr int BlockTicks = 5;
    EngineConfig config;
    config.threads = *std::max_element(threadCounts.begin(), threadCounts.end());
    TickEngine engine(config);
    // LOAD_THREADS (environment, default: all): how many threads load the world's VMs. Loaded
    // on several, neighbouring ids' VMs interleave in memory, which costs every later tick
    // (measured before the prefetching: +20% on 1 thread and +10% on 2).
    if (const char *load = std::getenv("LOAD_THREADS"))
        engine.setThreads(std::max(1, std::atoi(load)));
    engine.step(worldBatch(active));
    if (ProfileMode)
        std::fprintf(stderr, "world made\n"); // (a profiler may attach now)
    struct Samples
    {
        std::vector<double> ms, cpuMs, serialMs, parallelMs, parallelTotalMs;
        std::uint32_t run = 0;
    };
    std::vector<Samples> samples(threadCounts.size());
    const int measured = MeasuredTicks * int(threadCounts.size());
    for (int t = 0; t < WarmupTicks + measured; ++t) {
        const bool measuring = t >= WarmupTicks;
        const std::size_t which = measuring
            ? std::size_t((t - WarmupTicks) / BlockTicks) % threadCounts.size()
            : std::size_t(t) % threadCounts.size();
        engine.setThreads(threadCounts[which]);
        TickBatch batch;
        batch.tick = engine.tick() + 1;
        batch.seed = batch.tick * 7919;
        rusage usageBefore {};
        getrusage(RUSAGE_SELF, &usageBefore);
        const auto start = std::chrono::steady_clock::now();
        const auto &report = measuring ? measuredStep(engine, batch) : engine.step(batch);
        const auto end = std::chrono::steady_clock::now();
        if (!measuring)
            continue;
        Samples &s = samples[which];
        s.ms.push_back(std::chrono::duration<double, std::milli>(end - start).count());
        s.cpuMs.push_back(double(report.stats.criticalCpuNs) / 1e6);
        s.serialMs.push_back(double(report.stats.criticalCpuNs - report.stats.parallelCpuNs) / 1e6);
        s.parallelMs.push_back(double(report.stats.parallelCpuNs) / 1e6);
        s.parallelTotalMs.push_back(double(report.stats.parallelTotalCpuNs) / 1e6);
        s.run = report.stats.scriptsRun;
        rusage usageAfter {};
        getrusage(RUSAGE_SELF, &usageAfter);
        if (ProfileMode)
            std::fprintf(stderr,
                "tick %llu (%d threads): wall %.2f ms, critical CPU %.2f (serial %.2f: apply "
                "%.2f route %.2f merge %.2f), parallel busiest %.2f all %.2f; %u objects "
                "changed, %ld page faults\n",
                static_cast<unsigned long long>(report.stats.tick), threadCounts[which],
                s.ms.back(), s.cpuMs.back(), s.serialMs.back(), double(report.stats.applyNs) / 1e6,
                double(report.stats.routeNs) / 1e6, double(report.stats.mergeNs) / 1e6,
                s.parallelMs.back(), s.parallelTotalMs.back(), report.stats.objectsChanged,
                usageAfter.ru_minflt - usageBefore.ru_minflt);
    }
    std::vector<Timing> timings;
    for (std::size_t i = 0; i < threadCounts.size(); ++i) {
        Samples &s = samples[i];
        Timing timing;
        std::tie(timing.p50, timing.p99) = percentiles(s.ms);
        std::tie(timing.cpuP50, timing.cpuP99) = percentiles(s.cpuMs);
        timing.scriptsRun = s.run;
        const double serialP50 = percentiles(s.serialMs).first;
        const double parallelP50 = percentiles(s.parallelMs).first;
        timing.parallelTotalP50 = percentiles(s.parallelTotalMs).first;
        std::fprintf(stderr,
            "threads=%d active=%d: wall p50 %.2f ms, p99 %.2f ms; critical-path CPU p50 %.2f ms "
            "(serial part %.2f ms), p99 %.2f ms; parallel phase CPU p50: busiest thread %.2f ms, "
            "all threads %.2f ms; scripts run/tick %u\n",
            threadCounts[i], active, timing.p50, timing.p99, timing.cpuP50, serialP50,
            timing.cpuP99, parallelP50, timing.parallelTotalP50, s.run);
        timings.push_back(timing);
    }
    if (ProfileMode) {
        // Skips tearing the world down, which would otherwise weigh in a profile of a short run.
        std::fflush(stderr);
        std::_Exit(0);
    }
    return timings;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    if (argc >= 4 && std::string_view(argv[1]) == "profile") {
        Objects = std::max(1, std::atoi(argv[2]));
        WarmupTicks = 2;
        MeasuredTicks = std::max(1, std::atoi(argv[3]));
        ProfileMode = true;
        if (argc >= 6)
            WriteEvery = std::max(1, std::atoi(argv[5]));
        SynchronisedWrites = argc >= 7 && std::string_view(argv[6]) == "sync";
        // THREADS may list several counts ("1,2"): they alternate on the same world.
        std::vector<int> counts;
        for (std::string_view list = argc >= 5 ? argv[4] : "1"; !list.empty();) {
            const std::size_t comma = std::min(list.find(','), list.size());
            counts.push_back(std::max(1, std::atoi(std::string(list.substr(0, comma)).c_str())));
            list.remove_prefix(std::min(list.size(), comma + 1));
        }
        measure(counts, Objects);
        return 0;
    }

    // Idle scripted objects: resident memory growth per object, and the VM's own accounting.
    // First, while the heap holds nothing freed that the world could reuse.
    const std::size_t before = residentBytes();
    std::uint64_t vmBytes = 0;
    {
        EngineConfig config;
        TickEngine engine(config);
        engine.step(worldBatch(1));
        TickBatch next { 2, 5, {} };
        engine.step(next);
        vmBytes = engine.lastReport().stats.scriptMemory;
        const std::size_t after = residentBytes();
        std::printf("BENCH sim.memory_per_idle_object value=%.0f unit=bytes\n",
            double(after - before) / Objects);
    }
    const Ceilings ceilings = machineParallelCeilings();
    std::fprintf(stderr,
        "machine: 2 threads run %.2fx one of ALU work (wall; %.2fx by CPU time), %.2fx of "
        "latency-bound memory work (%.2fx), %.2fx of bandwidth-bound streaming (%.2fx)\n",
        ceilings.alu.first, ceilings.alu.second, ceilings.memory.first, ceilings.memory.second,
        ceilings.bandwidth.first, ceilings.bandwidth.second);
    const std::vector<Timing> busy = measure({ 1, 2 }, Objects);
    const Timing &one = busy[0];
    const Timing &two = busy[1];
    const Timing sparse = measure({ 2 }, Objects / 100)[0];
    SynchronisedWrites = true;
    const Timing herd = measure({ 2 }, Objects)[0];
    SynchronisedWrites = false;

    std::printf(
        "BENCH sim.vm_memory_per_idle_object value=%.0f unit=bytes\n", double(vmBytes) / Objects);
    std::printf("BENCH sim.tick_p50_10k value=%.2f unit=ms\n", two.p50);
    std::printf("BENCH sim.tick_p99_10k value=%.2f unit=ms target=value<=22\n", two.p99);
    std::printf("BENCH sim.tick_p50_10k_1thread value=%.2f unit=ms\n", one.p50);
    // Context, no target: every object writing in the same tick.
    std::printf("BENCH sim.tick_p99_10k_synchronised_writes value=%.2f unit=ms\n", herd.p99);
    std::printf("BENCH sim.tick_cpu_p99_10k_synchronised_writes value=%.2f unit=ms\n", herd.cpuP99);
    std::printf("BENCH sim.speedup_2threads value=%.2f unit=x baseline=%.2f target=value>=1.8\n",
        one.p50 / two.p50, one.p50);
    std::printf("BENCH sim.active_1pct_over_100pct value=%.2f unit=ms baseline=%.2f ratio=%.3f "
                "target=ratio<=0.05\n",
        sparse.p50, two.p50, sparse.p50 / two.p50);
    // The same figures from CPU time on the tick's critical path: what the tick takes on idle
    // cores, stable when the machine is shared (wall times above are not).
    std::printf("BENCH sim.tick_cpu_p50_10k value=%.2f unit=ms\n", two.cpuP50);
    std::printf("BENCH sim.tick_cpu_p99_10k value=%.2f unit=ms target=value<=22\n", two.cpuP99);
    std::printf("BENCH sim.tick_cpu_p50_10k_1thread value=%.2f unit=ms\n", one.cpuP50);
    std::printf(
        "BENCH sim.speedup_2threads_cpu value=%.2f unit=x baseline=%.2f target=value>=1.8\n",
        one.cpuP50 / two.cpuP50, one.cpuP50);
    std::printf("BENCH sim.active_1pct_over_100pct_cpu value=%.2f unit=ms baseline=%.2f "
                "ratio=%.3f target=ratio<=0.05\n",
        sparse.cpuP50, two.cpuP50, sparse.cpuP50 / two.cpuP50);
    // Work per tick that costs more CPU on two threads than on one (contention), whatever the
    // balance: 1.00 is none.
    std::printf("BENCH sim.parallel_cpu_2threads_over_1 value=%.2f unit=x baseline=%.2f\n",
        two.parallelTotalP50 / one.parallelTotalP50, one.parallelTotalP50);
    // What the machine's two cores give at best, to read the speedups against.
    std::printf("BENCH sim.machine_parallel_ceiling value=%.2f unit=x\n", ceilings.alu.first);
    std::printf("BENCH sim.machine_parallel_ceiling_cpu value=%.2f unit=x\n", ceilings.alu.second);
    std::printf(
        "BENCH sim.machine_parallel_ceiling_memory value=%.2f unit=x\n", ceilings.memory.first);
    std::printf("BENCH sim.machine_parallel_ceiling_memory_cpu value=%.2f unit=x\n",
        ceilings.memory.second);
    std::printf("BENCH sim.machine_parallel_ceiling_bandwidth value=%.2f unit=x\n",
        ceilings.bandwidth.first);
    std::printf("BENCH sim.machine_parallel_ceiling_bandwidth_cpu value=%.2f unit=x\n",
        ceilings.bandwidth.second);
    std::fprintf(stderr, "load average: %s", loadAverage().c_str());
    return 0;
}
