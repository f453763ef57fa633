// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

// The RayNet protocol: plain message structs, their CBOR form for the real transport, and the
// validation every received message goes through before a node looks at it. The same structs
// travel through the in-process simulator, so the node logic is identical in both worlds.
//
// Every message carries its sender's own descriptor. That first-hand descriptor is the only
// source a node trusts for a peer's coordinates; descriptors about third parties (gossiped
// neighbour lists, peer-sampling views) are hints that must be confirmed by the peer itself.

#include "raynet/Geometry.h"

#include <QByteArray>
#include <QString>

#include <cstdint>
#include <optional>
#include <variant>
#include <vector>

namespace metatopia::raynet {

using PeerId = std::uint64_t; // 0 is never a valid peer

struct Descriptor
{
    PeerId id = 0;
    std::uint32_t version = 0; // bumped by the node itself when its coordinates change
    Point coords {};
    friend bool operator==(const Descriptor &, const Descriptor &) = default;
};

// Voronoi-neighbour gossip: "here is who I consider my close neighbours". Also the probe that
// introduces a node to a candidate (wantReply asks for the receiver's list back).
struct Hello
{
    std::vector<Descriptor> neighbours;
    bool wantReply = false;
    friend bool operator==(const Hello &, const Hello &) = default;
};

// Cyclon-style peer-sampling exchange.
struct Shuffle
{
    std::vector<Descriptor> entries;
    bool isReply = false;
    friend bool operator==(const Shuffle &, const Shuffle &) = default;
};

// Confirms a peer's descriptor first-hand (used before adopting a long-range link).
struct Ping
{
    bool isReply = false;
    friend bool operator==(const Ping &, const Ping &) = default;
};

enum class RouteKind : std::uint8_t
{
    Lookup = 0,
    Join = 1,
    Range = 2
};

// Greedy routing towards target; origin learns the outcome from RouteDone.
struct Route
{
    std::uint64_t queryId = 0;
    RouteKind kind = RouteKind::Lookup;
    Descriptor origin;
    Point target {};
    Region region; // Range only
    std::uint32_t hops = 0;
    friend bool operator==(const Route &, const Route &) = default;
};

// Sent by the responsible node (the sender) to the origin of a route. For a join it carries the
// responsible node's neighbours and a peer sample, the joiner's first candidates.
struct RouteDone
{
    std::uint64_t queryId = 0;
    RouteKind kind = RouteKind::Lookup;
    std::uint32_t hops = 0;
    std::vector<Descriptor> neighbours;
    std::vector<Descriptor> sample;
    friend bool operator==(const RouteDone &, const RouteDone &) = default;
};

// Range query flood among the nodes whose cells may intersect the region.
struct RangeFlood
{
    std::uint64_t queryId = 0;
    Descriptor origin;
    Region region;
    std::uint32_t hops = 0;
    friend bool operator==(const RangeFlood &, const RangeFlood &) = default;
};

// "I (the sender) am inside the region of your query."
struct RangeHit
{
    std::uint64_t queryId = 0;
    std::uint32_t hops = 0;
    friend bool operator==(const RangeHit &, const RangeHit &) = default;
};

// Polite departure; the list helps the receivers repair their cells.
struct Leave
{
    std::vector<Descriptor> neighbours;
    friend bool operator==(const Leave &, const Leave &) = default;
};

using Body = std::variant<Hello, Shuffle, Ping, Route, RouteDone, RangeFlood, RangeHit, Leave>;
inline constexpr int kMessageTypes = int(std::variant_size_v<Body>);
const char *messageTypeName(int index);

struct Message
{
    Descriptor sender;
    Body body;
    friend bool operator==(const Message &, const Message &) = default;
};

inline constexpr int kProtocolVersion = 1;

// Limits a receiver enforces; anything beyond them is rejected as a whole.
struct Limits
{
    int maxListEntries = 64;
    std::uint32_t maxHops = 1024;
};

enum class Rejection : std::uint8_t
{
    None = 0,
    BadSender, // sender descriptor invalid or not the transport-level peer
    BadDescriptor, // NaN/inf/out-of-space coordinates or id 0 in a list
    OversizedList, // more entries than Limits::maxListEntries
    BadRoute, // invalid target/region or hop count beyond the limit
    Malformed, // CBOR that does not decode to a message
};
const char *rejectionName(Rejection r);

bool validDescriptor(const Descriptor &d, const Space &space);
// Full structural check of a decoded (or simulated) message from transport peer `from`.
Rejection validateMessage(const Message &m, PeerId from, const Space &space, const Limits &limits);

// CBOR: a map {0: protocol version, 1: type index, 2: sender, 3: body fields...}.
QByteArray encodeMessage(const Message &m);
// Decodes strictly (types, sizes up to hardLimit entries per list); nullopt on any problem.
std::optional<Message> decodeMessage(
    const QByteArray &bytes, QString *error = nullptr, int hardListLimit = 4096);

} // namespace metatopia::raynet
