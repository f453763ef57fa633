// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

// WorkerPool: a fixed set of std::threads that run one parallel-for at a time. The tick engine
// gives each script its own result slot, so which thread runs which script, and in what order,
// never shows in the results: the pool only decides how fast a tick goes.

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
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

    // Calls task(i) for every i in [0, count), spread over the threads; returns when all are done.
    // Tasks must not throw.
    void parallelFor(std::size_t count, const std::function<void(std::size_t)> &task);

    // CPU time of the busiest thread in the last parallelFor (its share of the work, unlike
    // wall time not stretched when other processes take the cores): for monitoring only.
    std::int64_t lastBusiestCpuNs() const noexcept { return m_busiestCpuNs; }

private:
    void workerLoop();
    void runChunks();

    std::vector<std::thread> m_workers;
    std::mutex m_mutex;
    std::condition_variable m_wake;
    std::condition_variable m_done;
    const std::function<void(std::size_t)> *m_task = nullptr;
    std::size_t m_count = 0;
    std::size_t m_next = 0;
    std::size_t m_finished = 0;
    std::size_t m_chunk = 1;
    std::uint64_t m_generation = 0;
    int m_busyWorkers = 0;
    bool m_stopping = false;
    std::int64_t m_busiestCpuNs = 0;
};

} // namespace metatopia::sim
