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
{
    for (int i = 1; i < std::max(1, threads); ++i)
        m_workers.emplace_back([this] { workerLoop(); });
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

void WorkerPool::parallelFor(std::size_t count, const std::function<void(std::size_t)> &task)
{
    if (count == 0)
        return;
    if (m_workers.empty() || count == 1) {
        const std::int64_t start = threadCpuNs();
        for (std::size_t i = 0; i < count; ++i)
            task(i);
        m_busiestCpuNs = threadCpuNs() - start;
        return;
    }
    {
        std::lock_guard lock(m_mutex);
        m_task = &task;
        m_count = count;
        m_next = 0;
        m_finished = 0;
        // Small chunks balance uneven scripts; not too small so the lock is not the bottleneck.
        m_chunk = std::clamp<std::size_t>(count / (threadCount() * 16), 1, 64);
        ++m_generation;
        m_busiestCpuNs = 0;
    }
    m_wake.notify_all();
    const std::int64_t start = threadCpuNs();
    runChunks();
    const std::int64_t own = threadCpuNs() - start;
    std::unique_lock lock(m_mutex);
    m_busiestCpuNs = std::max(m_busiestCpuNs, own);
    m_done.wait(lock, [this] { return m_finished == m_count && m_busyWorkers == 0; });
    m_task = nullptr;
}

void WorkerPool::runChunks()
{
    for (;;) {
        std::size_t begin;
        std::size_t end;
        {
            std::lock_guard lock(m_mutex);
            if (m_next >= m_count)
                return;
            begin = m_next;
            end = std::min(m_count, begin + m_chunk);
            m_next = end;
        }
        for (std::size_t i = begin; i < end; ++i)
            (*m_task)(i);
        {
            std::lock_guard lock(m_mutex);
            m_finished += end - begin;
        }
    }
}

void WorkerPool::workerLoop()
{
    std::uint64_t seen = 0;
    for (;;) {
        {
            std::unique_lock lock(m_mutex);
            m_wake.wait(lock, [&] { return m_stopping || m_generation != seen; });
            if (m_stopping)
                return;
            seen = m_generation;
            ++m_busyWorkers;
        }
        const std::int64_t start = threadCpuNs();
        runChunks();
        const std::int64_t used = threadCpuNs() - start;
        {
            std::lock_guard lock(m_mutex);
            m_busiestCpuNs = std::max(m_busiestCpuNs, used);
            --m_busyWorkers;
        }
        m_done.notify_all();
    }
}

} // namespace metatopia::sim
