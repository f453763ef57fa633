// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

// PhysicsRegion: the logic of one region's physics sim, without the network (PhysicsSimHost
// wires it to sockets; tests wire two regions directly and can lose or repeat messages).
//
// Roles of a body in a region's world:
//   Owned     the region simulates it and reports about it (transforms, collisions).
//   Offering  still Owned, and offered to the neighbour its centre has moved into.
//   Ghost     a neighbour's body near the common border, refreshed from the neighbour's updates;
//             simulated so that owned bodies collide with it, never reported.
//   Incoming  a ghost the region has accepted in a hand-off and waits to be committed.
//
// Hand-off rule (exactly one owner):
// - Ownership moves only with a commit. The sender owns the body up to the moment it sends the
//   commit (after the neighbour accepted its offer); the receiver owns it from the moment it
//   processes that commit. In between the body exists only in the commit message and in the
//   sender's transit record, and nobody reports about it: never two owners; "no owner" only
//   while a commit is on its way.
// - A commit carries the body's final state, so it is enough on its own. The sender keeps its
//   transit record and sends the commit again whenever the link to that neighbour comes back,
//   until an acknowledgement arrives. The receiver remembers the commits it took and answers a
//   repeated one with the same acknowledgement, so a duplicate never creates a second body.
// - A receiver that cannot take a committed body (it owns that id itself) acknowledges with
//   taken = false and the sender owns the body again.
// - Offers, accepts, rejects and aborts change no ownership. An offer unanswered for
//   offerTimeoutTicks, or whose link goes down, is aborted: the sender keeps the body and offers
//   again later. A late accept for an aborted offer is answered with an abort. Repeated offers,
//   accepts, rejects and aborts are harmless.
// - A neighbour that dies takes its own bodies with it. Bodies offered to it stay with their
//   owner; a body committed to it waits in the transit record until it (or its restart) is back.
//
// Collisions follow the ownership rule: for a touching pair that was not touching the tick
// before, each side that the region owns gets CollisionEvent{it, other}; ghosts get nothing.

#include "physics/PhysicsMessages.h"
#include "physics/PhysicsWorld.h"

#include <deque>
#include <map>
#include <optional>
#include <set>
#include <vector>

namespace metatopia::physics {

class PhysicsRegion
{
public:
    enum class Role : std::uint8_t
    {
        Owned,
        Offering,
        Ghost,
        Incoming
    };

    struct BodyInfo
    {
        BodyDesc desc;
        BodyState state;
        Role role = Role::Owned;
        RegionCoord neighbour; // Offering: the target; Ghost/Incoming: the owner
    };

    PhysicsRegion(RegionCoord coord, const PhysicsConfig &config);

    RegionCoord coord() const { return m_coord; }
    const PhysicsConfig &config() const { return m_config; }
    std::uint64_t tick() const { return m_tick; }

    // Main sim side: applies the changes in order, then steps to request.tick (which may equal
    // tick() to apply changes only). Refused: a tick in the past or too far ahead (nothing is
    // applied). Events of hand-offs that completed since the last step come first.
    Result<StepReply> step(const StepRequest &request);

    // Neighbour side. The host says which adjacent regions it has a working link to: only those
    // get ghosts and offers. A link going down aborts offers to that neighbour and drops its
    // ghosts; a link coming back resends pending commits.
    void setNeighbourLink(RegionCoord neighbour, bool up);
    bool hasNeighbourLink(RegionCoord neighbour) const;
    // Applies a neighbour's messages at once (their replies go to the outbox). A batch from a
    // region that is not adjacent, or without a link, is ignored.
    void receive(const NeighbourBatch &batch);
    // Messages to send, one batch per neighbour it goes to; empties the outbox.
    std::map<RegionCoord, NeighbourBatch> takeOutgoing();

    std::optional<BodyInfo> body(BodyId id) const;
    std::vector<BodyId> ids(Role role) const;
    // Bodies committed to a neighbour and not yet acknowledged.
    std::vector<BodyId> inTransit() const;
    bool owns(BodyId id) const;

    PhysicsWorld &world() { return m_world; }

private:
    struct Entry
    {
        BodyDesc desc;
        Role role = Role::Owned;
        RegionCoord neighbour;
        std::uint64_t handoff = 0; // Offering: ours; Incoming: the sender's
        std::uint64_t since = 0; // tick the role began (offer timeout) or last ghost refresh
        std::uint64_t noOfferBefore = 0;
        std::uint8_t ghostedTo = 0; // bit per direction (owned bodies)
        std::uint64_t ghostSentAt = 0;
        bool reported = false;
        bool active = true; // active or moved at the last reportTransforms()
        FVec3 lastPosition;
        FQuat lastRotation;
    };
    struct Transit
    {
        BodyDesc desc;
        BodyState state;
        RegionCoord to;
    };

    static int direction(int dx, int dy);
    RegionCoord neighbourAt(int dir) const;
    FVec3 fromNeighbour(RegionCoord from, FVec3 position) const;
    void send(RegionCoord to, NeighbourMessage message);
    void applyChange(const BodyChange &change, StepReply &reply);
    void reportCollisions(StepReply &reply);
    void reportTransforms(StepReply &reply);
    void borderWork();
    void expire();
    void abortOffer(BodyId id, Entry &entry);
    void dropBody(BodyId id);
    void receiveOne(RegionCoord from, const NeighbourMessage &message);
    void rememberCommit(RegionCoord from, std::uint64_t handoff, bool taken);

    RegionCoord m_coord;
    PhysicsConfig m_config;
    PhysicsWorld m_world;
    std::uint64_t m_tick = 0;
    std::uint64_t m_nextHandoff = 1;
    std::map<BodyId, Entry> m_entries;
    std::map<std::uint64_t, Transit> m_transit; // by our handoff id
    std::set<RegionCoord> m_links;
    bool m_recheck = false; // a link came up: look at every owned body once
    std::vector<std::pair<BodyId, BodyId>> m_lastContacts;
    std::vector<PhysicsEvent> m_pendingEvents;
    std::map<RegionCoord, std::vector<NeighbourMessage>> m_outbox;
    // Commits taken or refused, per sender, to answer repeats the same way (bounded, oldest out).
    std::map<std::pair<RegionCoord, std::uint64_t>, bool> m_commits;
    std::deque<std::pair<RegionCoord, std::uint64_t>> m_commitOrder;
};

} // namespace metatopia::physics
