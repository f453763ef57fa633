// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "raynet/Simulator.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace metatopia::raynet {

double LookupStats::meanHops() const
{
    if (hops.empty())
        return 0.0;
    double s = 0.0;
    for (auto h : hops)
        s += h;
    return s / double(hops.size());
}

std::uint32_t LookupStats::percentileHops(double p) const
{
    if (hops.empty())
        return 0;
    std::vector<std::uint32_t> sorted = hops;
    std::sort(sorted.begin(), sorted.end());
    const auto rank = std::size_t(std::ceil(p / 100.0 * double(sorted.size())));
    return sorted[std::min(sorted.size() - 1, rank == 0 ? 0 : rank - 1)];
}

struct Simulator::SimNode
{
    std::unique_ptr<Node> node;
    bool alive = false;
    bool liar = false;
    bool tracked = false;
    double startedAt = 0.0;
};

struct Simulator::Event
{
    enum class Kind : std::uint8_t
    {
        Deliver,
        Fail,
        Tick,
        Join,
        Churn,
        Lookup
    };
    double time = 0.0;
    std::uint64_t seq = 0;
    Kind kind = Kind::Tick;
    PeerId to = 0;
    PeerId from = 0;
    Message message;
    Point point {};
};

namespace {
// Heap order: earliest time first, then scheduling order (deterministic ties).
struct Later
{
    template<typename E> bool operator()(const E &a, const E &b) const
    {
        return a.time != b.time ? a.time > b.time : a.seq > b.seq;
    }
};
} // namespace

Simulator::Simulator(const SimConfig &config)
    : m_config(config)
    , m_rng(mixSeed(config.seed, 0x53494dULL))
{ }

Simulator::~Simulator() = default;

Point Simulator::randomPoint()
{
    const Space &s = m_config.node.space;
    Point p {};
    for (int i = 0; i < s.dimensions; ++i)
        p[std::size_t(i)] = m_rng.uniform(s.lo, s.hi);
    return p;
}

void Simulator::schedule(double at, Event ev)
{
    ev.time = at;
    ev.seq = m_seq++;
    m_queue.push_back(std::move(ev));
    std::push_heap(m_queue.begin(), m_queue.end(), Later {});
}

Node *Simulator::node(PeerId id)
{
    return id >= 1 && id <= m_nodes.size() ? m_nodes[id - 1].node.get() : nullptr;
}

const Node *Simulator::node(PeerId id) const
{
    return id >= 1 && id <= m_nodes.size() ? m_nodes[id - 1].node.get() : nullptr;
}

bool Simulator::alive(PeerId id) const
{
    return id >= 1 && id <= m_nodes.size() && m_nodes[id - 1].alive;
}

bool Simulator::tracked(PeerId id) const
{
    if (id < 1 || id > m_nodes.size())
        return false;
    const SimNode &sn = m_nodes[id - 1];
    return sn.tracked && sn.alive && m_now - sn.startedAt <= m_trackWindow;
}

bool Simulator::isLiar(PeerId id) const
{
    return id >= 1 && id <= m_nodes.size() && m_nodes[id - 1].liar;
}

PeerId Simulator::addNode(const Point &coords, double at, bool liar)
{
    const PeerId id = m_nodes.size() + 1;
    SimNode sn;
    sn.node = std::make_unique<Node>(m_config.node, id, coords, m_config.seed);
    sn.liar = liar;
    sn.tracked = m_trackJoins;
    m_trackedJoins += m_trackJoins ? 1 : 0;
    m_liars += liar ? 1 : 0;
    sn.node->onLookupDone = [this](const LookupResult &r) {
        if (!m_activeLookups)
            return;
        ++m_activeLookups->completed;
        m_activeLookups->hops.push_back(r.hops);
        const PeerId expected = trueClosest(r.target);
        if (r.responsible.id == expected
            || (m_liars > 0 && r.responsible.id == trueClosest(r.target, true)))
            ++m_activeLookups->correct;
        else if (m_activeLookups->misses.size() < 100)
            m_activeLookups->misses.push_back({ r.target, r.responsible.id, expected });
    };
    sn.node->onRangeHit = [this, id](std::uint64_t q, const Descriptor &d) {
        m_rangeHits[{ id, q }].push_back(d.id);
    };
    m_nodes.push_back(std::move(sn));
    Event ev;
    ev.kind = Event::Kind::Join;
    ev.to = id;
    schedule(std::max(at, m_now), std::move(ev));
    return id;
}

void Simulator::populate(std::size_t n, double span, double liarFraction)
{
    for (std::size_t i = 0; i < n; ++i) {
        const Point p = randomPoint();
        const bool liar = i > 0 && m_rng.chance(liarFraction);
        addNode(p, m_now + span * double(i) / double(std::max<std::size_t>(1, n)), liar);
    }
}

