// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include "ui/AvatarListModel.h"
#include "ui/MessageListModel.h"
#include "ui/ObjectListModel.h"

#include <QCborMap>
#include <QElapsedTimer>
#include <QObject>
#include <QStringList>
#include <QTimer>
#include <QtQmlIntegration>

#include <map>
#include <memory>
#include <optional>
#include <vector>

namespace metatopia {

namespace net {
class Connection;
class PinStore;
} // namespace net

// The 3D client's view of one region: a connection to one of the sim cluster's gateways (the
// next one in the list when it goes away), the world rebuilt from its state stream (a full state
// in pages after "subscribe", then a delta per tick) into an ObjectListModel and an
// AvatarListModel, and the client's actions. Every action carries (client, seq); the ones not
// acknowledged yet are sent again, in order, after connecting to another replica, and the
// cluster de-duplicates them, so each takes effect once. Script sources are asked for with
// "script" requests (answered by any replica: scripts are copyleft and readable by everyone).
// Once an avatar enters through the session, the session listens as it: the public chat
// (channel 0) it hears in the sim, scripts' and avatars' (its own included, once) arrives as
// heard() and as rows of `nearby`; after a failover the next replica continues from the last
// tick the session has, so no line is lost or shown twice.
class WorldSession : public QObject
{
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("The app creates the WorldSession with its gateways")
    Q_PROPERTY(State state READ state NOTIFY stateChanged)
    Q_PROPERTY(QString statusText READ statusText NOTIFY stateChanged)
    Q_PROPERTY(QString gateway READ gateway NOTIFY stateChanged)
    Q_PROPERTY(QStringList gateways READ gateways WRITE setGateways NOTIFY gatewaysChanged)
    Q_PROPERTY(qint64 tick READ tick NOTIFY tickChanged)
    Q_PROPERTY(int pendingActions READ pendingActions NOTIFY pendingActionsChanged)
    Q_PROPERTY(int reconnects READ reconnects NOTIFY stateChanged)
    Q_PROPERTY(metatopia::ObjectListModel *objects READ objects CONSTANT)
    Q_PROPERTY(metatopia::AvatarListModel *avatars READ avatars CONSTANT)
    // The avatar whose chat the session hears (0: none); set by entering, cleared by leaving.
    Q_PROPERTY(
        qint64 listenAvatar READ listenAvatar WRITE setListenAvatar NOTIFY listenAvatarChanged)
    // What the avatar heard in the sim, oldest first (from: the speaker's name).
    Q_PROPERTY(metatopia::MessageListModel *nearby READ nearby CONSTANT)
public:
    enum class State
    {
        Offline, // not started, or stopped
        Connecting, // to a gateway (or waiting to try the next one)
        Syncing, // connected, receiving the full state
        Live, // the model follows the sim tick by tick
    };
    Q_ENUM(State)

    // pinFile keeps the gateways' certificate pins (trust on first use).
    explicit WorldSession(const QString &pinFile, QObject *parent = nullptr);
    ~WorldSession() override;

    // "host:port,host:port" -> the list; nullopt (error) on a malformed entry.
    static std::optional<QStringList> parseGateways(const QString &text, QString *error = nullptr);

    State state() const { return m_state; }
    QString statusText() const { return m_statusText; }
    QString gateway() const { return m_current; }
    QStringList gateways() const { return m_gateways; }
    void setGateways(const QStringList &gateways);
    qint64 tick() const { return m_tick; }
    int pendingActions() const { return int(m_unacked.size()); }
    int reconnects() const { return m_reconnects; }
    quint64 clientId() const { return m_clientId; }
    ObjectListModel *objects() { return &m_objects; }
    AvatarListModel *avatars() { return &m_avatars; }
    qint64 listenAvatar() const { return m_listenAvatar; }
    void setListenAvatar(qint64 avatar);
    MessageListModel *nearby() { return &m_nearby; }
    // Back-off between attempts: starts at minMs after a drop, doubles up to maxMs.
    void setReconnectDelays(int minMs, int maxMs);

