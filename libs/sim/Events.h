// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

// Events: what travels between the world, the router and scripts inside the sim.

#include "sim/World.h"

#include "script/ScriptVm.h"

#include <string>
#include <vector>

namespace metatopia::sim {

enum class EventKind : std::uint8_t
{
    Touch,
    Listen,
    Message,
    Timer,
    Collision,
    ObjectRez
};
// The Lua handler each kind calls: on_touch, on_listen, on_message, on_timer, on_collision,
// on_object_rez.
const char *handlerName(EventKind kind);

// An event on its way to scripts: either to one target object, or (Listen) to every script
// listening on a channel within range of an origin.
struct Emission
{
    std::uint64_t id = 0; // unique per tick, derived from content, never from arrival
    EventKind kind = EventKind::Touch;
    ObjectId target = 0; // all kinds but Listen
    std::uint64_t source
        = 0; // sender; for Listen the speaking object (0: an avatar), which never hears itself
    std::int64_t channel = 0;
    ChatRange range = ChatRange::Say;
    FVec3 origin;
    std::vector<ScriptValue> args; // the handler's arguments

    void encode(Writer &out) const;
    static Emission decode(Reader &in);
};

// A rez request (the object is made at merge, in script-id order).
struct RezRequest
{
    ObjectId parent = 0;
    std::string name;
    FVec3 position;
    FQuat rotation;
    FVec3 scale;
    std::uint32_t colour = 0xffffffff;
    std::string text;
    std::string script;
};

// print() output of scripts is reported on this channel (like SL's DEBUG_CHANNEL).
constexpr std::int64_t DebugChannel = 2147483647;

struct ChatLine
{
    std::uint64_t speaker = 0;
    bool fromAvatar = false;
    std::string name;
    std::int64_t channel = 0;
    ChatRange range = ChatRange::Say;
    FVec3 position;
    std::string text;
};

// A chat line one avatar hears (TickReport::heard), for the gateway to hand to its client.
// Avatars hear channel 0 (public chat) said within the line's range of where they stand.
struct HeardChat
{
    AvatarId avatar = 0;
    ChatLine line;
};

struct ScriptProblem
{
    ObjectId object = 0;
    std::string message;
};

} // namespace metatopia::sim
