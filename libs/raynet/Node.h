// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

// RayNet: the Solipsis peer-to-peer overlay (Beaumont, Kermarrec, Rivière, "Peer to peer
// multidimensional overlays: approximating complex structures", OPODIS 2007), written from the
// paper's description. Sims use it to find the sims of adjacent regions without a central
// directory: every node sits at a point of a d-dimensional attribute space and keeps
//  (a) close neighbours approximating its Voronoi neighbours: the node casts Monte-Carlo rays
//      from its position; a ray stops at the nearest bisector hyperplane between the node and a
//      candidate, so the rays' lengths estimate the Voronoi cell's volume. Dropping a candidate
//      that stops no ray leaves the estimate unchanged, so the greedy minimum-volume candidate
//      set is exactly the set of candidates that stop at least one ray. Candidates come from
//      gossip with the neighbours;
//  (b) a few long-range links drawn Kleinberg-style (probability ∝ distance^-d) out of a
//      Cyclon-like peer-sampling view, by a Metropolis-Hastings chain over the view's samples.
// Greedy routing forwards a message to the known node closest to its target; a node with no
// closer neighbour is responsible for the target (it is the closest node when the neighbour sets
// contain the Delaunay neighbours). Range queries, join, polite leave, crash repair and moving
// nodes are built on top.
//
// Node is the transport-independent protocol core: feed it received messages, send failures and
// periodic ticks; it queues outgoing messages in an outbox that the owner (the in-process
// Simulator or a network transport) drains. It never reads a clock and draws all randomness from
// its seed.

#include "raynet/Geometry.h"
#include "raynet/Messages.h"
#include "raynet/Random.h"

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <vector>

namespace metatopia::raynet {

struct NodeConfig
{
    Space space;
    Limits limits;
    int raysPerEstimate = 64; // random rays per cell estimate (plus one ray per candidate)
    int neighbourPatience = 16; // estimates a neighbour may stop no ray before it is dropped
    int viewSize = 12; // peer-sampling view
    int shuffleLength = 5;
    int longLinks = 4;
    int probesPerEstimate = 8; // unconfirmed candidates introduced to per estimate
    int probeTimeoutTicks = 3;
    double cellRadiusMargin = 1.5; // range floods forward while the region is this close
    int joinRetryTicks = 6;
    std::size_t rangeMemory = 512; // range query ids remembered for duplicate suppression
};

struct Envelope
{
    PeerId to = 0;
    Message message;
};

struct LookupResult
{
    std::uint64_t queryId = 0;
    Point target {};
    Descriptor responsible;
    std::uint32_t hops = 0;
};

class Node
{
public:
    struct Neighbour
    {
        Descriptor descriptor;
        int missed = 0; // consecutive estimates in which it stopped no ray
        bool mutual = false; // the peer's last gossip listed us as its neighbour
    };
    struct Stats
    {
        std::uint64_t rejectedMessages = 0;
        std::uint64_t rejectedDescriptors = 0; // inconsistent first-hand claims, stale versions
        std::uint64_t blacklisted = 0;
        std::uint64_t estimates = 0;
        std::uint64_t probesSent = 0;
        Rejection lastRejection = Rejection::None;
    };

    Node(const NodeConfig &config, PeerId id, const Point &coords, std::uint64_t seed);

    PeerId id() const { return m_self.id; }
    const Descriptor &descriptor() const { return m_self; }
    const NodeConfig &config() const { return m_config; }
    bool joined() const { return m_joined; }

    // The first node of an overlay is joined on its own.
    void bootstrapAlone();
    // Routes a join towards our own coordinates through contact (learned out of band).
    void join(const Descriptor &contact);
    // Polite leave: tells the neighbours, who repair from the list we hand them.
    void leave();
    // Attribute change: local repair for small moves, leave + re-join for large ones.
    void moveTo(const Point &coords);

    // Greedy lookup of the node responsible for target; the result arrives via onLookupDone.
    std::uint64_t lookup(const Point &target);
    // All nodes inside region; each one reports through onRangeHit.
    std::uint64_t rangeQuery(const Region &region);

    void tick();
    // from: the peer the transport authenticated as the sender.
    void receive(PeerId from, const Message &message);
    // The transport could not deliver message to `to` (peer crashed or unreachable).
    void sendFailed(PeerId to, const Message &message);
    std::vector<Envelope> takeOutbox();

    std::function<void(const LookupResult &)> onLookupDone;
    std::function<void(std::uint64_t queryId, const Descriptor &node)> onRangeHit;

