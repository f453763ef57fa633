// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

// WorkerPool: a fixed set of std::threads that run one parallel-for at a time. The tick engine
// gives each script its own result slot, so which thread runs which script, and in what order,
// never shows in the results: the pool only decides how fast a tick goes.
//
// Each thread owns a contiguous share of the index range and works through it in small chunks;
// a thread that finishes its share helps with the rest of the others'. Owning the same share
// tick after tick keeps each script's VM in the caches of the core that ran it last (handing
// chunks out first come, first served shuffled them between the cores every tick, and a VM's
// cache misses, not its instructions, are most of its cost); helping keeps the threads even
// when one of them is slowed down.

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace metatopia::sim {

class WorkerPool
{
public:
    // threads counts the calling thread: 1 runs everything inline.
    explicit WorkerPool(int threads);
    ~WorkerPool();
    WorkerPool(const WorkerPool &) = delete;
    WorkerPool &operator=(const WorkerPool &) = delete;

    int threadCount() const noexcept { return int(m_workers.size()) + 1; }

    // How many of the threads the next parallelFor calls use (1..threadCount()); the others stay
    // asleep. Lets a benchmark alternate 1 and N threads on the same world, in the same run.
    void setActiveThreads(int threads);
    int activeThreads() const noexcept { return m_active; }

    // Calls task(begin, end) on consecutive ranges that together cover [0, count) once, spread
    // over the threads; returns when all are done. A range is small (tens of indices), so tasks
    // can walk neighbouring items together. Tasks must not throw.
    using Task = std::function<void(std::size_t begin, std::size_t end)>;
    void parallelFor(std::size_t count, const Task &task);

    // CPU time of the busiest thread in the last parallelFor (its share of the work, unlike
    // wall time not stretched when other processes take the cores): for monitoring only.
    std::int64_t lastBusiestCpuNs() const noexcept { return m_busiestCpuNs; }
    // CPU time of all threads together in the last parallelFor: with lastBusiestCpuNs() it
    // tells load imbalance (busiest above total / threads) from work that costs more per item
    // on more threads (total above the one-thread figure). For monitoring only.
    std::int64_t lastTotalCpuNs() const noexcept { return m_totalCpuNs; }

private:
    // One thread's share [next, end): taken from the front in chunks by its owner and, once
    // they are done with their own, by the others. On its own cache line: every chunk taken
    // writes it.
    struct alignas(64) Share
    {
        std::atomic<std::size_t> next { 0 };
        std::size_t end = 0;
    };

    void workerLoop(int index);
    // Runs the chunks of share `own`, then helps with the others'; returns the CPU time used.
    std::int64_t runShares(int own);

    std::vector<std::thread> m_workers;
    std::unique_ptr<Share[]> m_shares; // one per thread; 0 is the calling thread's
    std::mutex m_mutex;
    std::condition_variable m_wake;
    std::condition_variable m_done;
    const Task *m_task = nullptr;
    std::size_t m_chunk = 1;
    std::uint64_t m_generation = 0;
    int m_active = 1; // threads used, the calling one included
    int m_busyWorkers = 0; // workers running chunks of the current parallelFor
    bool m_open = false; // chunks of the current parallelFor may still be untaken
    bool m_stopping = false;
    std::int64_t m_busiestCpuNs = 0;
    std::int64_t m_totalCpuNs = 0;
};

} // namespace metatopia::sim
