// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include "cluster/BatchBuilder.h"
#include "cluster/DivergenceDetector.h"
#include "cluster/RaftNode.h"
#include "cluster/SimStateMachine.h"
#include "net/PinStore.h"
#include "net/Server.h"

#include <QCborArray>
#include <QCborMap>
#include <QElapsedTimer>
#include <QList>
#include <QObject>
#include <QPointer>
#include <QTimer>

#include <array>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <vector>

namespace metatopia::cluster {

struct SimPeer
{
    quint64 id = 0;
    QString raftAddress; // "127.0.0.1:7001"
    QString clientAddress; // where this replica's client gateway listens, "127.0.0.1:8001"
};

struct SimReplicaOptions
{
    quint64 clusterId = 1;
    quint64 id = 0;
    QString raftAddress;
    QString clientAddress; // "host:port"; port 0 picks one (then clients cannot be redirected here)
    QString dataDir; // raft log and snapshots in <dataDir>/raft, TLS identity in <dataDir>/tls
    // Every member, this one included. Bootstraps a new cluster unless join is set, and maps
    // the raft leader to the client address a follower redirects clients to.
    QList<SimPeer> peers;
    bool join = false; // wait to be added by the leader instead of bootstrapping
    int tickRateHz = 45;
    int maxInFlight = 8; // proposed, not yet committed ticks
    size_t maxActionsPerTick = 4096;
    unsigned electionTimeoutMs = 300;
    unsigned heartbeatTimeoutMs = 50;
    unsigned snapshotThreshold = 1024;
    unsigned snapshotTrailing = 128;
    sim::RegionConfig region;
    quint64 faultAtTick = 0; // test-only: perturb this replica's state at that tick
    // Incoming client messages per second per connection (token bucket), burst twice that.
    double clientMessagesPerSecond = 2000;
    // A follower keeps actions it forwarded until they commit; if the leader stays unreachable
    // this long, their clients are disconnected so they try another replica.
    int forwardStaleMs = 3000;
    size_t maxPendingActions = 65536; // per replica, forwarded or queued
    // A state subscriber that still has more than this many bytes of earlier ticks unwritten
    // when the next delta is due is too slow: it is disconnected (with the reason) rather than
    // buffered without bound.
    qint64 subscriberMaxQueueBytes = qint64(4) << 20;
    int statePageSize = 512; // objects or avatars per state/delta message
    // Shared secret of the cluster's replicas. Replica-to-replica messages ("forward": actions and
    // hash reports, "snapshot") and admin requests must carry it as "token". Empty: they are
    // accepted only from loopback and from the hosts of known members (the peers list and the
    // replicated directory); set it whenever clients share hosts with replicas or NAT is involved.
    QString clusterToken;
};

// "1=127.0.0.1:7001/127.0.0.1:8001,2=..." (id=raftAddress/clientAddress, comma-separated).
std::optional<QList<SimPeer>> parseSimPeers(const QString &text, QString *error = nullptr);

// The sim role of metatopia-server: one replica of a lockstep sim cluster (DESIGN.md §5). It owns
// the RaftNode and SimStateMachine; while leader it proposes one TickEntry per tick (tickRateHz)
// carrying the client actions gathered by the BatchBuilder, the state hashes the replicas reported
// and member directory changes. Every replica runs a client gateway (libs/net, TLS, framed CBOR):
//   {"t":"action","client":c,"seq":n,"action":{"kind":...}}
//       -> {"t":"ack","client":c,"seq":n,"tick":k} once committed (tick 0: committed earlier),
//          {"t":"busy","client":c,"seq":n}, {"t":"unavailable","client":c,"seq":n} (diverged),
//          {"t":"invalid","client":c,"seq":n,"error":...},
//          {"t":"notLeader","client":c,"seq":n,"leader":"host:port"|""} only when no leader is
//          known (or to a forwarding replica): a follower forwards actions to the leader and acks
//          them itself once its own replica applied them.
//       Kinds: create {name,text,script,owner,x,y,z}, editScript {author,object,source},
//       delete {by,object}, enter {avatar,account,name,x,y,z},
//       leave {avatar}, move {avatar,x,y,z,animation,rot}, chat {avatar,channel,text},
//       touch {avatar,object}; coordinates are integer millimetres and rot (optional, identity
//       when absent) is [w,x,y,z] in raw Q32.32 within [-1, 1] (no floating point reaches the
//       sim).
//   {"t":"forward","actions":[{client,seq,action}...],"reports":[[replica,tick,hash]...],
//       "token":...} replica to leader: actions forwarded by a follower (answered like "action",
//       per item) and its per-tick state hashes (hash as a 64-bit integer, bit pattern in a
//       signed int). Trusted senders only (see SimReplicaOptions::clusterToken).
//   {"t":"status","id":i} -> reply with role, term, commit, applied, tick, tickTimeUs, hash,
//       leader, leaderClient, voters, voterIds, members, clients, subscribers,
//       subscribersDropped, heardLines, heardMissedTicks, pending, upstream, divergences,
//       diverged, divergedTick, firstDifference, resyncs, resyncTick, dissents, and latencyUs:
//       {stage: [p50, p99, samples]} over recent acknowledged actions of the leader's own ticks,
//       stages wait, toRaft, commit, apply, toGateway, ack, total, tickInterval (see Stage)
//       (the monitoring endpoint)
//   {"t":"hashes","id":i,"from":a,"to":b} -> reply {"hashes":{tick:"hex"}} (at most 1000 ticks)
//   {"t":"objects","id":i} -> reply {"names":[...]} (object names in id order; tests, tools)
//   {"t":"objectHashes","id":i,"tick":k} -> reply {"tick":k,"objects":{id:hash},
//       "avatars":{id:hash}} for a recent tick (record hashes as 64-bit integers)
//   {"t":"snapshot","id":i,"snapshot":k,"offset":o} -> reply {"snapshot","index","tick","size",
//       "data"}: the state at log index `index` in chunks (snapshot 0 takes a new one, at most
//       five a second). Trusted senders only.
//   {"t":"subscribe","id":i} -> reply {"tick"}, then {"t":"state","tick","objects","avatars",
//       "final"} (the whole world, paged) and per applied tick(s) {"t":"delta","from","tick",
//       "objects","avatars","removedObjects","removedAvatars","final"}; see encodeObject/Avatar.
//       {"t":"unsubscribe","id":i} stops it (and the chat below).
//       Optional "avatar":a (and "after":k) also listens as avatar a, as "listen" does.
//   {"t":"listen","id":i,"avatar":a,"after":k} -> reply {"tick","avatar","after"}; then, for
//       every applied tick in which avatar a heard public chat (channel 0 lines said within their
//       range of where it stood; its own lines too), in tick order and each line once, before
//       that tick's delta: {"t":"heard","tick":n,"lines":[{"speaker","fromAvatar","name",
//       "channel","range":"whisper"|"say"|"shout"|"region","pos":[x,y,z],"text"}...]}. Lines of
//       ticks after k (optional; default the current tick), so a client that moves to another
//       replica passes the last tick it has and gets neither a gap nor a repeat (every replica
//       hears the same). Replicas keep the lines of the recent ticks only (a few seconds); ticks
//       of the span no longer kept are counted in "missedTicks":m on the next heard message
//       instead. Avatar 0 stops listening. Works without "subscribe" (lines only). An avatar not
//       (yet) in the region is accepted: it hears nothing until it enters. A subscriber too slow
//       to take its lines is disconnected like a slow state subscriber.
//   Admin (trusted senders only, with "token" when a cluster token is set; on the leader, a
//   follower relays them to the leader and relays the reply):
//   {"t":"addReplica","id":i,"replica":r,"raft":"host:port","client":"host:port"} -> reply
//       once r is a voter (it must run with --join); {"t":"removeReplica","id":i,"replica":r};
//       {"t":"transferLeader","id":i,"replica":r} (0: any). Replies {"ok":true} or {"error":...}.
// Divergence: every replica reports its hash for every tick it executes (through the leader, into
// the log); each replica feeds the reports it reads from the log to a DivergenceDetector over the
// current voters. A replica that finds itself outvoted by the majority (the leader included)
// stops serving clients (and hands leadership away), logs the first object that differs from a
// healthy replica (objectHashes), fetches a snapshot from the leader (snapshot), installs it and
// serves again.
class SimReplica final : public QObject
{
    Q_OBJECT
public:
    explicit SimReplica(SimReplicaOptions options, QObject *parent = nullptr);
    ~SimReplica() override;

