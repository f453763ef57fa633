// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "physics/PhysicsWorld.h"

#include <btBulletDynamicsCommon.h>

#include <algorithm>
#include <cmath>

namespace metatopia::physics {

namespace {

// Contacts closer than this count as touching: Bullet keeps manifold points up to its breaking
// threshold (a few cm), which would report near misses.
constexpr btScalar TouchDistance = btScalar(0.005);

btVector3 toBullet(FVec3 v)
{
    return btVector3(btScalar(v.x.toDouble()), btScalar(v.y.toDouble()), btScalar(v.z.toDouble()));
}

btQuaternion toBullet(FQuat q)
{
    btQuaternion r(btScalar(q.x.toDouble()), btScalar(q.y.toDouble()), btScalar(q.z.toDouble()),
        btScalar(q.w.toDouble()));
    if (r.length2() < btScalar(1e-6))
        return btQuaternion::getIdentity();
    return r.normalized();
}

FVec3 fromBullet(const btVector3 &v)
{
    return { quantise(v.x()), quantise(v.y()), quantise(v.z()) };
}

FQuat fromBullet(const btQuaternion &q)
{
    // q and -q are the same rotation: w >= 0 makes the quantised output canonical.
    const btScalar sign = q.w() < 0 ? btScalar(-1) : btScalar(1);
    return { quantise(sign * q.w()), quantise(sign * q.x()), quantise(sign * q.y()),
        quantise(sign * q.z()) };
}

} // namespace

Fixed quantise(double value) noexcept
{
    if (std::isnan(value))
        return Fixed::zero();
    const double scaled = std::nearbyint(value * 65536.0);
    constexpr double limit = 2147483647.0 * 65536.0;
    if (scaled >= limit)
        return Fixed::fromRaw(std::int64_t(2147483647) << 32);
    if (scaled <= -limit)
        return Fixed::fromRaw(-(std::int64_t(2147483647) << 32));
    return Fixed::fromRaw(static_cast<std::int64_t>(scaled) * 65536);
}

struct PhysicsWorld::Bullet
{
    btDefaultCollisionConfiguration configuration;
    btCollisionDispatcher dispatcher { &configuration };
    btDbvtBroadphase broadphase;
    btSequentialImpulseConstraintSolver solver;
    btDiscreteDynamicsWorld world { &dispatcher, &broadphase, &solver, &configuration };
    btStaticPlaneShape groundShape { btVector3(0, 0, 1), 0 };
    std::unique_ptr<btRigidBody> ground;
};

struct PhysicsWorld::Body
{
    BodyDesc desc;
    std::unique_ptr<btCollisionShape> shape;
    std::unique_ptr<btRigidBody> body;
};

PhysicsWorld::PhysicsWorld(const PhysicsConfig &config)
    : m_config(config)
    , m_bullet(std::make_unique<Bullet>())
{
    m_bullet->world.setGravity(toBullet(config.gravity));
    if (config.ground) {
        btRigidBody::btRigidBodyConstructionInfo info(0, nullptr, &m_bullet->groundShape);
        info.m_friction = btScalar(0.8);
        m_bullet->ground = std::make_unique<btRigidBody>(info);
        m_bullet->ground->setUserPointer(nullptr);
        m_bullet->world.addRigidBody(m_bullet->ground.get());
    }
}

PhysicsWorld::~PhysicsWorld()
{
    for (auto &[id, body] : m_bodies)
        m_bullet->world.removeRigidBody(body->body.get());
    if (m_bullet->ground)
        m_bullet->world.removeRigidBody(m_bullet->ground.get());
}

bool PhysicsWorld::addBody(const BodyDesc &desc, const BodyState &state)
{
    if (desc.id == GroundId || m_bodies.count(desc.id))
        return false;
    auto body = std::make_unique<Body>();
    body->desc = desc;
    if (desc.shape == Shape::Sphere)
        body->shape = std::make_unique<btSphereShape>(btScalar(desc.size.x.toDouble()));
    else
        body->shape = std::make_unique<btBoxShape>(toBullet(desc.size));
    const btScalar mass = btScalar(desc.mass.toDouble());
    btVector3 inertia(0, 0, 0);
    if (mass > 0)
        body->shape->calculateLocalInertia(mass, inertia);
    btRigidBody::btRigidBodyConstructionInfo info(mass, nullptr, body->shape.get(), inertia);
    info.m_startWorldTransform = btTransform(toBullet(state.rotation), toBullet(state.position));
    info.m_friction = btScalar(desc.friction.toDouble());
    info.m_restitution = btScalar(desc.restitution.toDouble());
    body->body = std::make_unique<btRigidBody>(info);
    body->body->setUserPointer(body.get());
    if (mass > 0) {
        body->body->setLinearVelocity(toBullet(state.linearVelocity));
        body->body->setAngularVelocity(toBullet(state.angularVelocity));
    }
    m_bullet->world.addRigidBody(body->body.get());
    m_bodies.emplace(desc.id, std::move(body));
    return true;
}

bool PhysicsWorld::removeBody(BodyId id)
{
    const auto it = m_bodies.find(id);
    if (it == m_bodies.end())
        return false;
    m_bullet->world.removeRigidBody(it->second->body.get());
    m_bodies.erase(it);
    return true;
}

bool PhysicsWorld::setState(BodyId id, const BodyState &state)
{
    const auto it = m_bodies.find(id);
    if (it == m_bodies.end())
        return false;
    btRigidBody &body = *it->second->body;
    const btTransform transform(toBullet(state.rotation), toBullet(state.position));
    body.setWorldTransform(transform);
    body.setInterpolationWorldTransform(transform);
    if (!body.isStaticObject()) {
        body.setLinearVelocity(toBullet(state.linearVelocity));
        body.setAngularVelocity(toBullet(state.angularVelocity));
        body.setInterpolationLinearVelocity(toBullet(state.linearVelocity));
        body.setInterpolationAngularVelocity(toBullet(state.angularVelocity));
        body.activate(true);
    }
    return true;
}

bool PhysicsWorld::applyImpulse(BodyId id, FVec3 impulse)
{
    const auto it = m_bodies.find(id);
    if (it == m_bodies.end() || it->second->body->isStaticObject())
        return false;
    it->second->body->activate(true);
    it->second->body->applyCentralImpulse(toBullet(impulse));
    return true;
}

bool PhysicsWorld::setVelocity(BodyId id, FVec3 linear, FVec3 angular)
{
    const auto it = m_bodies.find(id);
    if (it == m_bodies.end() || it->second->body->isStaticObject())
        return false;
    it->second->body->activate(true);
    it->second->body->setLinearVelocity(toBullet(linear));
    it->second->body->setAngularVelocity(toBullet(angular));
    return true;
}

std::optional<BodyState> PhysicsWorld::state(BodyId id) const
{
    const auto it = m_bodies.find(id);
    if (it == m_bodies.end())
        return std::nullopt;
    const btRigidBody &body = *it->second->body;
    BodyState s;
    s.position = fromBullet(body.getWorldTransform().getOrigin());
    s.rotation = fromBullet(body.getWorldTransform().getRotation());
    s.linearVelocity = fromBullet(body.getLinearVelocity());
    s.angularVelocity = fromBullet(body.getAngularVelocity());
    return s;
}

std::optional<BodyDesc> PhysicsWorld::desc(BodyId id) const
{
    const auto it = m_bodies.find(id);
    if (it == m_bodies.end())
        return std::nullopt;
    return it->second->desc;
}

bool PhysicsWorld::transform(BodyId id, FVec3 *position, FQuat *rotation) const
{
    const auto it = m_bodies.find(id);
    if (it == m_bodies.end())
        return false;
    const btTransform &t = it->second->body->getWorldTransform();
    *position = fromBullet(t.getOrigin());
    *rotation = fromBullet(t.getRotation());
    return true;
}

bool PhysicsWorld::isActive(BodyId id) const
{
    const auto it = m_bodies.find(id);
    return it != m_bodies.end() && !it->second->body->isStaticObject()
        && it->second->body->isActive();
}

bool PhysicsWorld::activeTransform(BodyId id, FVec3 *position, FQuat *rotation) const
{
    const auto it = m_bodies.find(id);
    if (it == m_bodies.end() || it->second->body->isStaticObject() || !it->second->body->isActive())
        return false;
    const btTransform &t = it->second->body->getWorldTransform();
    *position = fromBullet(t.getOrigin());
    *rotation = fromBullet(t.getRotation());
    return true;
}

std::vector<BodyId> PhysicsWorld::ids() const
{
    std::vector<BodyId> out;
    out.reserve(m_bodies.size());
    for (const auto &entry : m_bodies)
        out.push_back(entry.first);
    std::sort(out.begin(), out.end());
    return out;
}

void PhysicsWorld::step()
{
    m_contacts.clear();
    m_contacts.reserve(std::size_t(m_bullet->dispatcher.getNumManifolds()) * 2);
    const btScalar dt = btScalar(
        1.0 / (double(m_config.ticksPerSecond) * double(std::max(1, m_config.substeps))));
    for (int i = 0; i < std::max(1, m_config.substeps); ++i) {
        // maxSubSteps 0: exactly one step of dt, no accumulator and no interpolation, so the
        // number of internal steps never depends on float rounding of the elapsed time.
        m_bullet->world.stepSimulation(dt, 0);
        collectContacts();
    }
    std::sort(m_contacts.begin(), m_contacts.end());
    m_contacts.erase(std::unique(m_contacts.begin(), m_contacts.end()), m_contacts.end());
}

void PhysicsWorld::collectContacts()
{
    btCollisionDispatcher &dispatcher = m_bullet->dispatcher;
    const int manifolds = dispatcher.getNumManifolds();
    for (int i = 0; i < manifolds; ++i) {
        const btPersistentManifold *manifold = dispatcher.getManifoldByIndexInternal(i);
        const int points = manifold->getNumContacts();
        bool touching = false;
        for (int p = 0; p < points && !touching; ++p)
            touching = manifold->getContactPoint(p).getDistance() <= TouchDistance;
        if (!touching)
            continue;
        const auto idOf = [](const btCollisionObject *object) {
            const auto *body = static_cast<const Body *>(object->getUserPointer());
            return body ? body->desc.id : GroundId;
        };
        const BodyId a = idOf(manifold->getBody0());
        const BodyId b = idOf(manifold->getBody1());
        m_contacts.emplace_back(std::min(a, b), std::max(a, b));
    }
}

btDiscreteDynamicsWorld &PhysicsWorld::bulletWorld()
{
    return m_bullet->world;
}

} // namespace metatopia::physics
