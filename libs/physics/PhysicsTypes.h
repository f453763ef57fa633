// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

// libs/physics: the physics sim of a region, a process of its own around a Bullet dynamics world.
// The main sim sends it body changes and "advance to tick n"; it steps Bullet and answers with
// physics events (quantised Fixed transforms, collisions, hand-offs). Those events enter the main
// sim's agreed input like any client action, so Bullet's floating point never reaches the
// lockstep core. Physics sims of adjacent regions mirror the bodies near their common border as
// ghosts and hand a body over (offer, accept, commit) when its centre crosses the border.
// Ownership rule: a region reports only about the bodies it owns; when A (owned by Y) hits B
// (owned by Z), Y sees B as a ghost and reports "A hit by B", Z reports "B hit by A".
//
// This header holds the plain value types: bodies, their state, regions and the configuration.
// PhysicsWorld.h wraps Bullet, PhysicsRegion.h is the region's logic (ownership, ghosts,
// hand-off), PhysicsMessages.h the wire format, PhysicsSimHost.h the network server and
// PhysicsLink.h the main sim's client.

#include "core/FQuat.h"
#include "core/FVec3.h"
#include "core/Fixed.h"

#include <compare>
#include <cstdint>

namespace metatopia::physics {

// The main sim's object id. Ids must be unique across regions: a region refuses a hand-off of a
// body whose id it already owns.
using BodyId = std::uint64_t;
// The region's ground plane (z = 0) in collision events.
inline constexpr BodyId GroundId = 0;

// A region's cell on the world grid. Every region has local coordinates [0, size) on x and y;
// region (x+1, y) starts where (x, y) ends.
struct RegionCoord
{
    std::int32_t x = 0;
    std::int32_t y = 0;
    friend constexpr bool operator==(RegionCoord, RegionCoord) noexcept = default;
    friend constexpr auto operator<=>(RegionCoord, RegionCoord) noexcept = default;
};

// The 8 regions around one, or not adjacent at all.
constexpr bool isAdjacent(RegionCoord a, RegionCoord b) noexcept
{
    const std::int64_t dx = std::int64_t(b.x) - a.x;
    const std::int64_t dy = std::int64_t(b.y) - a.y;
    return (dx != 0 || dy != 0) && dx >= -1 && dx <= 1 && dy >= -1 && dy <= 1;
}

enum class Shape : std::uint8_t
{
    Box, // size = half extents
    Sphere, // size.x = radius
};

struct BodyDesc
{
    BodyId id = 0;
    Shape shape = Shape::Box;
    FVec3 size { Fixed::fromRatio(1, 2), Fixed::fromRatio(1, 2), Fixed::fromRatio(1, 2) };
    Fixed mass = Fixed::one(); // 0: static (never moves)
    Fixed friction = Fixed::fromRatio(1, 2);
    Fixed restitution = Fixed::zero();
    friend constexpr bool operator==(const BodyDesc &, const BodyDesc &) noexcept = default;
};

// Position and rotation in the region's local coordinates, velocities in m/s and rad/s.
struct BodyState
{
    FVec3 position;
    FQuat rotation;
    FVec3 linearVelocity;
    FVec3 angularVelocity;
    friend constexpr bool operator==(const BodyState &, const BodyState &) noexcept = default;
};

struct PhysicsConfig
{
    Fixed regionSize = Fixed::fromInt(256);
    FVec3 gravity { Fixed::zero(), Fixed::zero(), Fixed::fromRatio(-981, 100) };
    // A tick is 1/ticksPerSecond s, stepped as `substeps` fixed Bullet steps.
    int ticksPerSecond = 45;
    int substeps = 2;
    // Owned bodies whose centre is within this distance of a neighbour's border are ghosted to it.
    Fixed borderMargin = Fixed::fromInt(4);
    bool ground = true; // a static plane at z = 0
    // An offer unanswered for this many ticks is aborted; the owner keeps the body and offers
    // again after offerRetryTicks.
    int offerTimeoutTicks = 45;
    int offerRetryTicks = 45;
    // A ghost not refreshed for this many ticks is dropped; owners refresh idle ghosts at a third
    // of it.
    int ghostTimeoutTicks = 90;
    int maxBodies = 50000;
    // Bounds the work one "advance" may ask for.
    int maxTicksPerAdvance = 450;
};

} // namespace metatopia::physics
