// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "cluster/DivergenceDetector.h"

#include <algorithm>

namespace metatopia::cluster {

DivergenceDetector::DivergenceDetector(std::vector<quint64> replicas, quint64 window)
    : m_window(window > 0 ? window : 1)
{
    setReplicas(std::move(replicas));
}

void DivergenceDetector::setReplicas(std::vector<quint64> replicas)
{
    std::sort(replicas.begin(), replicas.end());
    replicas.erase(std::unique(replicas.begin(), replicas.end()), replicas.end());
    m_replicas = std::move(replicas);
}

bool DivergenceDetector::known(quint64 replica) const
{
    return std::binary_search(m_replicas.begin(), m_replicas.end(), replica);
}

void DivergenceDetector::flag(std::vector<Divergence> &out, Divergence divergence)
{
    ++m_count;
    m_firstDivergence.try_emplace(divergence.replica, divergence.tick);
    out.push_back(divergence);
}

std::vector<Divergence> DivergenceDetector::report(quint64 tick, quint64 replica, quint64 hash)
{
    std::vector<Divergence> out;
    if (!known(replica) || m_replicas.empty())
        return out;
    if (m_newestTick >= m_window && tick <= m_newestTick - m_window)
        return out; // too old to be compared: its tick may already be forgotten
    m_newestTick = std::max(m_newestTick, tick);

    Tick &entry = m_ticks[tick];
    const auto [it, inserted] = entry.hashes.emplace(replica, hash);
    if (!inserted) {
        if (it->second != hash)
            flag(out, { tick, replica, hash, it->second, false });
        return out;
    }

    if (entry.decided) {
        if (hash != entry.majorityHash)
            flag(out, { tick, replica, hash, entry.majorityHash, false });
    } else {
        std::map<quint64, size_t> votes;
        for (const auto &[id, h] : entry.hashes)
            ++votes[h];
        for (const auto &[h, n] : votes) {
            if (n >= majority()) {
                entry.decided = true;
                entry.majorityHash = h;
                for (const auto &[id, reported] : entry.hashes) {
                    if (reported != h)
                        flag(out, { tick, id, reported, h, false });
                }
                break;
            }
        }
        if (!entry.decided && entry.hashes.size() == m_replicas.size()
            && !entry.flaggedNoMajority) {
            entry.flaggedNoMajority = true;
            for (const auto &[id, reported] : entry.hashes)
                flag(out, { tick, id, reported, 0, true });
        }
    }

    // Forget ticks everyone reported on, and ticks that fell out of the window.
    if (entry.hashes.size() == m_replicas.size() && (entry.decided || entry.flaggedNoMajority))
        m_ticks.erase(tick);
    while (!m_ticks.empty() && m_newestTick >= m_window
        && m_ticks.begin()->first <= m_newestTick - m_window)
        m_ticks.erase(m_ticks.begin());
    return out;
}

} // namespace metatopia::cluster
