// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

// Test and benchmark support: clients of a sim replica's gateway (libs/net TLS, framed CBOR, see
// cluster/SimReplica.h).
//  - GatewayProbe: request/reply (status, hashes, objects) on a kept-open connection that is
//    re-opened when it drops; every wait is bounded.
//  - SimLoadClient: sends "create" actions named c<client>-<seq>, paced or closed-loop, follows
//    notLeader redirects, reconnects round-robin when its replica goes away and resends what was
//    not acknowledged; records send and ack times for latency figures.

#include "net/Connection.h"
#include "net/PinStore.h"

#include <QCborMap>
#include <QElapsedTimer>
#include <QObject>
#include <QStringList>
#include <QTimer>

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <vector>

namespace metatopia::cluster::test {

// Runs the event loop until condition() holds or timeoutMs passed; no sleeping.
bool waitUntil(const std::function<bool()> &condition, int timeoutMs);

class GatewayProbe final : public QObject
{
public:
    GatewayProbe(QString address, net::PinStore &pins);
    ~GatewayProbe() override;

    const QString &address() const { return m_address; }
    std::optional<QCborMap> request(QCborMap message, int timeoutMs = 3000);
    std::optional<QCborMap> status(int timeoutMs = 3000);
    // Ticks [from, to] -> hash hex, asked 1,000 ticks at a time.
    std::optional<std::map<qint64, QString>> hashes(qint64 from, qint64 to, int timeoutMs = 5000);
    std::optional<QStringList> objectNames(int timeoutMs = 5000);
    void disconnectNow();

private:
    bool ensureReady(int timeoutMs);

    QString m_address;
    net::PinStore &m_pins;
    std::unique_ptr<net::Connection> m_connection;
    std::map<quint64, QCborMap> m_replies;
    bool m_gone = false;
};

class SimLoadClient final : public QObject
{
public:
    SimLoadClient(quint64 id, QStringList addresses, net::PinStore &pins);
    ~SimLoadClient() override;

    // ratePerSecond > 0: open loop, that many new actions per second (window only caps a
    // backlog); 0: closed loop, keep `window` actions unacknowledged.
    void setRate(double ratePerSecond)
    {
        m_rate = ratePerSecond;
        m_rateStart = m_clock.nsecsElapsed();
        m_rateSent = 0;
    }
    void setWindow(int window) { m_window = window; }
    void setSending(bool on);

    quint64 id() const { return m_id; }
    QString name(quint64 seq) const;
    const std::map<quint64, qint64> &acked() const { return m_acked; } // seq -> ack time (ns)
    size_t ackedCount() const { return m_acked.size(); }
    size_t unacked() const { return m_unacked.size(); }
    quint64 duplicateAcks() const { return m_duplicateAcks; }
    quint64 reconnects() const { return m_reconnects; }
    qint64 nowNs() const { return m_clock.nsecsElapsed(); }
    // The first ack received at or after atNs for a tick after minTick (-1 if none yet). The
    // tick matters after a kill: acks the dead leader sent just before may still be read later.
    qint64 firstAckAfter(qint64 atNs, qint64 minTick = -1) const;
    // Send -> ack in ns of the actions first sent in [fromNs, toNs), sorted.
    std::vector<qint64> latenciesNs(qint64 fromNs = 0, qint64 toNs = -1) const;

private:
    void connectTo(const QString &address);
    void reconnect(const QString &leader);
    bool sendAction(quint64 seq);
    void pump();
    void onMessage(const QCborMap &message);

    quint64 m_id;
    QStringList m_addresses;
    net::PinStore &m_pins;
    std::unique_ptr<net::Connection> m_connection;
    QString m_current;
    bool m_reconnecting = false;
    bool m_sending = false;
    double m_rate = 0;
    qint64 m_rateStart = 0;
    qint64 m_rateSent = 0;
    int m_window = 32;
    QTimer m_timer;
    quint64 m_nextSeq = 1;
    std::set<quint64> m_unacked;
    std::deque<quint64> m_toSend; // unacknowledged, not sent on the current connection
    std::map<quint64, qint64> m_acked;
    std::map<quint64, qint64> m_sentAt; // first send
    std::map<quint64, qint64> m_ackTick; // the tick the ack named (0: committed earlier)
    quint64 m_duplicateAcks = 0;
    quint64 m_reconnects = 0;
    QElapsedTimer m_clock;
};

} // namespace metatopia::cluster::test