PeerId Simulator::randomJoined()
{
    // m_live holds alive nodes (joined or joining); prefer joined ones.
    std::vector<PeerId> live;
    for (int attempt = 0; attempt < 32 && m_alive > 0; ++attempt) {
        std::size_t k = 0;
        PeerId pick = 0;
        // Reservoir over the alive list would be O(N); sample ids instead.
        k = std::size_t(m_rng.below(m_nodes.size()));
        pick = PeerId(k + 1);
        if (alive(pick) && m_nodes[k].node->joined())
            return pick;
    }
    for (std::size_t k = 0; k < m_nodes.size(); ++k)
        if (m_nodes[k].alive && m_nodes[k].node->joined())
            return PeerId(k + 1);
    return 0;
}

void Simulator::crash(PeerId id)
{
    if (!alive(id))
        return;
    m_nodes[id - 1].alive = false;
    m_nodes[id - 1].node.reset();
    --m_alive;
}

void Simulator::leave(PeerId id)
{
    if (!alive(id))
        return;
    m_nodes[id - 1].node->leave();
    flush(id);
    m_nodes[id - 1].alive = false;
    --m_alive;
}

void Simulator::move(PeerId id, const Point &coords)
{
    if (!alive(id))
        return;
    m_nodes[id - 1].node->moveTo(coords);
    flush(id);
}

void Simulator::scheduleChurn(double fractionPerMinute, double duration)
{
    const auto events
        = std::size_t(std::llround(fractionPerMinute * double(m_alive) * duration / 60.0));
    for (std::size_t i = 0; i < events; ++i) {
        Event ev;
        ev.kind = Event::Kind::Churn;
        ev.point = randomPoint();
        schedule(m_now + duration * (double(i) + 0.5) / double(events), std::move(ev));
    }
}

void Simulator::flush(PeerId id)
{
    SimNode &sn = m_nodes[id - 1];
    if (!sn.node)
        return;
    for (Envelope &env : sn.node->takeOutbox()) {
        ++m_messages;
        ++m_byType[env.message.body.index()];
        if (m_trackedJoins > 0) {
            const auto *route = std::get_if<Route>(&env.message.body);
            if (tracked(id) || tracked(env.to)
                || (route && route->kind == RouteKind::Join && tracked(route->origin.id)))
                ++m_trackedMessages;
        }
        if (sn.liar)
            corrupt(id, env);
        Event ev;
        ev.kind = Event::Kind::Deliver;
        ev.to = env.to;
        ev.from = id;
        ev.message = std::move(env.message);
        schedule(m_now + m_rng.uniform(m_config.minLatency, m_config.maxLatency), std::move(ev));
    }
}

void Simulator::corrupt(PeerId liar, Envelope &env)
{
    // Lying nodes route and answer lookups honestly but poison everything they gossip (neighbour
    // lists, views, the lists handed to joiners), in the ways an attacker could without forging
    // other nodes' first-hand messages.
    std::vector<Descriptor> *list = nullptr;
    std::visit(
        [&](auto &b) {
            using T = std::decay_t<decltype(b)>;
            if constexpr (std::is_same_v<T, Hello> || std::is_same_v<T, Leave>)
                list = &b.neighbours;
            else if constexpr (std::is_same_v<T, Shuffle>)
                list = &b.entries;
            else if constexpr (std::is_same_v<T, RouteDone>)
                list = b.kind == RouteKind::Join ? &b.neighbours : nullptr;
        },
        env.message.body);
    if (!list || !m_rng.chance(0.8))
        return;
    const Space &s = m_config.node.space;
    const Node *victim = node(env.to);
    const Point near = victim ? victim->descriptor().coords : randomPoint();
    auto nearVictim = [&] {
        Point p = near;
        for (int i = 0; i < s.dimensions; ++i)
            p[std::size_t(i)]
                = std::clamp(p[std::size_t(i)] + m_rng.uniform(-1e-3, 1e-3), s.lo, s.hi);
        return p;
    };
    switch (m_rng.below(5)) {
    case 0: { // non-finite or out-of-space coordinates
        Descriptor d { PeerId(m_rng.below(m_nodes.size()) + 1), 1, near };
        const double bad[] = { NAN, INFINITY, -INFINITY, s.hi + 1.0, s.lo - 1e6 };
        d.coords[std::size_t(m_rng.below(std::size_t(s.dimensions)))] = bad[m_rng.below(5)];
        list->push_back(d);
        break;
    }
    case 1: // huge view
        for (int i = 0; i < 4 * m_config.node.limits.maxListEntries; ++i)
            list->push_back({ PeerId(m_rng.below(m_nodes.size()) + 1), 1, randomPoint() });
        break;
    case 2: // real nodes claimed to sit right next to the receiver (same version)
        for (Descriptor &d : *list)
            d.coords = nearVictim();
        break;
    case 3: // ... or claimed to have moved there (newer version)
        for (Descriptor &d : *list) {
            d.coords = nearVictim();
            ++d.version;
        }
        break;
    case 4: // phantoms next to the receiver
        for (int i = 0; i < 6; ++i)
            list->push_back({ PeerId((1ULL << 40) + m_rng.below(1ULL << 40)), 1, nearVictim() });
        break;
    }
    (void)liar;
}