    bool start(QString *error = nullptr);
    void stop();

    quint16 clientPort() const;
    QCborMap status() const;
    bool hasDiverged() const { return m_diverged; }
    RaftNode &node() { return m_node; }
    const SimStateMachine &stateMachine() const { return *m_state; }

    // Client action as sent on the wire -> sim input; nullopt (with a reason) if invalid.
    static std::optional<sim::InputAction> parseAction(const QCborMap &action, QString *error);
    // How objects and avatars appear in "state" and "delta" messages. Fixed-point values are
    // their raw 32.32 integers (exact; divide by 2^32 for metres):
    //   object {id, owner, parent, name, pos:[x,y,z], rot:[w,x,y,z], scale:[x,y,z], colour, text,
    //           permissions, script (bool), hash}
    //   avatar {id, account, name, pos:[x,y,z], rot:[w,x,y,z], animation, hash}
    static QCborMap encodeObject(const sim::Object &object);
    static QCborMap encodeAvatar(const sim::Avatar &avatar);

signals:
    void diverged(quint64 tick, quint64 ownHash, quint64 majorityHash);
    void resynced(quint64 tick);

private:
    struct Pending
    {
        QPointer<net::Connection> client;
        QCborMap message; // {client, seq, action} as received
        qint64 since = 0; // ms on m_clock
        qint64 forwardedAt = -1; // -1: not (yet) sent to the leader
        qint64 arrivedNs = 0; // RaftNode::clockNs when it reached this gateway
    };
    // Where the time of an acknowledged action went on this replica, stage by stage (status
    // "latencyUs"; monitoring only).
    enum Stage
    {
        StageWait, // arrived at the gateway -> proposed in a tick entry (the tick wait)
        StageToRaft, // proposed -> raft_apply on the raft thread
        StageCommit, // raft_apply -> committed and handed to the state machine
        StageApply, // the tick applied (scripts run)
        StageToGateway, // applied -> seen on the gateway's thread
        StageAck, // seen -> acks written
        StageTotal, // arrived -> ack written
        StageTickInterval, // between two ticks of the ticker (timer lateness)
        StageCount
    };
    struct StageSamples
    {
        std::vector<qint64> us; // ring buffer of the recent samples, microseconds
        size_t next = 0;
        void add(qint64 ns);
        QCborArray percentiles() const; // [p50, p99, samples]
    };
    struct Subscriber
    {
        QPointer<net::Connection> connection;
        std::shared_ptr<const sim::WorldState> sent; // null: the full state is owed
        bool wantsState = true; // false: listens to chat only
        sim::AvatarId avatar = 0; // listens as this avatar (0: not listening)
        quint64 heardTick = 0; // heard lines of ticks up to this one were sent
    };
    struct SnapshotCache
    {
        quint64 token = 0;
        qint64 takenAt = 0; // ms on m_clock
        quint64 index = 0;
        quint64 tick = 0;
        QByteArray bytes;
    };
    using Reply = std::function<void(const QCborMap &reply)>;

