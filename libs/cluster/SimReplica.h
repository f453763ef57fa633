// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include "cluster/BatchBuilder.h"
#include "cluster/RaftNode.h"
#include "cluster/SimStateMachine.h"
#include "net/Server.h"

#include <QCborMap>
#include <QList>
#include <QObject>
#include <QPointer>
#include <QTimer>

#include <map>
#include <memory>
#include <optional>

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
};

// "1=127.0.0.1:7001/127.0.0.1:8001,2=..." (id=raftAddress/clientAddress, comma-separated).
std::optional<QList<SimPeer>> parseSimPeers(const QString &text, QString *error = nullptr);

// The sim role of metatopia-server: one replica of a lockstep sim cluster (DESIGN.md §5). It owns
// the RaftNode and SimStateMachine; while leader it proposes one TickEntry per tick (tickRateHz)
// carrying the client actions gathered by the BatchBuilder and its latest state hash. Every replica
// runs a client gateway (libs/net, TLS, framed CBOR):
//   {"t":"action","client":c,"seq":n,"action":{"kind":...}}
//       -> {"t":"ack","client":c,"seq":n,"tick":k} once committed (tick 0: committed earlier),
//          {"t":"notLeader","seq":n,"leader":"host:port"|""} on a follower (reconnect there),
//          {"t":"busy","seq":n}, {"t":"unavailable","seq":n} (diverged), {"t":"invalid",...}.
//       Kinds: create {name,text,owner,x,y,z}, enter {avatar,account,name,x,y,z},
//       leave {avatar}, move {avatar,x,y,z}, chat {avatar,channel,text}, touch {avatar,object};
//       coordinates are integer millimetres (no floating point reaches the sim).
//   {"t":"status","id":i} -> reply with role, term, commit, applied, tick, tickTimeUs, hash,
//       leader, leaderClient, clients, divergences, ... (the monitoring endpoint)
//   {"t":"hashes","id":i,"from":a,"to":b} -> reply {"hashes":{tick:"hex"}} (at most 1000 ticks)
//   {"t":"objects","id":i} -> reply {"names":[...]} (object names in id order; tests, tools)
// When the leader loses leadership it closes its client connections: clients reconnect (to any
// replica, which redirects them) and resend what was not acknowledged; the replicated deduper
// applies each (client, seq) at most once. A replica whose state hash differs from the one the
// leader published for the same tick logs it, counts it and stops serving clients.
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

signals:
    void diverged(quint64 tick, quint64 ownHash, quint64 leaderHash);

private:
    void onConnection(net::Connection *connection);
    void onMessage(net::Connection *connection, const QCborMap &message);
    void onAction(net::Connection *connection, const QCborMap &message);
    void onTick();
    void onCommitted(quint64 index, const QByteArray &batch);
    void onRoleChanged(RaftRole role);
    void dropClients(const QString &reason);
    QString clientAddressOf(quint64 id) const;

    SimReplicaOptions m_options;
    std::shared_ptr<SimStateMachine> m_state;
    RaftNode m_node;
    BatchBuilder m_builder;
    net::Server m_server;
    QTimer m_ticker;
    int m_inFlight = 0;
    qint64 m_commitLatencyUs = 0;
    bool m_diverged = false;
    std::map<ActionKey, QPointer<net::Connection>> m_waiting; // acks owed
};

// Runs one sim replica in the current QCoreApplication until it quits: starts it, prints
// "READY client=<port> raft=<address>" on stdout, returns the event loop's exit code (1 if the
// replica could not start). Entry point for `metatopia-server --role sim`.
int runSimReplica(const SimReplicaOptions &options);

} // namespace metatopia::cluster