void Simulator::process(Event &ev)
{
    ++m_events;
    switch (ev.kind) {
    case Event::Kind::Deliver: {
        if (!alive(ev.to)) {
            ++m_failures;
            if (alive(ev.from)) {
                Event fail;
                fail.kind = Event::Kind::Fail;
                fail.to = ev.from;
                fail.from = ev.to;
                fail.message = std::move(ev.message);
                schedule(m_now + m_rng.uniform(m_config.minLatency, m_config.maxLatency),
                    std::move(fail));
            }
            return;
        }
        m_nodes[ev.to - 1].node->receive(ev.from, ev.message);
        flush(ev.to);
        return;
    }
    case Event::Kind::Fail:
        if (!alive(ev.to))
            return;
        m_nodes[ev.to - 1].node->sendFailed(ev.from, ev.message);
        flush(ev.to);
        return;
    case Event::Kind::Tick: {
        if (!alive(ev.to))
            return;
        Node &n = *m_nodes[ev.to - 1].node;
        if (n.hasLeft())
            return;
        n.tick();
        if (n.waitingForContact()) {
            if (const PeerId c = randomJoined(); c && c != ev.to)
                n.join(node(c)->descriptor());
        }
        flush(ev.to);
        Event next;
        next.kind = Event::Kind::Tick;
        next.to = ev.to;
        schedule(m_now + m_config.tickPeriod, std::move(next));
        return;
    }
    case Event::Kind::Join: {
        SimNode &sn = m_nodes[ev.to - 1];
        const PeerId contact = randomJoined();
        sn.alive = true;
        sn.startedAt = m_now;
        ++m_alive;
        if (contact)
            sn.node->join(node(contact)->descriptor());
        else
            sn.node->bootstrapAlone();
        flush(ev.to);
        Event tick;
        tick.kind = Event::Kind::Tick;
        tick.to = ev.to;
        schedule(m_now + m_rng.uniform(0.0, m_config.tickPeriod), std::move(tick));
        return;
    }
    case Event::Kind::Churn: {
        // Crash a random honest joined node and let a newcomer join in its stead.
        if (const PeerId victim = randomJoined(); victim && !isLiar(victim))
            crash(victim);
        addNode(ev.point, m_now);
        return;
    }
    case Event::Kind::Lookup: {
        PeerId from = randomJoined();
        for (int i = 0; i < 16 && from && isLiar(from); ++i)
            from = randomJoined();
        if (!from || !m_activeLookups)
            return;
        ++m_activeLookups->issued;
        m_nodes[from - 1].node->lookup(ev.point);
        flush(from);
        return;
    }
    }
}

void Simulator::runUntil(double time)
{
    while (!m_queue.empty() && m_queue.front().time <= time) {
        std::pop_heap(m_queue.begin(), m_queue.end(), Later {});
        Event ev = std::move(m_queue.back());
        m_queue.pop_back();
        m_now = ev.time;
        process(ev);
    }
    m_now = std::max(m_now, time);
}

LookupStats Simulator::runLookups(std::size_t count, double span)
{
    LookupStats stats;
    m_activeLookups = &stats;
    const double start = m_now;
    for (std::size_t i = 0; i < count; ++i) {
        Event ev;
        ev.kind = Event::Kind::Lookup;
        ev.point = randomPoint();
        schedule(start + span * double(i) / double(std::max<std::size_t>(1, count)), std::move(ev));
    }
    // Run in small steps and stop as soon as every lookup has been answered.
    const double deadline = start + span + 20.0;
    runUntil(start + span);
    while (m_now < deadline && stats.completed < stats.issued)
        runUntil(m_now + 0.1);
    m_activeLookups = nullptr;
    return stats;
}

