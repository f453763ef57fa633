// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

// PhysicsLink: the main sim's client of its region's physics sim (see PhysicsTypes.h for what
// libs/physics is for). The main sim queues body changes (add, remove, impulse, velocity) and
// calls advance(n) once per tick; the reply's events come back as sim::InputAction values
// (PhysicsTransform, Collision) ready to enter a batch B(n'), plus the hand-offs the main sim
// has to act on (a body that left for a neighbour, a body that arrived from one). Replies come
// in the order of the advances. Nothing here touches the deterministic core: the leader decides
// which batch the actions go into, and replicas only ever see the agreed batch.
//
// How the cluster leader uses it: only the raft leader holds a PhysicsLink (followers never talk
// to the physics sim; they get its results inside agreed batches). When an object becomes
// physical (or after a failover, for every physical object of the current state) the leader
// queues addBody(); impulses and velocity changes that tick n's scripts asked for are queued as
// they are committed; then, once batch n is committed, it calls advance(n). On stepped(n) it
// takes takeActions() and proposes them as inputs of the next batch it builds (n+1 or later,
// never an earlier one), each with a fresh input id like any client action. takeHandedOff() /
// takeArrived() name objects to send to or accept from the neighbouring region's sim. On
// disconnected() it opens a new link and re-adds the physical objects (a restarted physics sim
// is empty; the state it would have lost lives in the main sim's agreed world).

#include "physics/PhysicsMessages.h"

#include "sim/Input.h"

#include <QObject>
#include <QString>

#include <map>
#include <memory>
#include <vector>

namespace metatopia::net {
class Connection;
class PinStore;
} // namespace metatopia::net

namespace metatopia::physics {

// The sim inputs of one reply, in the reply's order: transforms become PhysicsTransform,
// collisions become Collision (other = GroundId for the ground).
std::vector<sim::InputAction> toInputActions(const StepReply &reply);

class PhysicsLink : public QObject
{
    Q_OBJECT
public:
    // pins must outlive the link (trust on first use of the physics sim's certificate).
    PhysicsLink(QString host, quint16 port, net::PinStore &pins, QObject *parent = nullptr);
    ~PhysicsLink() override;

    // The physics sim's shared secret (PhysicsSimConfig::token), sent with every advance.
    void setToken(const QString &token) { m_token = token; }

    // Connects (asynchronously): ready() or failed() follows.
    void open();
    void close();
    bool isReady() const;

    // Changes go with the next advance(), in the order they were queued.
    void addBody(const BodyDesc &desc, const BodyState &state);
    void removeBody(BodyId id);
    void applyImpulse(BodyId id, FVec3 impulse);
    void setVelocity(BodyId id, FVec3 linear, FVec3 angular);
    std::size_t queuedChanges() const { return m_queued.size(); }

    // Sends "advance to tick" with the queued changes. False (changes kept) when not ready.
    bool advance(std::uint64_t tick);
    // Advances sent and not answered yet.
    int pending() const { return int(m_inFlight.size()); }
    // The last tick the physics sim answered.
    std::uint64_t answeredTick() const { return m_answeredTick; }

    // What replies delivered since the last take, in order.
    std::vector<sim::InputAction> takeActions();
    std::vector<HandedOffEvent> takeHandedOff();
    std::vector<ArrivedEvent> takeArrived();
    // Changes the physics sim refused ("add 5: id exists"), for the log.
    std::vector<std::string> takeRefused();

Q_SIGNALS:
    void ready();
    // One advance was answered; its events are waiting in the take*() lists.
    void stepped(quint64 tick);
    // An advance was refused or the reply was malformed.
    void stepFailed(quint64 tick, const QString &error);
    void failed(const QString &error);
    // The connection is gone; unanswered advances are lost (pending() is 0 again). A physics sim
    // that restarted has no bodies: the main sim adds them again.
    void disconnected();

private:
    void onMessage(const QCborMap &message);

    QString m_host;
    quint16 m_port;
    QString m_token;
    net::PinStore &m_pins;
    std::unique_ptr<net::Connection> m_connection;
    std::vector<BodyChange> m_queued;
    std::map<quint64, std::uint64_t> m_inFlight; // request id -> tick
    std::uint64_t m_answeredTick = 0;
    std::vector<sim::InputAction> m_actions;
    std::vector<HandedOffEvent> m_handedOff;
    std::vector<ArrivedEvent> m_arrived;
    std::vector<std::string> m_refused;
};

} // namespace metatopia::physics