    void onConnection(net::Connection *connection);
    void onMessage(net::Connection *connection, const QCborMap &message);
    void onAction(net::Connection *connection, const QCborMap &message, bool forwarded);
    void onAdmin(net::Connection *connection, const QCborMap &message);
    void onSnapshotRequest(net::Connection *connection, const QCborMap &message);
    void onSubscribe(net::Connection *connection, const QCborMap &message, bool listenOnly);
    void onScriptRequest(net::Connection *connection, const QCborMap &message);
    void onTick();
    void armTicker();
    void onCommitted(quint64 index, const QByteArray &batch);
    void onRoleChanged(RaftRole role);
    void dropClients(const QString &reason);
    QString clientAddressOf(quint64 id) const;
    void sendAck(net::Connection *connection, const ActionKey &key, quint64 tick);
    void refuse(net::Connection *connection, const QString &type, const QCborMap &message,
        const QCborMap &extra = {});
    // May this connection act as a replica or an administrator (see clusterToken)?
    bool isTrusted(const net::Connection *connection, const QCborMap &message) const;

    // Follower side: the connection to the leader's gateway.
    void maintainUpstream();
    void onUpstreamMessage(const QCborMap &message);
    void dropUpstream();
    void flushForward();
    void scheduleFlush();
    bool callLeader(QCborMap request, Reply done);

