// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

// In-process RayNet simulator: thousands to 10^5 virtual nodes exchanging real protocol messages
// through a discrete-event queue with random latencies, gossip ticks, churn and lying nodes,
// deterministic from its seed. The simulator only plays the network: joins get a random live
// node as contact (the out-of-band bootstrap every overlay needs), crashed nodes make sends to
// them fail, and everything the nodes know comes from the protocol. The oracle functions
// (trueClosest, nodesIn) look at all nodes and exist for checking results only.

#include "raynet/Node.h"

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace metatopia::raynet {

struct SimConfig
{
    NodeConfig node;
    std::uint64_t seed = 1;
    double minLatency = 0.005; // seconds, one-way
    double maxLatency = 0.05;
    double tickPeriod = 1.0; // gossip period of every node
};

struct LookupStats
{
    std::uint64_t issued = 0;
    std::uint64_t completed = 0;
    std::uint64_t correct = 0; // reached the true closest live node (see trueClosest)
    std::vector<std::uint32_t> hops; // of completed lookups
    struct Miss
    {
        Point target {};
        PeerId answered = 0;
        PeerId expected = 0;
    };
    std::vector<Miss> misses; // completed at the wrong node (first 100)
    double successRate() const { return issued ? double(correct) / double(issued) : 0.0; }
    double meanHops() const;
    std::uint32_t percentileHops(double p) const;
};

class Simulator
{
public:
    explicit Simulator(const SimConfig &config);
    ~Simulator();

    double now() const { return m_now; }
    const SimConfig &config() const { return m_config; }
    Point randomPoint();

    // Adds a node at coords that joins at time `at` (>= now) through a random joined node.
    PeerId addNode(const Point &coords, double at, bool liar = false);
    // Adds n nodes at random positions, joining at a steady rate over `span` seconds.
    void populate(std::size_t n, double span, double liarFraction = 0.0);
    void crash(PeerId id);
    void leave(PeerId id);
    void move(PeerId id, const Point &coords);
    // Over `duration`, crashes rate*N random honest nodes per minute and adds as many new ones.
    void scheduleChurn(double fractionPerMinute, double duration);

    void runUntil(double time);
    void runFor(double seconds) { runUntil(m_now + seconds); }

    // Starts `count` lookups from random joined honest nodes to random points, spread evenly over
    // `span` seconds, runs until they are answered (+ settle time) and checks each answer with
    // the oracle at the moment it arrives.
    LookupStats runLookups(std::size_t count, double span = 0.0);
    // Range query from `from`; returns the ids reported back.
    std::vector<PeerId> rangeQuery(PeerId from, const Region &region, double settle = 5.0);

    // Oracles (tests and benchmarks only). Liars sit where they say they are and route honestly
    // (they only poison gossip) until their neighbours blacklist them, so a lookup is right when
    // it ends at the closest node, or at the closest honest node when a liar is closer.
    PeerId trueClosest(const Point &p, bool honestOnly = false) const;
    std::vector<PeerId> nodesIn(const Region &region) const;
    // Why a lookup ended at the wrong node: the neighbour across the facet that the segment from
    // the answering node to the target leaves its true Voronoi cell by, and who knows whom.
    std::string explainMiss(const LookupStats::Miss &miss) const;

    Node *node(PeerId id);
    const Node *node(PeerId id) const;
    bool alive(PeerId id) const;
    bool isLiar(PeerId id) const;
    std::vector<PeerId> liveNodes() const; // joined, alive, honest
    std::size_t liveCount() const { return m_alive; }

    // Join cost accounting: nodes added while tracking is on have every message they send or
    // receive, and the hops of their join route, counted during their first `window` seconds.
    void trackJoins(bool on, double window = 2.0)
    {
        m_trackJoins = on;
        m_trackWindow = window;
    }
    std::uint64_t trackedJoinMessages() const { return m_trackedMessages; }
    std::uint64_t trackedJoins() const { return m_trackedJoins; }

    std::uint64_t messagesSent() const { return m_messages; }
    const std::array<std::uint64_t, kMessageTypes> &messagesByType() const { return m_byType; }
    std::uint64_t deliveryFailures() const { return m_failures; }
    std::uint64_t eventsProcessed() const { return m_events; }
    // Mean number of Voronoi neighbours and long links over live honest nodes.
    double meanNeighbours() const;
    double meanLongLinks() const;

private:
    struct SimNode;
    struct Event;
    void schedule(double at, Event ev);
    void flush(PeerId id);
    void corrupt(PeerId liar, Envelope &env);
    PeerId randomJoined();
    void process(Event &ev);

    SimConfig m_config;
    Rng m_rng;
    double m_now = 0.0;
    std::uint64_t m_seq = 0;
    std::vector<SimNode> m_nodes; // index = id - 1
    std::vector<Event> m_queue; // binary heap
    std::size_t m_alive = 0;
    std::size_t m_liars = 0;
    bool m_trackJoins = false;
    double m_trackWindow = 2.0;
    std::uint64_t m_trackedMessages = 0;
    std::uint64_t m_trackedJoins = 0;
    bool tracked(PeerId id) const;
    std::uint64_t m_messages = 0;
    std::array<std::uint64_t, kMessageTypes> m_byType {};
    std::uint64_t m_failures = 0;
    std::uint64_t m_events = 0;
    LookupStats *m_activeLookups = nullptr;
    std::map<std::pair<PeerId, std::uint64_t>, std::vector<PeerId>> m_rangeHits;
};

} // namespace metatopia::raynet
