// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include "ReplicaProcess.h"

#include <QElapsedTimer>
#include <QObject>

#include <map>
#include <set>
#include <vector>

namespace metatopia::cluster::test {

// A client of a cluster of ReplicaProcesses, behaving like the real client will: numbers its
// actions, sends them to the leader, remembers which are unacknowledged, and after a failover
// finds the new leader and resends them all. Records the commit latency of every action acked on
// its first attempt.
class ClusterDriver final : public QObject
{
    Q_OBJECT
public:
    ClusterDriver(
        std::vector<ReplicaProcess *> replicas, quint64 clientId, QObject *parent = nullptr);

    // The running replica that says it leads with the highest term, polled until timeoutMs.
    ReplicaProcess *findLeader(int timeoutMs);
    void setTarget(ReplicaProcess *target) { m_target = target; }
    ReplicaProcess *target() const { return m_target; }

    void sendNew(int count);
    void resendUnacked();
    // Until every sent action is acknowledged: find the leader, resend, wait; bounded.
    bool drain(int timeoutMs);

    quint64 clientId() const { return m_clientId; }
    quint64 sentCount() const { return m_nextSeq - 1; }
    const std::set<quint64> &acked() const { return m_acked; }
    const std::map<quint64, qint64> &unacked() const { return m_unacked; }
    quint64 nacks() const { return m_nacks; }
    quint64 resends() const { return m_resends; }
    // Nanoseconds from first send to ack, for actions acked without a resend.
    const std::vector<qint64> &latenciesNs() const { return m_latencies; }
    void clearLatencies() { m_latencies.clear(); }
    qint64 nowNs() const { return m_clock.nsecsElapsed(); }
    qint64 lastAckNs() const { return m_lastAckNs; }

signals:
    void ackedOne(quint64 seq);

private:
    std::vector<ReplicaProcess *> m_replicas;
    quint64 m_clientId;
    ReplicaProcess *m_target = nullptr;
    quint64 m_nextSeq = 1;
    QElapsedTimer m_clock;
    std::map<quint64, qint64> m_unacked; // seq -> first send time (ns)
    std::set<quint64> m_resent;
    std::set<quint64> m_acked;
    std::vector<qint64> m_latencies;
    quint64 m_nacks = 0;
    quint64 m_resends = 0;
    qint64 m_lastAckNs = 0;
};

} // namespace metatopia::cluster::test
