// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "sim/WorkerPool.h"

#include <algorithm>

#include <time.h>

namespace metatopia::sim {

namespace {

std::int64_t threadCpuNs()
{
    timespec ts {};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return std::int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

} // namespace

WorkerPool::WorkerPool(int threads)
    : m_shares(std::make_unique<Share[]>(std::size_t(std::max(1, threads))))
{
    for (int i = 1; i < std::max(1, threads); ++i)
        m_workers.emplace_back([this, i] { workerLoop(i); });
    m_active = threadCount();
}

void WorkerPool::setActiveThreads(int threads)
{
    // (Under the lock: a worker that wakes late reads it.)
    std::lock_guard lock(m_mutex);
    m_active = std::clamp(threads, 1, threadCount());
}

WorkerPool::~WorkerPool()
{
    {
        std::lock_guard lock(m_mutex);
        m_stopping = true;
    }
    m_wake.notify_all();
    for (auto &worker : m_workers)
        worker.join();
}

void WorkerPool::parallelFor(std::size_t count, const Task &task)
{
    if (count == 0)
        return;
    if (m_active == 1 || count == 1) {
        const std::int64_t start = threadCpuNs();
        task(0, count);
        m_busiestCpuNs = threadCpuNs() - start;
        m_totalCpuNs = m_busiestCpuNs;
        return;
    }
    const auto threads = static_cast<std::size_t>(m_active);
    {
        std::lock_guard lock(m_mutex);
        m_task = &task;
        for (std::size_t t = 0; t < threads; ++t) {
            m_shares[t].next.store(count * t / threads, std::memory_order_relaxed);
            m_shares[t].end = count * (t + 1) / threads;
        }
        // Small enough that the last chunks even out the threads, large enough that taking one
        // (an atomic add on a line the helpers may share) costs nothing against its work.
        m_chunk = std::clamp<std::size_t>(count / (threads * 32), 1, 32);
        m_open = true;
        ++m_generation;
        m_busiestCpuNs = 0;
        m_totalCpuNs = 0;
    }
    m_wake.notify_all();
    const std::int64_t own = runShares(0);
    std::unique_lock lock(m_mutex);
    // Every chunk is taken: a worker that has not woken yet has nothing left to do, so only
    // those still running chunks are waited for (not a sleeping worker's scheduling delay).
    m_open = false;
    m_busiestCpuNs = std::max(m_busiestCpuNs, own);
    m_totalCpuNs += own;
    m_done.wait(lock, [this] { return m_busyWorkers == 0; });
    m_task = nullptr;
}

std::int64_t WorkerPool::runShares(int own)
{
    const std::int64_t start = threadCpuNs();
    const int threads = m_active;
    const auto &task = *m_task;
    // Its own share first, then the others' in turn.
    for (int k = 0; k < threads; ++k) {
        Share &share = m_shares[std::size_t((own + k) % threads)];
        for (;;) {
            const std::size_t begin = share.next.fetch_add(m_chunk, std::memory_order_relaxed);
            if (begin >= share.end)
                break;
            task(begin, std::min(share.end, begin + m_chunk));
        }
    }
    return threadCpuNs() - start;
}

void WorkerPool::workerLoop(int index)
{
    std::uint64_t seen = 0;
    for (;;) {
        {
            std::unique_lock lock(m_mutex);
            m_wake.wait(lock, [&] { return m_stopping || m_generation != seen; });
            if (m_stopping)
                return;
            seen = m_generation;
            if (!m_open || index >= m_active)
                continue; // woke after the work was all taken, or not used this time
            ++m_busyWorkers;
        }
        const std::int64_t used = runShares(index);
        bool last;
        {
            std::lock_guard lock(m_mutex);
            m_busiestCpuNs = std::max(m_busiestCpuNs, used);
            m_totalCpuNs += used;
            last = --m_busyWorkers == 0;
        }
        if (last)
            m_done.notify_all();
    }
}

} // namespace metatopia::sim