    // Divergence.
    void checkReports(const TickEntry &entry);
    void enterDiverged(const Divergence &divergence);
    void resync();
    void fetchSnapshot(quint64 token, QByteArray sofar);
    QString describeDifference(quint64 tick, const QCborMap &healthy) const;

    // State streaming.
    void scheduleDeltas();
    void pushDeltas();
    // Appends the heard messages owed to a listening subscriber up to `tick`.
    void heardMessages(Subscriber &subscriber, quint64 tick, std::vector<QCborMap> &out);

    SimReplicaOptions m_options;
    std::shared_ptr<SimStateMachine> m_state;
    RaftNode m_node;
    BatchBuilder m_builder;
    net::Server m_server;
    QTimer m_ticker;
    QElapsedTimer m_clock;
    int m_inFlight = 0;
    qint64 m_commitLatencyUs = 0;
    // The ticker fires at deadlines origin + n * period (RaftNode::clockNs), so the rate is
    // tickRateHz exactly rather than 1000 / (1000 / tickRateHz) whole milliseconds.
    qint64 m_tickOriginNs = 0;
    qint64 m_ticksSinceOrigin = 0;
    qint64 m_lastTickNs = 0;
    std::array<StageSamples, StageCount> m_stages;
    std::map<ActionKey, Pending> m_pending; // acks owed, on the leader and on followers
    std::vector<HashReport> m_reports; // leader: for the next entry; follower: to forward
    std::vector<MemberChange> m_memberChanges; // leader: for the next entry

    std::unique_ptr<net::PinStore> m_pins;
    std::unique_ptr<net::Connection> m_upstream;
    QString m_upstreamAddress;
    qint64 m_upstreamRetryAt = 0;
    std::map<quint64, Reply> m_calls; // request id on m_upstream -> handler
    bool m_flushScheduled = false;

    DivergenceDetector m_detector;
    bool m_diverged = false;
    quint64 m_divergences = 0; // times this replica was outvoted
    quint64 m_dissents = 0; // other replicas seen outvoted
    std::map<quint64, quint64> m_dissentLogged; // replica -> tick of the last log line
    quint64 m_divergedTick = 0;
    quint64 m_resyncs = 0;
    quint64 m_resyncFloor = 0; // ticks up to here were judged before the last resync
    QString m_firstDifference;
    bool m_resyncBusy = false;
    qint64 m_lastTransferAt = -1000000;

    std::map<quint64, Subscriber> m_subscribers; // by connection id
    bool m_deltasScheduled = false;
    quint64 m_subscribersDropped = 0;
    quint64 m_heardLinesSent = 0;
    quint64 m_heardTicksMissed = 0;
    SnapshotCache m_snapshot;
    quint64 m_nextSnapshotToken = 1;
};

// Runs one sim replica in the current QCoreApplication until it quits: starts it, prints
// "READY client=<port> raft=<address>" on stdout, returns the event loop's exit code (1 if the
// replica could not start). Entry point for `metatopia-server --role sim`.
int runSimReplica(const SimReplicaOptions &options);

} // namespace metatopia::cluster
