// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

// Event: the one thing that moves between parts of the deterministic world (client actions,
// physics results, script messages, timers). Each event names its targets; the router delivers it
// and every receiver sees its events in the canonical per-target order of EventOrder.h.

#include "core/FVec3.h"
#include "core/Fixed.h"
#include "core/Id.h"

#include <QCborMap>
#include <QString>

#include <cstdint>
#include <variant>
#include <vector>

namespace metatopia {

// Delivered to these objects (and the scripts attached to them).
struct ObjectTargets
{
    std::vector<ObjectId> objects;
    friend bool operator==(const ObjectTargets &, const ObjectTargets &) = default;
};

// Delivered to every listener of `channel` within `radius` of `origin` (chat-like).
struct ChannelTarget
{
    std::int64_t channel = 0;
    FVec3 origin;
    Fixed radius = Fixed::zero();
    friend bool operator==(const ChannelTarget &, const ChannelTarget &) = default;
};

// Delivered to every listener registered for events of `kind` (e.g. all "tick" listeners).
struct ListenerTarget
{
    QString kind;
    friend bool operator==(const ListenerTarget &, const ListenerTarget &) = default;
};

using EventTarget = std::variant<ObjectTargets, ChannelTarget, ListenerTarget>;

struct Event
{
    EventId id;
    std::uint64_t tick = 0;
    QString kind; // "touch", "collision", "chat", a script's own name...
    ObjectId source; // invalid (0) for events from outside the world (clients, admins, the sim)
    EventTarget target;
    QCborMap payload;

    friend bool operator==(const Event &, const Event &) = default;
};

} // namespace metatopia
