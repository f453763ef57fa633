// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include "ui/ReplicaListModel.h"

#include <QElapsedTimer>
#include <QObject>
#include <QTimer>

#include <memory>
#include <vector>

namespace metatopia {

namespace net {
class Connection;
class PinStore;
} // namespace net

// Polls the client gateway of every replica of a sim cluster (TLS, framed CBOR, libs/net) for
// {"t":"status"} and the last per-tick state hashes, and feeds the answers to a ReplicaListModel.
// One connection per replica, kept open between polls; a replica that refuses, drops the
// connection or leaves a request unanswered too long is shown as not alive until it answers
// again. The replicas' self-signed certificates are pinned on first use.
class ReplicaMonitor final : public QObject
{
    Q_OBJECT
public:
    // pins must outlive the monitor.
    explicit ReplicaMonitor(net::PinStore &pins, QObject *parent = nullptr);
    ~ReplicaMonitor() override;

    ReplicaListModel *model() { return &m_model; }
    void setReplicas(const QList<ReplicaEndpoint> &replicas);
    void setInterval(int ms);
    int interval() const { return m_timer.interval(); }
    // Requests unanswered for this long count as a dead replica.
    void setAnswerTimeout(int ms) { m_answerTimeoutMs = ms; }

    void start();
    void stop();
    // Polls every replica now (the timer does it every interval()).
    void pollNow();

signals:
    // After each status answer (row in the model).
    void statusUpdated(int row);

private:
    struct Link
    {
        std::unique_ptr<net::Connection> connection;
        qint64 lastAttemptMs = -1000000;
        quint64 statusId = 0; // outstanding requests, 0: none
        quint64 hashesId = 0;
        qint64 sentMs = 0;
    };

    void pollOne(int row);
    void connectTo(int row);
    void onMessage(int row, const QCborMap &message);
    void dropLink(int row, const QString &error);

    ReplicaListModel m_model;
    net::PinStore &m_pins;
    std::vector<Link> m_links;
    QTimer m_timer;
    QElapsedTimer m_clock;
    int m_answerTimeoutMs = 2000;
};

} // namespace metatopia
