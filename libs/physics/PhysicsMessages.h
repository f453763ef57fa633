// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

// The physics sim's vocabulary and its CBOR form (libs/net messages, "t" names the type):
//
// main sim -> physics sim, request "physics.step" {tick, changes: [...]}: apply the body changes
//   in order, then advance to `tick`. Reply {tick, events: [...], refused: [text...]}.
// neighbour -> neighbour, request "physics.hello" {region: [x, y], size}: a physics sim of an
//   adjacent region introduces itself; reply {region, size}. Then messages "physics.border"
//   {from: [x, y], tick, messages: [...]} carry ghosts and hand-offs both ways.
// request "physics.bodies": {tick, links: [[x, y]...], owned: [{body, state}...], ghosts: [...],
//   transit: [id...]}: the region's bodies and neighbour links (tests, monitoring).
//
// Every Fixed travels as its raw int64, vectors and quaternions as arrays of those (CoreCbor.h).
// Decoding checks every field (type, range, shape) and fails with a message naming the field;
// it never trusts a size or an index from the wire.

#include "physics/PhysicsTypes.h"

#include "core/Result.h"

#include <QCborMap>
#include <QCborValue>
#include <QString>

#include <string>
#include <variant>
#include <vector>

namespace metatopia::physics {

// --- main sim -> physics sim
struct AddBody
{
    BodyDesc desc;
    BodyState state;
};
struct RemoveBody
{
    BodyId id = 0;
};
struct ApplyImpulse
{
    BodyId id = 0;
    FVec3 impulse; // N·s
};
struct SetVelocity
{
    BodyId id = 0;
    FVec3 linear;
    FVec3 angular;
};
using BodyChange = std::variant<AddBody, RemoveBody, ApplyImpulse, SetVelocity>;

struct StepRequest
{
    std::uint64_t tick = 0;
    std::vector<BodyChange> changes;
};

// --- physics sim -> main sim (only about bodies the region owns)
struct TransformEvent
{
    BodyId id = 0;
    FVec3 position;
    FQuat rotation;
    friend bool operator==(const TransformEvent &, const TransformEvent &) = default;
};
// `id` (owned here) touched `other` (a body owned here or a neighbour's ghost, or GroundId).
struct CollisionEvent
{
    BodyId id = 0;
    BodyId other = 0;
    friend bool operator==(const CollisionEvent &, const CollisionEvent &) = default;
};
// The body now belongs to the region `to`; this region reports nothing more about it.
struct HandedOffEvent
{
    BodyId id = 0;
    RegionCoord to;
    friend bool operator==(const HandedOffEvent &, const HandedOffEvent &) = default;
};
// The body now belongs to this region (handed over by `from`, or given back after `from`
// refused it), with its state in this region's coordinates.
struct ArrivedEvent
{
    BodyDesc desc;
    BodyState state;
    RegionCoord from;
    friend bool operator==(const ArrivedEvent &, const ArrivedEvent &) = default;
};
using PhysicsEvent = std::variant<TransformEvent, CollisionEvent, HandedOffEvent, ArrivedEvent>;

struct StepReply
{
    std::uint64_t tick = 0;
    std::vector<PhysicsEvent> events;
    // Changes that were well-formed but could not apply ("add 5: id already exists").
    std::vector<std::string> refused;
};

// --- neighbour <-> neighbour. States are in the sender's local coordinates.
struct GhostUpdate
{
    BodyDesc desc;
    BodyState state;
};
struct GhostRemove
{
    BodyId id = 0;
};
// Hand-off: the owner offers, the neighbour accepts or rejects, the owner commits (with the
// body's final state) or aborts, the neighbour acknowledges the commit. Handoff ids are unique
// per sender. See PhysicsRegion.h for the rule that keeps exactly one owner.
struct HandoffOffer
{
    std::uint64_t handoff = 0;
    BodyDesc desc;
    BodyState state;
};
struct HandoffAccept
{
    std::uint64_t handoff = 0;
};
struct HandoffReject
{
    std::uint64_t handoff = 0;
    std::string reason;
};
struct HandoffAbort
{
    std::uint64_t handoff = 0;
};
struct HandoffCommit
{
    std::uint64_t handoff = 0;
    BodyDesc desc;
    BodyState state;
};
// taken = false: the receiver could not take the body (its id is owned there); the sender owns
// it again.
struct HandoffCommitAck
{
    std::uint64_t handoff = 0;
    bool taken = true;
};
using NeighbourMessage = std::variant<GhostUpdate, GhostRemove, HandoffOffer, HandoffAccept,
    HandoffReject, HandoffAbort, HandoffCommit, HandoffCommitAck>;

struct NeighbourBatch
{
    RegionCoord from;
    std::uint64_t tick = 0;
    std::vector<NeighbourMessage> messages;
};

namespace msg {
inline const QString step = QStringLiteral("physics.step");
inline const QString hello = QStringLiteral("physics.hello");
inline const QString border = QStringLiteral("physics.border");
inline const QString bodies = QStringLiteral("physics.bodies");
} // namespace msg

// Bounds enforced when decoding (and by PhysicsRegion for in-process callers).
struct Limits
{
    static constexpr std::int64_t maxCoordinate = 1000000; // m, on every axis
    static constexpr std::int64_t maxSpeed = 10000; // m/s or rad/s, per component
    static constexpr std::int64_t maxSize = 10000; // m, half extent or radius
    static constexpr std::int64_t maxMass = 1000000000; // kg
    static constexpr std::int64_t maxImpulse = 1000000000; // N·s per component
    static constexpr int maxChanges = 200000;
    static constexpr int maxMessages = 200000;
};

// Checks a body description: id not 0, positive sizes within bounds, mass >= 0, friction in
// [0, 10], restitution in [0, 1]. Empty when fine.
QString validate(const BodyDesc &desc);
// Position, velocities within bounds, rotation not degenerate. Empty when fine.
QString validate(const BodyState &state);

QCborValue encode(RegionCoord region);
QCborMap encode(const BodyDesc &desc);
QCborMap encode(const BodyState &state);
QCborMap encode(const StepRequest &request); // fields of "physics.step" (without "t")
QCborMap encode(const StepReply &reply);
QCborMap encode(const NeighbourBatch &batch);

Result<RegionCoord> decodeRegion(const QCborValue &v);
Result<BodyDesc> decodeDesc(const QCborValue &v);
Result<BodyState> decodeState(const QCborValue &v);
// The rotation of a decoded state is normalised.
Result<StepRequest> decodeStepRequest(const QCborMap &message);
Result<StepReply> decodeStepReply(const QCborMap &message);
Result<NeighbourBatch> decodeNeighbourBatch(const QCborMap &message);

} // namespace metatopia::physics
