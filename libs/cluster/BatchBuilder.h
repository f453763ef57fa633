// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include "cluster/ActionBatch.h"
#include "cluster/ActionDeduper.h"

#include <QByteArray>

#include <deque>
#include <map>
#include <set>
#include <vector>

namespace metatopia::cluster {

// The leader's input gateway: gathers client actions into the next batch to propose, drops
// resends of actions that are already queued, in flight or known committed, and tells which
// actions may be acknowledged once a batch commits (never before).
//
// The builder's view of "committed" covers the batches it saw commit; after a restart or a
// snapshot install it is incomplete, so the authoritative at-most-once check is the ActionDeduper
// inside the replicated state, applied on every replica. Resending is therefore always safe.
class BatchBuilder
{
public:
    enum class Offer
    {
        Queued, // will go into a coming batch
        AlreadyPending, // same (clientId, seq) queued or in flight: wait for its commit
        AlreadyCommitted, // acknowledge right away
        Full, // too many pending actions: the client should retry later
    };

    explicit BatchBuilder(size_t maxActionsPerBatch = 4096, size_t maxPending = 65536);

    Offer offer(const Action &action);
    bool hasQueued() const { return !m_queued.empty(); }
    size_t queuedCount() const { return m_queued.size(); }
    size_t inFlightCount() const { return m_inFlight.size(); }

    // Up to maxActionsPerBatch queued actions, in arrival order, encoded as an ActionBatch; they
    // are in flight until noteCommitted or requeueInFlight. Empty if nothing is queued.
    QByteArray takeBatch();
    // Every well-formed committed batch (from RaftNode::committed, on every replica): returns the
    // keys of its actions, which may now be acknowledged, and forgets them as pending.
    std::vector<ActionKey> noteCommitted(const QByteArray &batch);
    // The proposal failed (e.g. leadership lost): its actions go back in front of the queue. They
    // may still commit in the old leader's log; the replicated deduper drops the second copy.
    void requeueInFlight();
    // The proposal of this batch failed and its actions will be sent elsewhere (e.g. to the new
    // leader): forget them here. Returns their keys.
    std::vector<ActionKey> abandonBatch(const QByteArray &batch);
    // Everything not acknowledged yet (in flight first, then queued), e.g. to forward to a new
    // leader. Leaves the builder with nothing pending.
    std::vector<Action> takeUnacknowledged();

private:
    size_t m_maxActionsPerBatch;
    size_t m_maxPending;
    std::deque<Action> m_queued;
    std::map<ActionKey, Action> m_inFlight;
    std::set<ActionKey> m_pending; // queued or in flight
    ActionDeduper m_committed;
};

} // namespace metatopia::cluster
