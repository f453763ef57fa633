// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <QtGlobal>

#include <map>
#include <vector>

namespace metatopia::cluster {

struct Divergence
{
    quint64 tick = 0;
    quint64 replica = 0;
    quint64 hash = 0; // what the replica reported
    quint64 majorityHash = 0; // what a majority of the replicas reported (0 if none)
    bool noMajority = false; // every replica reported and no hash reached a majority
    bool operator==(const Divergence &) const = default;
};

// Byzantine faults are detected, not masked (DESIGN.md §5): every replica publishes its state hash
// per tick, and a replica whose hash differs from the one a majority of the cluster reported for
// the same tick is flagged. The detector is fed reports in any order and from any replica (own
// hash, hashes received on the side channel or read from the log); it decides a tick as soon as a
// majority agrees and flags later dissenters as they arrive. Old undecided ticks are dropped after
// a window so a dead replica cannot make it grow without bound.
class DivergenceDetector
{
public:
    explicit DivergenceDetector(std::vector<quint64> replicas = {}, quint64 window = 1024);

    // Membership follows the raft configuration. The majority is over all listed replicas.
    void setReplicas(std::vector<quint64> replicas);
    const std::vector<quint64> &replicas() const { return m_replicas; }

    // Returns the divergences this report revealed (possibly several, e.g. when the majority is
    // reached and earlier dissenters are now known). Reports from unknown replicas are ignored,
    // and a replica's second report for a tick is compared against its first.
    std::vector<Divergence> report(quint64 tick, quint64 replica, quint64 hash);

    quint64 divergenceCount() const { return m_count; }
    // First tick at which each replica was flagged.
    const std::map<quint64, quint64> &divergedReplicas() const { return m_firstDivergence; }
    bool hasDiverged(quint64 replica) const { return m_firstDivergence.contains(replica); }
    // Forget a replica's flag, e.g. after it resynced from a snapshot.
    void clear(quint64 replica) { m_firstDivergence.erase(replica); }
    size_t trackedTicks() const { return m_ticks.size(); }

private:
    struct Tick
    {
        std::map<quint64, quint64> hashes; // replica -> hash
        bool decided = false;
        bool flaggedNoMajority = false;
        quint64 majorityHash = 0;
    };

    void flag(std::vector<Divergence> &out, Divergence divergence);
    size_t majority() const { return m_replicas.size() / 2 + 1; }
    bool known(quint64 replica) const;

    std::vector<quint64> m_replicas;
    quint64 m_window;
    std::map<quint64, Tick> m_ticks;
    std::map<quint64, quint64> m_firstDivergence;
    quint64 m_count = 0;
    quint64 m_newestTick = 0;
};

} // namespace metatopia::cluster
