// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include "cluster/ActionBatch.h"
#include "cluster/ActionDeduper.h"
#include "cluster/ReplicatedStateMachine.h"

#include <map>
#include <vector>

namespace metatopia::cluster::test {

// A trivial deterministic state machine for the cluster tests, standing in for the sim: it applies
// ActionBatches through the ActionDeduper and keeps a running FNV-1a hash and the order in which
// actions were accepted, so tests can compare replicas and check exactly-once application.
class TestLedger final : public ReplicatedStateMachine
{
public:
    struct Summary
    {
        quint64 hash = 0;
        quint64 accepted = 0;
        quint64 duplicates = 0;
        quint64 batches = 0;
        quint64 lastIndex = 0;
        bool operator==(const Summary &) const = default;
    };

    void apply(quint64 index, const QByteArray &batch) override;
    QByteArray snapshot() override;
    bool restore(const QByteArray &snapshot) override;

    // Raft thread only (use RaftNode::callOnRaftThread).
    Summary summary() const;
    const std::vector<ActionKey> &order() const { return m_order; }
    // State hash after each of the last HashHistory applied batches, by log index: what a replica
    // publishes per tick for divergence detection. Monitoring only, not part of the state.
    static constexpr size_t HashHistory = 4096;
    const std::map<quint64, quint64> &hashHistory() const { return m_hashHistory; }
    // Test-only fault: from this log index on, this replica perturbs its state once, as a buggy
    // or lying replica would. 0 disables it.
    void setFaultAtIndex(quint64 index) { m_faultAt = index; }

private:
    void applyActions(const QByteArray &batch);

    quint64 m_hash = 0xcbf29ce484222325ull;
    quint64 m_duplicates = 0;
    quint64 m_batches = 0;
    quint64 m_lastIndex = 0;
    ActionDeduper m_deduper;
    std::vector<ActionKey> m_order;
    std::map<quint64, quint64> m_hashHistory;
    quint64 m_faultAt = 0;
    bool m_faulted = false;
};

} // namespace metatopia::cluster::test
