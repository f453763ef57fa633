// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include "ui/ReplicaListModel.h"

#include <QElapsedTimer>
#include <QObject>
#include <QTimer>
#include <QtQmlIntegration>

#include <memory>

namespace metatopia {

namespace net {
class Connection;
class PinStore;
} // namespace net

// What checking a script found: ok, or the first error with its line (1-based; 0 when the
// message names none).
struct ScriptCheck
{
    bool ok = false;
    int line = 0;
    QString message;
};

// The manager's script editor behind the scenes: checks a Lua source with the sims' own runtime
// (libs/script: fixed-point numbers, text chunks only), and deploys it as a new scripted object
// with a "create" action sent to the sim cluster's leader gateway, following "notLeader"
// redirects, until the cluster acknowledges it at a tick.
class ScriptDeployer : public QObject
{
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("The manager owns its ScriptDeployer")
    Q_PROPERTY(State state READ state NOTIFY stateChanged)
    Q_PROPERTY(QString message READ message NOTIFY stateChanged)
    Q_PROPERTY(qint64 ackTick READ ackTick NOTIFY stateChanged)
public:
    enum class State
    {
        Idle,
        Sending,
        Acknowledged,
        Failed,
    };
    Q_ENUM(State)

    // replicas tells where the leader is; pins are shared with the monitor (same world).
    ScriptDeployer(ReplicaListModel &replicas, net::PinStore &pins, QObject *parent = nullptr);
    ~ScriptDeployer() override;

    // Compiles source without running it; chunk names in messages are "script".
    static ScriptCheck check(const QString &source);
    // For QML: {ok, line, message}.
    Q_INVOKABLE QVariantMap checkSource(const QString &source) const;

    // Sends {"t":"action","action":{"kind":"create","name","text","script","owner","x","y","z"}}
    // (coordinates in integer millimetres) to the leader; refuses (Failed) a script that does
    // not compile. Progress and the ack arrive through stateChanged().
    Q_INVOKABLE void deploy(const QString &source, const QString &name, int xMm = 128000,
        int yMm = 128000, int zMm = 25000, qint64 owner = 0);

    State state() const { return m_state; }
    QString message() const { return m_message; }
    qint64 ackTick() const { return m_ackTick; }
    void setTimeout(int ms) { m_timeoutMs = ms; }

signals:
    void stateChanged();

private:
    void sendTo(const QString &host, quint16 port);
    void onReply(const QCborMap &reply);
    void finish(State state, const QString &message);
    void dropConnection();

    ReplicaListModel &m_replicas;
    net::PinStore &m_pins;
    std::unique_ptr<net::Connection> m_connection;
    QCborMap m_action;
    quint64 m_clientId;
    quint64 m_seq = 0;
    int m_redirects = 0;
    int m_timeoutMs = 15000;
    QTimer m_timeout;
    State m_state = State::Idle;
    QString m_message;
    qint64 m_ackTick = 0;
};

} // namespace metatopia
