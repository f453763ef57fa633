// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <QByteArray>
#include <QtGlobal>

namespace metatopia::cluster {

// The deterministic state a RaftNode replicates (for Metatopia: a sim's world S(n)).
//
// Threading contract: every method is called on the node's raft thread only, one at a time, in
// log order, and never concurrently with another method of the same object. The state therefore
// belongs to the raft thread; other threads read it through RaftNode::callOnRaftThread() or through
// copies the implementation publishes itself (e.g. a hash behind an atomic). Keeping apply and
// snapshot on the same thread is what makes the snapshot taken at index n contain exactly the
// batches 1..n, which raft's log compaction relies on.
class ReplicatedStateMachine
{
public:
    virtual ~ReplicatedStateMachine() = default;

    // A committed batch at log index `index`. Every replica calls this with the same sequence of
    // (index, batch). Indices are increasing but not contiguous: raft's own entries (configuration
    // changes, barriers) use indices too. Must be deterministic and must not fail: a batch the
    // application cannot understand is a no-op, identically on every replica.
    virtual void apply(quint64 index, const QByteArray &batch) = 0;

    // The whole state after the last applied batch, as bytes restore() accepts.
    virtual QByteArray snapshot() = 0;

    // Replace the whole state by a snapshot (installed from the leader or loaded at start).
    // Returns false if the bytes are corrupt; the node then stops with an error.
    virtual bool restore(const QByteArray &snapshot) = 0;
};

} // namespace metatopia::cluster