    const std::map<PeerId, Neighbour> &neighbours() const { return m_neighbours; }
    std::vector<Descriptor> longLinks() const;
    std::vector<Descriptor> view() const;
    // Monte-Carlo estimate of the Voronoi cell volume from the last estimate, and the longest ray.
    double cellVolume() const { return m_cellVolume; }
    double cellRadius() const { return m_cellRadius; }
    const Stats &stats() const { return m_stats; }
    bool isBlacklisted(PeerId id) const { return m_blacklist.count(id) != 0; }
    // A join whose contact failed waits for the owner to call join() with a fresh contact.
    bool waitingForContact() const { return !m_joined && !m_left && !m_contact; }
    bool hasLeft() const { return m_left; }

    // The known node closest to target (neighbours and long links), or nullopt if we are closer
    // than all of them: the greedy routing step.
    std::optional<Descriptor> nextHop(const Point &target, PeerId exclude = 0) const;

private:
    struct Candidate
    {
        Descriptor d;
        Point delta {}; // d.coords - own coords
        double dist2 = 0.0;
        double halfDist = 0.0;
        bool confirmed = false;
    };
    struct ViewEntry
    {
        Descriptor d;
        std::uint32_t age = 0;
    };

    void send(PeerId to, Body body);
    bool acceptSender(const Descriptor &sender);
    void updateConfirmed(const Descriptor &d);
    void forget(PeerId id);
    const Descriptor *confirmedCopy(PeerId id) const;
    void repairAround(const Point &lost);
    void estimateCell(
        const std::vector<Descriptor> &confirmed, const std::vector<Descriptor> &hints);
    bool bringsNews(const Descriptor &sender, const std::vector<Descriptor> &hints) const;
    // What a ray needs of a candidate, packed in distance order: the ray scan is the simulator's
    // hot loop, and the full Candidate is twice the size.
    struct RayCandidate
    {
        double halfDist = 0.0;
        double dist2 = 0.0;
        Point delta {};
        bool confirmed = false;
    };
    void castRay(const Point &dir, const std::vector<RayCandidate> &cands, double &bestConfirmed,
        int &stopConfirmed, int &stopAny) const;
    void sendJoinRoute();
    std::vector<Descriptor> neighbourList() const;
    void probe(const Descriptor &d);
    void forwardRoute(Route route);
    void handleRoute(const Route &route);
    void handleRouteDone(const Descriptor &sender, const RouteDone &done);
    void handleRangeFlood(PeerId from, const RangeFlood &flood);
    void handleShuffle(const Descriptor &sender, const Shuffle &shuffle);
    void mergeView(const std::vector<Descriptor> &entries, const std::set<PeerId> &replaceable);
    void shuffleTick();
    void longLinkTick();
    void startRange(const Route &route);
    double linkWeight(const Point &p) const;

    NodeConfig m_config;
    Descriptor m_self;
    Rng m_rng;
    bool m_joined = false;
    bool m_left = false;
    std::optional<Descriptor> m_contact;
    std::uint64_t m_joinQuery = 0;
    int m_joinWait = 0;
    std::uint64_t m_ticks = 0;
    std::uint64_t m_nextQuery = 1;

    std::map<PeerId, Neighbour> m_neighbours;
    std::vector<std::optional<Descriptor>> m_longLinks;
    std::map<PeerId, int> m_pendingLongLinks; // probed candidate -> slot
    std::vector<ViewEntry> m_view;
    std::set<PeerId> m_lastShuffleSent;
    std::map<PeerId, int> m_pendingProbes; // id -> ticks left
    std::map<std::uint64_t, Point> m_pendingLookups; // lookups we started, by query id
    std::set<PeerId> m_blacklist;
    std::set<std::pair<PeerId, std::uint64_t>> m_seenRanges;
    std::deque<std::pair<PeerId, std::uint64_t>> m_seenOrder;
    PeerId m_gossipCursor = 0;
    double m_cellVolume = 0.0;
    double m_cellRadius = 0.0;
    Stats m_stats;
    std::vector<Envelope> m_outbox;
    // (id, version) of the candidates evaluated since the neighbour set last changed (sorted,
    // bounded): gossip that brings nothing else is not worth another estimate.
    // Each entry is (id, version, fingerprint of the coordinates): a forged position under a
    // real id and version must not make the true one look already evaluated.
    struct Evaluated
    {
        PeerId id;
        std::uint32_t version;
        std::uint32_t fingerprint;
        friend auto operator<=>(const Evaluated &, const Evaluated &) = default;
    };
    std::vector<Evaluated> m_lastEvaluated;
};

} // namespace metatopia::raynet
