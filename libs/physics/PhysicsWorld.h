// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

// PhysicsWorld: one region's Bullet dynamics world behind a Fixed-in, Fixed-out interface (what
// libs/physics is for: see PhysicsTypes.h). Bodies are boxes or spheres keyed by BodyId; a tick
// is `substeps` fixed Bullet steps; everything read back is quantised to 2^-16 so that the
// floating-point noise below that never shows, and the same sequence of calls gives the same
// bits in one build. It knows nothing of ownership: PhysicsRegion decides what to report.

#include "physics/PhysicsTypes.h"

#include <memory>
#include <optional>
#include <unordered_map>
#include <utility>
#include <vector>

class btDiscreteDynamicsWorld;

namespace metatopia::physics {

// Rounds to the nearest multiple of 2^-16 (saturating): the grid of every value leaving Bullet.
Fixed quantise(double value) noexcept;

class PhysicsWorld
{
public:
    explicit PhysicsWorld(const PhysicsConfig &config);
    ~PhysicsWorld();
    PhysicsWorld(const PhysicsWorld &) = delete;
    PhysicsWorld &operator=(const PhysicsWorld &) = delete;

    // False when the id is taken (or 0).
    bool addBody(const BodyDesc &desc, const BodyState &state);
    bool removeBody(BodyId id);
    bool contains(BodyId id) const { return m_bodies.count(id) != 0; }
    std::size_t bodyCount() const { return m_bodies.size(); }

    // Teleports the body and sets its velocities (ghost refresh, hand-off).
    bool setState(BodyId id, const BodyState &state);
    bool applyImpulse(BodyId id, FVec3 impulse);
    bool setVelocity(BodyId id, FVec3 linear, FVec3 angular);

    std::optional<BodyState> state(BodyId id) const; // quantised
    std::optional<BodyDesc> desc(BodyId id) const;
    // Position and rotation only, quantised: cheaper than state() for the per-tick transforms.
    bool transform(BodyId id, FVec3 *position, FQuat *rotation) const;
    // Sleeping or static bodies are inactive: their transform does not change.
    bool isActive(BodyId id) const;
    // The transform of an active body (one lookup: the per-tick hot path). False when the body
    // is inactive or unknown.
    bool activeTransform(BodyId id, FVec3 *position, FQuat *rotation) const;
    std::vector<BodyId> ids() const;

    // One tick: `substeps` Bullet steps of 1/(ticksPerSecond*substeps) s.
    void step();
    // Pairs (low id, high id) of bodies touching at the end of any substep of the last step(),
    // sorted, without duplicates; the ground is GroundId.
    const std::vector<std::pair<BodyId, BodyId>> &contacts() const { return m_contacts; }

    // For the benchmark's baseline: the world itself.
    btDiscreteDynamicsWorld &bulletWorld();

private:
    struct Bullet;
    struct Body;
    void collectContacts();

    PhysicsConfig m_config;
    std::unique_ptr<Bullet> m_bullet;
    // Looked up by id only (never iterated in an order that matters; ids() sorts).
    std::unordered_map<BodyId, std::unique_ptr<Body>> m_bodies;
    std::vector<std::pair<BodyId, BodyId>> m_contacts;
};

} // namespace metatopia::physics
