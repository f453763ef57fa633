// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

// libs/cluster keeps the replicas of one sim in lockstep. RaftNode replicates an ordered log of
// opaque batches (for a sim: the tick batches B(n)) with libraft, Canonical's C Raft, over its
// libuv TCP transport; we do not implement consensus ourselves. ActionBatch, ActionDeduper and
// BatchBuilder are the input gateway pieces (actions keyed by (clientId, seq), applied at most
// once, acknowledged only once committed); DivergenceDetector compares per-tick state hashes across
// replicas to catch a replica that computes something different (see DESIGN.md §5).
// SimStateMachine makes libs/sim the replicated state, and SimReplica is the sim role of
// metatopia-server around both: leader ticker, TLS client gateway (forwarding from followers,
// state streaming, admin requests for membership), majority-vote divergence with resync.

#include "cluster/ReplicatedStateMachine.h"

#include <QByteArray>
#include <QList>
#include <QObject>
#include <QString>

#include <functional>
#include <memory>

namespace metatopia::cluster {

// Security: libraft's TCP transport has no authentication; anyone who can reach a raft address
// can pose as a member. Raft addresses belong on the replicas' private network (or behind a
// firewall that admits only the peers). Junk on the port is survived (tested), a hostile member
// is not something raft defends against; divergence detection catches its effects.
struct RaftPeer
{
    quint64 id = 0; // > 0, unique in the cluster
    QString address; // "127.0.0.1:7001": raft's TCP listen address, IPv4 dotted quad and port
};

struct RaftConfig
{
    quint64 id = 0;
    QString address;
    QString dataDir; // raft log, metadata and snapshots; created if missing; one per node
    // The voters of a brand new cluster, this node included. Used only while dataDir is pristine,
    // so restarting with the same list is harmless. Empty: this node joins an existing cluster
    // and waits to be added by the leader (RaftNode::addVoter on the leader).
    QList<RaftPeer> bootstrap;
    // Loopback defaults: followers start an election 300-600 ms after the last heartbeat, which
    // keeps failover under a second without spurious elections on a loaded machine.
    unsigned electionTimeoutMs = 300;
    unsigned heartbeatTimeoutMs = 50;
    // Delay before reconnecting to a peer that went away.
    unsigned connectRetryMs = 200;
    // Take a snapshot after this many new entries; keep this many entries after it, so a follower
    // lagging by a little catches up from the log rather than from a snapshot.
    unsigned snapshotThreshold = 1024;
    unsigned snapshotTrailing = 128;
    // Pre-vote: a restarted or partitioned node cannot depose a healthy leader.
    bool preVote = true;
};

enum class RaftRole
{
    Unavailable,
    Follower,
    Candidate,
    Leader
};
const char *raftRoleName(RaftRole role);

struct RaftStatus
{
    quint64 id = 0;
    RaftRole role = RaftRole::Unavailable;
    quint64 term = 0;
    quint64 commitIndex = 0;
    quint64 appliedIndex = 0;
    quint64 lastIndex = 0;
    quint64 leaderId = 0;
    QString leaderAddress;
    quint64 snapshotsRestored = 0; // snapshots installed into the state machine (start or leader)
    quint64 voters = 0; // voters in the current configuration
    QList<quint64> voterIds; // their ids, ascending
};

struct ProposeResult
{
    bool ok = false;
    quint64 index = 0; // log index of the committed batch when ok
    int errorCode = 0; // libraft error code (RAFT_NOTLEADER, RAFT_LEADERSHIPLOST, ...)
    bool notLeader = false; // refused because this node is not the leader: send it there
    QString error;
    quint64 leaderId = 0; // hint when this node is not the leader (0: unknown)
    QString leaderAddress;
};

// Where the time of one committed entry went, on this node's monotonic clock (RaftNode::clockNs).
// Monitoring only: valid while committed() is being emitted, see RaftNode::deliveryTiming().
struct CommitTiming
{
    qint64 proposedNs = 0; // RaftNode::propose called (0: proposed by another node or term)
    qint64 submittedNs = 0; // raft_apply on the raft thread (0 likewise)
    qint64 applyStartNs = 0; // raft hands the committed entry to the state machine
    qint64 appliedNs = 0; // the state machine's apply returned
};

struct ChangeResult
{
    bool ok = false;
    int errorCode = 0;
    QString error;
};

// One raft replica. libraft runs on a thread of its own with its own uv loop; this QObject lives
// on the thread that created it (the "Qt side") and talks to the raft thread through a locked
// queue woken by uv_async_send. Everything the raft thread reports (proposal results, committed
// batches, role and leader changes) is posted back as queued calls, so signals and callbacks fire
// on the Qt side, in log order for committed(). The ReplicatedStateMachine runs on the raft thread
// (see its contract); committed() is an additional copy for observers such as the gateway's acks.
class RaftNode final : public QObject
{
    Q_OBJECT
public:
    explicit RaftNode(
        std::shared_ptr<ReplicatedStateMachine> stateMachine, QObject *parent = nullptr);
    ~RaftNode() override; // stop()s

    // Starts the raft thread, loads dataDir (restoring the last snapshot and the log) and joins the
    // cluster. Returns false with a reason if libraft refuses (bad address, port in use, corrupt
    // dir).
    bool start(const RaftConfig &config, QString *error = nullptr);
    // raft_close, close the transport and the loop, join the thread. Idempotent. Proposals still in
    // flight complete with RAFT_SHUTDOWN (or not at all if raft dropped them; they are freed).
    void stop();
    bool isRunning() const;

    using ProposeCallback = std::function<void(const ProposeResult &)>;
    using ChangeCallback = std::function<void(const ChangeResult &)>;

    // Append a batch to the replicated log. The callback runs on the Qt side once the batch is
    // committed and applied locally (ok, index) or has failed (not leader, with the leader hint;
    // leadership lost, in which case the batch may still commit: resend and let the application
    // de-duplicate). Any number may be in flight.
    void propose(const QByteArray &batch, ProposeCallback done = {});
    // Membership changes, on the leader: add a voter (it is added as a spare, caught up, then
    // promoted; a node started with an empty bootstrap list must already be running at address),
    // or remove any server.
    void addVoter(quint64 id, const QString &address, ChangeCallback done = {});
    void removeServer(quint64 id, ChangeCallback done = {});
    // Hand leadership to another voter (0: raft picks one). Useful before a planned shutdown.
    void transferLeadership(quint64 id = 0);

    // Last status published by the raft thread (refreshed after every loop iteration).
    RaftStatus status() const;
    quint64 id() const;

    // Run fn on the raft thread and wait for it, e.g. to read the state machine consistently.
    // Returns false (fn not run) if the node is not running. Never call from the raft thread.
    bool callOnRaftThread(const std::function<void()> &fn);

    // While committed() is being emitted: where the time of that entry went (monitoring).
    const CommitTiming &deliveryTiming() const { return m_delivery; }
    // The monotonic clock of CommitTiming, the same on every thread.
    static qint64 clockNs();

signals:
    void committed(quint64 index, const QByteArray &batch);
    void restored(quint64 index); // the state machine was replaced by a snapshot up to index
    void roleChanged(metatopia::cluster::RaftRole role);
    void leaderChanged(quint64 leaderId, const QString &leaderAddress);
    void termChanged(quint64 term);

private:
    class Engine;
    friend class Engine;

    std::shared_ptr<ReplicatedStateMachine> m_stateMachine;
    std::unique_ptr<Engine> m_engine;
    CommitTiming m_delivery;
};

} // namespace metatopia::cluster
