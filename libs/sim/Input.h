// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

// Input: the external batch B(n) a tick consumes (client actions, physics events, admin actions,
// script edits, the tick seed), and InputSource, where batches come from. A single-process sim
// uses LocalInputQueue; the cluster supplies agreed batches through the same interface without
// touching the engine. Every input carries an id unique within its batch (the cluster derives it
// from (client, seq)); the engine orders inputs by id, never by arrival.

#include "sim/World.h"

#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace metatopia::sim {

struct AvatarEnter
{
    AvatarId avatar = 0;
    AccountId account = 0;
    std::string name;
    FVec3 position;
};
struct AvatarLeave
{
    AvatarId avatar = 0;
};
struct AvatarMove
{
    AvatarId avatar = 0;
    FVec3 position;
    FQuat rotation;
    std::string animation;
};
// An avatar speaks: objects listening on the channel within range hear it.
struct AvatarChat
{
    AvatarId avatar = 0;
    std::int64_t channel = 0;
    ChatRange range = ChatRange::Say;
    std::string text;
};
struct Touch
{
    AvatarId avatar = 0;
    ObjectId object = 0;
};
// From the physics sim: `object` hit `other` (an object or avatar id).
struct Collision
{
    ObjectId object = 0;
    std::uint64_t other = 0;
};
// From the physics sim: the quantised transform of a moving object.
struct PhysicsTransform
{
    ObjectId object = 0;
    FVec3 position;
    FQuat rotation;
};
struct CreateObject
{
    AccountId owner = 0;
    std::string name;
    FVec3 position;
    FQuat rotation;
    FVec3 scale;
    std::uint32_t colour = 0xffffffff;
    std::string text;
    std::uint32_t permissions = PermissionDefault;
    std::string script; // empty: no script
};
struct DeleteObject
{
    AccountId by = 0; // must own the object; 0 = region admin
    ObjectId object = 0;
};
// Replaces an object's script (empty source removes it) at the tick boundary. Allowed for the
// owner, for anyone when the object grants PermissionModify, and for the region admin (author 0).
struct EditScript
{
    AccountId author = 0;
    ObjectId object = 0;
    std::string source;
};

using InputAction = std::variant<AvatarEnter, AvatarLeave, AvatarMove, AvatarChat, Touch, Collision,
    PhysicsTransform, CreateObject, DeleteObject, EditScript>;

struct Input
{
    std::uint64_t id = 0;
    InputAction action;
};

struct TickBatch
{
    std::uint64_t tick = 0;
    std::uint64_t seed = 0;
    std::vector<Input> inputs;

    std::string encode() const;
    static TickBatch decode(std::string_view bytes); // throws CodecError
};

class InputSource
{
public:
    virtual ~InputSource() = default;
    // The batch of `tick`, or nothing when it is not agreed yet (the engine then waits).
    virtual std::optional<TickBatch> batchFor(std::uint64_t tick) = 0;
};

// Local, single-process source: actions pushed from any thread go into the next batch; the seed
// is derived from a base seed and the tick number.
class LocalInputQueue final : public InputSource
{
public:
    explicit LocalInputQueue(std::uint64_t baseSeed = 0);
    std::uint64_t push(InputAction action);
    std::optional<TickBatch> batchFor(std::uint64_t tick) override;

private:
    std::mutex m_mutex;
    std::uint64_t m_baseSeed;
    std::uint64_t m_nextId = 1;
    std::vector<Input> m_pending;
};

} // namespace metatopia::sim
