// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "physics/PhysicsLink.h"

#include "net/Connection.h"
#include "net/PinStore.h"
#include "net/Protocol.h"

namespace metatopia::physics {

std::vector<sim::InputAction> toInputActions(const StepReply &reply)
{
    std::vector<sim::InputAction> out;
    out.reserve(reply.events.size());
    // Built in place: moving a temporary variant in makes GCC 12 warn (falsely) that the
    // other alternatives' fields may be used uninitialized.
    for (const PhysicsEvent &event : reply.events) {
        if (const auto *t = std::get_if<TransformEvent>(&event))
            out.emplace_back(std::in_place_type<sim::PhysicsTransform>,
                sim::PhysicsTransform { t->id, t->position, t->rotation });
        else if (const auto *c = std::get_if<CollisionEvent>(&event))
            out.emplace_back(
                std::in_place_type<sim::Collision>, sim::Collision { c->id, c->other });
    }
    return out;
}

PhysicsLink::PhysicsLink(QString host, quint16 port, net::PinStore &pins, QObject *parent)
    : QObject(parent)
    , m_host(std::move(host))
    , m_port(port)
    , m_pins(pins)
{ }

PhysicsLink::~PhysicsLink()
{
    close();
}

void PhysicsLink::open()
{
    close();
    net::ClientOptions options;
    options.clientName = QStringLiteral("metatopia-sim");
    options.limits.maxFrameSize = qint64(32) << 20;
    options.limits.maxWriteBuffer = qint64(128) << 20;
    m_connection = net::Connection::connectToHost(m_host, m_port, m_pins, options);
    net::Connection *c = m_connection.get();
    connect(c, &net::Connection::ready, this, &PhysicsLink::ready);
    connect(c, &net::Connection::errorOccurred, this, &PhysicsLink::failed);
    connect(c, &net::Connection::messageReceived, this, &PhysicsLink::onMessage);
    connect(c, &net::Connection::disconnected, this, [this, c] {
        m_inFlight.clear();
        if (m_connection.get() == c)
            m_connection.release()->deleteLater();
        emit disconnected();
    });
}

void PhysicsLink::close()
{
    if (!m_connection)
        return;
    m_connection->disconnect(this);
    m_connection->abort();
    m_connection.release()->deleteLater();
    m_inFlight.clear();
}

bool PhysicsLink::isReady() const
{
    return m_connection && m_connection->isReady();
}

void PhysicsLink::addBody(const BodyDesc &desc, const BodyState &state)
{
    m_queued.push_back(AddBody { desc, state });
}

void PhysicsLink::removeBody(BodyId id)
{
    m_queued.push_back(RemoveBody { id });
}

void PhysicsLink::applyImpulse(BodyId id, FVec3 impulse)
{
    m_queued.push_back(ApplyImpulse { id, impulse });
}

void PhysicsLink::setVelocity(BodyId id, FVec3 linear, FVec3 angular)
{
    m_queued.push_back(SetVelocity { id, linear, angular });
}

bool PhysicsLink::advance(std::uint64_t tick)
{
    if (!isReady())
        return false;
    StepRequest request;
    request.tick = tick;
    request.changes = m_queued;
    QCborMap fields = encode(request);
    if (!m_token.isEmpty())
        fields.insert(QStringLiteral("token"), m_token);
    const quint64 id = m_connection->request(net::makeMessage(msg::step, fields));
    if (id == 0)
        return false;
    m_queued.clear();
    m_inFlight.emplace(id, tick);
    return true;
}

void PhysicsLink::onMessage(const QCborMap &message)
{
    if (net::messageType(message) != msg::step)
        return;
    const auto id = net::requestId(message);
    const auto it = id ? m_inFlight.find(*id) : m_inFlight.end();
    if (it == m_inFlight.end())
        return;
    const std::uint64_t tick = it->second;
    m_inFlight.erase(it);
    if (!net::isOk(message)) {
        emit stepFailed(tick, net::errorText(message));
        return;
    }
    const auto reply = decodeStepReply(message);
    if (!reply) {
        emit stepFailed(tick, QStringLiteral("malformed reply: %1").arg(reply.error()));
        return;
    }
    m_answeredTick = reply->tick;
    for (auto &action : toInputActions(*reply))
        m_actions.push_back(std::move(action));
    for (const PhysicsEvent &event : reply->events) {
        if (const auto *h = std::get_if<HandedOffEvent>(&event))
            m_handedOff.push_back(*h);
        else if (const auto *a = std::get_if<ArrivedEvent>(&event))
            m_arrived.push_back(*a);
    }
    m_refused.insert(m_refused.end(), reply->refused.begin(), reply->refused.end());
    emit stepped(reply->tick);
}

std::vector<sim::InputAction> PhysicsLink::takeActions()
{
    return std::exchange(m_actions, {});
}

std::vector<HandedOffEvent> PhysicsLink::takeHandedOff()
{
    return std::exchange(m_handedOff, {});
}

std::vector<ArrivedEvent> PhysicsLink::takeArrived()
{
    return std::exchange(m_arrived, {});
}

std::vector<std::string> PhysicsLink::takeRefused()
{
    return std::exchange(m_refused, {});
}

} // namespace metatopia::physics
