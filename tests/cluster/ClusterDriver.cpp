// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "ClusterDriver.h"

#include <QDeadlineTimer>
#include <QTest>

namespace metatopia::cluster::test {

ClusterDriver::ClusterDriver(
    std::vector<ReplicaProcess *> replicas, quint64 clientId, QObject *parent)
    : QObject(parent)
    , m_replicas(std::move(replicas))
    , m_clientId(clientId)
{
    m_clock.start();
    for (ReplicaProcess *replica : m_replicas) {
        connect(
            replica, &ReplicaProcess::acked, this, [this](quint64 client, quint64 seq, quint64) {
                if (client != m_clientId)
                    return;
                const auto it = m_unacked.find(seq);
                if (it == m_unacked.end())
                    return;
                m_lastAckNs = m_clock.nsecsElapsed();
                if (!m_resent.contains(seq))
                    m_latencies.push_back(m_lastAckNs - it->second);
                m_unacked.erase(it);
                m_resent.erase(seq);
                m_acked.insert(seq);
                emit ackedOne(seq);
            });
        connect(replica, &ReplicaProcess::nacked, this,
            [this](quint64 client, quint64, const QByteArray &) {
                if (client == m_clientId)
                    ++m_nacks;
            });
    }
}

ReplicaProcess *ClusterDriver::findLeader(int timeoutMs)
{
    QDeadlineTimer deadline(timeoutMs);
    do {
        ReplicaProcess *best = nullptr;
        quint64 bestTerm = 0;
        for (ReplicaProcess *replica : m_replicas) {
            if (!replica->isRunning())
                continue;
            const auto status = replica->status(1000);
            if (status.value(QStringLiteral("role")) == QLatin1String("leader")) {
                const quint64 term = status.value(QStringLiteral("term")).toULongLong();
                if (!best || term > bestTerm) {
                    best = replica;
                    bestTerm = term;
                }
            }
        }
        if (best)
            return best;
        QTest::qWait(10);
    } while (!deadline.hasExpired());
    return nullptr;
}

void ClusterDriver::sendNew(int count)
{
    for (int i = 0; i < count; ++i) {
        const quint64 seq = m_nextSeq++;
        m_unacked.emplace(seq, m_clock.nsecsElapsed());
        if (m_target)
            m_target->propose(m_clientId, seq, "p" + QByteArray::number(seq));
    }
}

void ClusterDriver::resendUnacked()
{
    if (!m_target)
        return;
    for (const auto &[seq, sent] : m_unacked) {
        m_resent.insert(seq);
        ++m_resends;
        m_target->propose(m_clientId, seq, "p" + QByteArray::number(seq));
    }
}

bool ClusterDriver::drain(int timeoutMs)
{
    QDeadlineTimer deadline(timeoutMs);
    while (!m_unacked.empty() && !deadline.hasExpired()) {
        ReplicaProcess *leader = findLeader(int(qMax<qint64>(1, deadline.remainingTime())));
        if (!leader)
            break;
        setTarget(leader);
        resendUnacked();
        // Give the leader a second to commit them; a failover in between means another round.
        QDeadlineTimer round(1000);
        while (!m_unacked.empty() && !round.hasExpired() && !deadline.hasExpired()
            && leader->isRunning())
            QTest::qWait(5);
    }
    return m_unacked.empty();
}

} // namespace metatopia::cluster::test