    // Connects to the first gateway and keeps connected (trying the next on failure).
    Q_INVOKABLE void start();
    // Flushes what is queued, disconnects, stays offline.
    Q_INVOKABLE void stop();
    // Drops the current connection at once and goes on with the next gateway.
    Q_INVOKABLE void switchGateway();

    // Queues an action ({"kind":...}) and returns its seq; sent now if connected.
    quint64 sendAction(const QCborMap &action);
    Q_INVOKABLE qint64 touch(qint64 avatar, qint64 object);
    Q_INVOKABLE qint64 say(qint64 avatar, const QString &text, qint64 channel = 0);
    // Positions in sim metres, sent as integer millimetres.
    Q_INVOKABLE qint64 createObject(const QString &name, const QString &text,
        const QString &script, qint64 owner, const QVector3D &position);
    Q_INVOKABLE qint64 editScript(qint64 author, qint64 object, const QString &source);
    Q_INVOKABLE qint64 deleteObject(qint64 by, qint64 object);

    // Asks for an object's script; answered by scriptReceived or scriptFailed. Survives a
    // reconnect (asked again on the next replica).
    Q_INVOKABLE void requestScript(qint64 object);

    static qint64 millimetres(double metres);

signals:
    void stateChanged();
    void gatewaysChanged();
    void tickChanged();
    void pendingActionsChanged();
    // The model was (re)built from a full state.
    void synced();
    void actionAcknowledged(quint64 seq, qint64 tick);
    // "invalid" (with the gateway's error): the action is dropped, it would never be accepted.
    void actionRefused(quint64 seq, const QString &error);
    // {object, name, owner, tick, source, revision, author, suspended, error, history[]}; no
    // source for an object without a script.
    void scriptReceived(qint64 object, const QVariantMap &script);
    void scriptFailed(qint64 object, const QString &error);
    void listenAvatarChanged();
    // A public chat line the avatar heard: {tick, speaker, fromAvatar, name, channel, range,
    // text}. In tick order, each once.
    void heard(const QVariantMap &line);
    // The replica no longer had the lines of this many ticks (the session fell far behind).
    void heardMissed(qint64 ticks);
    // Records of the stream that could not be used (skipped; the rest of the message applies).
    void streamError(const QString &error);

private:
    void connectTo(int index);
    void scheduleReconnect(const QString &why, const QString &preferred = {});
    void onReady();
    void onMessage(const QCborMap &message);
    void onState(const QCborMap &message);
    void onDelta(const QCborMap &message);
    void onReply(const QCborMap &message);
    void resubscribe();
    void onHeard(const QCborMap &message);
    void sendListen(bool resume);
    void sendQueued(quint64 seq);
    void setState(State state, const QString &text);
    void dropConnection();

    std::unique_ptr<net::PinStore> m_pins;
    std::unique_ptr<net::Connection> m_connection;
    QStringList m_gateways;
    QString m_current;
    int m_index = -1;
    State m_state = State::Offline;
    QString m_statusText;
    bool m_running = false;
    int m_reconnects = 0;
    int m_minDelayMs = 100;
    int m_maxDelayMs = 2000;
    int m_delayMs = 100;
    int m_failuresInARow = 0;
    QTimer m_retry;

    quint64 m_clientId;
    quint64 m_nextSeq = 1;
    std::map<quint64, QCborMap> m_unacked; // seq -> action, sent again after a reconnect

    quint64 m_subscribeRequest = 0;
    bool m_receivingState = false;
    std::vector<WorldObject> m_incomingObjects;
    std::vector<WorldAvatar> m_incomingAvatars;
    qint64 m_tick = 0;
    ObjectListModel m_objects;
    AvatarListModel m_avatars;

    qint64 m_listenAvatar = 0;
    QString m_listenName;
    quint64 m_listenRequest = 0;
    // Every line heard up to this tick has arrived (a tick's lines come before its delta):
    // where the next replica continues. 0: from its current tick.
    qint64 m_heardThrough = 0;
    qint64 m_lastHeardTick = 0;
    qint64 m_nextNearbyId = 1;
    MessageListModel m_nearby;

    std::map<quint64, qint64> m_scriptRequests; // request id -> object
    std::vector<qint64> m_scriptsWanted; // asked while offline or in flight on a lost connection
};

} // namespace metatopia