std::vector<PeerId> Simulator::rangeQuery(PeerId from, const Region &region, double settle)
{
    if (!alive(from))
        return {};
    const std::uint64_t q = m_nodes[from - 1].node->rangeQuery(region);
    flush(from);
    runFor(settle);
    std::vector<PeerId> hits = m_rangeHits[{ from, q }];
    m_rangeHits.erase({ from, q });
    std::sort(hits.begin(), hits.end());
    hits.erase(std::unique(hits.begin(), hits.end()), hits.end());
    return hits;
}

PeerId Simulator::trueClosest(const Point &p, bool honestOnly) const
{
    PeerId best = 0;
    double bestD = INFINITY;
    for (std::size_t k = 0; k < m_nodes.size(); ++k) {
        const SimNode &sn = m_nodes[k];
        if (!sn.alive || !sn.node->joined() || (honestOnly && sn.liar))
            continue;
        const double d = distanceSquared(sn.node->descriptor().coords, p);
        if (d < bestD) {
            bestD = d;
            best = PeerId(k + 1);
        }
    }
    return best;
}

std::vector<PeerId> Simulator::nodesIn(const Region &region) const
{
    std::vector<PeerId> out;
    for (std::size_t k = 0; k < m_nodes.size(); ++k) {
        const SimNode &sn = m_nodes[k];
        if (sn.alive && sn.node->joined() && region.contains(sn.node->descriptor().coords))
            out.push_back(PeerId(k + 1));
    }
    return out;
}

std::string Simulator::explainMiss(const LookupStats::Miss &miss) const
{
    const Node *a = node(miss.answered);
    if (!a)
        return "answering node is gone";
    const Point &pa = a->descriptor().coords;
    const double len = distance(pa, miss.target);
    Point dir {};
    for (int i = 0; i < kMaxDimensions; ++i)
        dir[std::size_t(i)]
            = len > 0 ? (miss.target[std::size_t(i)] - pa[std::size_t(i)]) / len : 0;
    double best = INFINITY;
    PeerId exit = 0;
    for (std::size_t k = 0; k < m_nodes.size(); ++k) {
        const SimNode &sn = m_nodes[k];
        if (!sn.alive || !sn.node->joined() || PeerId(k + 1) == miss.answered)
            continue;
        Point delta {};
        double dot = 0.0;
        for (int i = 0; i < kMaxDimensions; ++i) {
            delta[std::size_t(i)]
                = sn.node->descriptor().coords[std::size_t(i)] - pa[std::size_t(i)];
            dot += dir[std::size_t(i)] * delta[std::size_t(i)];
        }
        const double d2
            = delta[0] * delta[0] + delta[1] * delta[1] + delta[2] * delta[2] + delta[3] * delta[3];
        if (dot > 0 && d2 / (2 * dot) < best) {
            best = d2 / (2 * dot);
            exit = PeerId(k + 1);
        }
    }
    const Node *w = node(exit);
    char buf[512];
    std::snprintf(buf, sizeof buf,
        "answered %llu (v%u) expected %llu; exit neighbour %llu (v%u): known to answerer: "
        "%s (blacklisted: %d), answerer known to it: %s; answerer has %zu neighbours, cell radius "
        "%.4f, "
        "distance to target %.5f vs %.5f",
        (unsigned long long)miss.answered, a->descriptor().version,
        (unsigned long long)miss.expected, (unsigned long long)exit,
        w ? w->descriptor().version : 0, w ? (a->neighbours().count(exit) ? "yes" : "no") : "-",
        int(a->isBlacklisted(exit)),
        w ? (w->neighbours().count(miss.answered) ? "yes" : "no") : "-", a->neighbours().size(),
        a->cellRadius(), len, w ? distance(w->descriptor().coords, miss.target) : 0.0);
    return buf;
}

std::vector<PeerId> Simulator::liveNodes() const
{
    std::vector<PeerId> out;
    for (std::size_t k = 0; k < m_nodes.size(); ++k) {
        const SimNode &sn = m_nodes[k];
        if (sn.alive && !sn.liar && sn.node->joined())
            out.push_back(PeerId(k + 1));
    }
    return out;
}

double Simulator::meanNeighbours() const
{
    double s = 0.0;
    std::size_t n = 0;
    for (const SimNode &sn : m_nodes) {
        if (sn.alive && !sn.liar && sn.node->joined()) {
            s += double(sn.node->neighbours().size());
            ++n;
        }
    }
    return n ? s / double(n) : 0.0;
}

double Simulator::meanLongLinks() const
{
    double s = 0.0;
    std::size_t n = 0;
    for (const SimNode &sn : m_nodes) {
        if (sn.alive && !sn.liar && sn.node->joined()) {
            s += double(sn.node->longLinks().size());
            ++n;
        }
    }
    return n ? s / double(n) : 0.0;
}

} // namespace metatopia::raynet
