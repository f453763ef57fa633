// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "raynet/Node.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace metatopia::raynet {

namespace {

// Random unit directions, one fixed pool per dimension count. Each estimate draws its rays from
// the pool (cheap: one random number per ray instead of d normals and a square root); over many
// estimates a node sees all of the pool's directions.
constexpr int kDirectionPool = 8192;

const std::vector<Point> &directionPool(int dims)
{
    static const std::array<std::vector<Point>, kMaxDimensions + 1> pools = [] {
        std::array<std::vector<Point>, kMaxDimensions + 1> all;
        for (int d = 1; d <= kMaxDimensions; ++d) {
            Rng rng(mixSeed(0x5241594e4554ULL, std::uint64_t(d)));
            all[std::size_t(d)].reserve(kDirectionPool);
            while (all[std::size_t(d)].size() < std::size_t(kDirectionPool)) {
                Point p {};
                double n2 = 0.0;
                for (int i = 0; i < d; ++i) {
                    p[std::size_t(i)] = rng.normal();
                    n2 += p[std::size_t(i)] * p[std::size_t(i)];
                }
                if (n2 < 1e-12)
                    continue;
                const double inv = 1.0 / std::sqrt(n2);
                for (int i = 0; i < d; ++i)
                    p[std::size_t(i)] *= inv;
                all[std::size_t(d)].push_back(p);
            }
        }
        return all;
    }();
    return pools[std::size_t(dims)];
}

std::uint32_t fingerprint(const Point &p)
{
    std::uint64_t h = 0;
    for (double v : p) {
        std::uint64_t bits = 0;
        std::memcpy(&bits, &v, sizeof bits);
        h = mixSeed(h, bits);
    }
    return std::uint32_t(h);
}

} // namespace

Node::Node(const NodeConfig &config, PeerId id, const Point &coords, std::uint64_t seed)
    : m_config(config)
    , m_self { id, 1, coords }
    , m_rng(mixSeed(seed, id))
    , m_longLinks(std::size_t(std::max(0, config.longLinks)))
{ }

void Node::bootstrapAlone()
{
    m_joined = true;
    m_contact.reset();
    estimateCell({}, {});
}

void Node::join(const Descriptor &contact)
{
    if (m_left)
        return;
    m_contact = contact;
    sendJoinRoute();
}

void Node::sendJoinRoute()
{
    m_joinWait = 0;
    m_joinQuery = m_nextQuery++;
    Route r;
    r.queryId = m_joinQuery;
    r.kind = RouteKind::Join;
    r.origin = m_self;
    r.target = m_self.coords;
    r.hops = 1;
    send(m_contact->id, std::move(r));
}

void Node::leave()
{
    if (m_left)
        return;
    const std::vector<Descriptor> list = neighbourList();
    for (const auto &[id, n] : m_neighbours)
        send(id, Leave { list });
    m_left = true;
    m_joined = false;
    m_neighbours.clear();
    for (auto &l : m_longLinks)
        l.reset();
    m_view.clear();
    m_pendingProbes.clear();
    m_pendingLongLinks.clear();
}

void Node::moveTo(const Point &coords)
{
    if (m_left || !m_config.space.contains(coords))
        return;
    const Point old = m_self.coords;
    m_self.coords = coords;
    ++m_self.version;
    m_lastEvaluated.clear();
    if (!m_joined)
        return;
    if (distance(old, coords) > 2.0 * m_cellRadius) {
        // Far move: our old neighbours are useless. Leave them and join again through the known
        // node closest to the new position.
        std::optional<Descriptor> contact;
        double best = INFINITY;
        auto consider = [&](const Descriptor &d) {
            const double d2 = distanceSquared(d.coords, coords);
            if (d2 < best) {
                best = d2;
                contact = d;
            }
        };
        for (const auto &[id, n] : m_neighbours)
            consider(n.descriptor);
        for (const auto &l : m_longLinks)
            if (l)
                consider(*l);
        const std::vector<Descriptor> list = neighbourList();
        for (const auto &[id, n] : m_neighbours)
            send(id, Leave { list });
        m_neighbours.clear();
        m_joined = false;
        if (contact) {
            m_contact = contact;
            sendJoinRoute();
        } else {
            bootstrapAlone();
        }
        return;
    }
    // Small move: re-estimate the cell from the current neighbours and tell them.
    estimateCell({}, {});
    const std::vector<Descriptor> list = neighbourList();
    for (const auto &[id, n] : m_neighbours)
        send(id, Hello { list, true });
}

std::uint64_t Node::lookup(const Point &target)
{
    const std::uint64_t q = m_nextQuery++;
    if (m_pendingLookups.size() >= 4096)
        m_pendingLookups.erase(m_pendingLookups.begin());
    m_pendingLookups[q] = target;
    Route r;
    r.queryId = q;
    r.kind = RouteKind::Lookup;
    r.origin = m_self;
    r.target = target;
    handleRoute(r);
    return q;
}

std::uint64_t Node::rangeQuery(const Region &region)
{
    const std::uint64_t q = m_nextQuery++;
    Route r;
    r.queryId = q;
    r.kind = RouteKind::Range;
    r.origin = m_self;
    r.target = region.anchor();
    r.region = region;
    handleRoute(r);
    return q;
}

std::vector<Envelope> Node::takeOutbox()
{
    std::vector<Envelope> out;
    out.swap(m_outbox);
    return out;
}

void Node::send(PeerId to, Body body)
{
    m_outbox.push_back({ to, Message { m_self, std::move(body) } });
}

std::vector<Descriptor> Node::longLinks() const
{
    std::vector<Descriptor> out;
    for (const auto &l : m_longLinks)
        if (l)
            out.push_back(*l);
    return out;
}

std::vector<Descriptor> Node::view() const
{
    std::vector<Descriptor> out;
    for (const ViewEntry &e : m_view)
        out.push_back(e.d);
    return out;
}

std::vector<Descriptor> Node::neighbourList() const
{
    std::vector<Descriptor> out;
    out.reserve(m_neighbours.size());
    for (const auto &[id, n] : m_neighbours)
        if (n.missed <= m_config.neighbourPatience)
            out.push_back(n.descriptor);
    const std::size_t cap = std::size_t(m_config.limits.maxListEntries);
    if (out.size() > cap) {
        // Keep the closest: they are the ones a receiver near us can use.
        std::sort(out.begin(), out.end(), [&](const Descriptor &a, const Descriptor &b) {
            const double da = distanceSquared(a.coords, m_self.coords);
            const double db = distanceSquared(b.coords, m_self.coords);
            return da != db ? da < db : a.id < b.id;
        });
        out.resize(cap);
    }
    return out;
}

const Descriptor *Node::confirmedCopy(PeerId id) const
{
    if (auto it = m_neighbours.find(id); it != m_neighbours.end())
        return &it->second.descriptor;
    for (const auto &l : m_longLinks)
        if (l && l->id == id)
            return &*l;
    return nullptr;
}

bool Node::acceptSender(const Descriptor &sender)
{
    if (m_blacklist.count(sender.id))
        return false;
    if (const Descriptor *known = confirmedCopy(sender.id)) {
        if (sender.version < known->version) {
            ++m_stats.rejectedDescriptors; // replayed or reordered old claim
            return false;
        }
        if (sender.version == known->version && sender.coords != known->coords) {
            // Two different first-hand positions under one version: the peer lies about where
            // it is (to us or to others). Stop using it altogether.
            ++m_stats.rejectedDescriptors;
            ++m_stats.blacklisted;
            m_blacklist.insert(sender.id);
            forget(sender.id);
            return false;
        }
        if (sender.version > known->version)
            updateConfirmed(sender);
    }
    return true;
}

void Node::updateConfirmed(const Descriptor &d)
{
    if (auto it = m_neighbours.find(d.id); it != m_neighbours.end()) {
        it->second.descriptor = d;
        m_lastEvaluated.clear(); // a neighbour moved: our cell changed shape
    }
    for (auto &l : m_longLinks)
        if (l && l->id == d.id)
            *l = d;
}

void Node::forget(PeerId id)
{
    if (m_neighbours.erase(id))
        m_lastEvaluated.clear(); // our cell grew: rejected candidates may border it now
    for (auto &l : m_longLinks)
        if (l && l->id == id)
            l.reset();
    std::erase_if(m_view, [id](const ViewEntry &e) { return e.d.id == id; });
    m_pendingProbes.erase(id);
    m_pendingLongLinks.erase(id);
}

void Node::receive(PeerId from, const Message &message)
{
    if (m_left)
        return;
    const Rejection r = validateMessage(message, from, m_config.space, m_config.limits);
    if (r != Rejection::None) {
        ++m_stats.rejectedMessages;
        m_stats.lastRejection = r;
        return;
    }
    const Descriptor &sender = message.sender;
    if (sender.id == m_self.id || !acceptSender(sender))
        return;
    m_pendingProbes.erase(sender.id);

    std::visit(
        [&](const auto &b) {
            using T = std::decay_t<decltype(b)>;
            if constexpr (std::is_same_v<T, Hello>) {
                if (bringsNews(sender, b.neighbours))
                    estimateCell({ sender }, b.neighbours);
                // Voronoi adjacency is symmetric: a peer whose rays found a facet with us is our
                // neighbour even when our own rays missed that (small) facet.
                // Only what the peer's own rays found is advertised, so two nodes cannot keep
                // each other alive through this rule alone.
                const bool listsUs = std::any_of(b.neighbours.begin(), b.neighbours.end(),
                    [&](const Descriptor &d) { return d.id == m_self.id; });
                if (auto it = m_neighbours.find(sender.id); it != m_neighbours.end()) {
                    it->second.mutual = listsUs;
                    if (!listsUs && it->second.missed > m_config.neighbourPatience)
                        m_neighbours.erase(it);
                } else if (listsUs) {
                    m_neighbours.emplace(
                        sender.id, Neighbour { sender, m_config.neighbourPatience + 1, true });
                    m_lastEvaluated.clear();
                }
                if (b.wantReply)
                    send(sender.id, Hello { neighbourList(), false });
            } else if constexpr (std::is_same_v<T, Shuffle>) {
                handleShuffle(sender, b);
            } else if constexpr (std::is_same_v<T, Ping>) {
                if (!b.isReply) {
                    send(sender.id, Ping { true });
                } else if (auto it = m_pendingLongLinks.find(sender.id);
                           it != m_pendingLongLinks.end()) {
                    const int slot = it->second;
                    m_pendingLongLinks.erase(it);
                    if (std::size_t(slot) < m_longLinks.size())
                        m_longLinks[std::size_t(slot)] = sender;
                }
            } else if constexpr (std::is_same_v<T, Route>) {
                handleRoute(b);
            } else if constexpr (std::is_same_v<T, RouteDone>) {
                handleRouteDone(sender, b);
            } else if constexpr (std::is_same_v<T, RangeFlood>) {
                handleRangeFlood(sender.id, b);
            } else if constexpr (std::is_same_v<T, RangeHit>) {
                if (onRangeHit)
                    onRangeHit(b.queryId, sender);
            } else if constexpr (std::is_same_v<T, Leave>) {
                const Point lost = sender.coords;
                forget(sender.id);
                estimateCell({}, b.neighbours);
                repairAround(lost);
            }
        },
        message.body);
}

void Node::sendFailed(PeerId to, const Message &message)
{
    if (m_left)
        return;
    const Descriptor *known = confirmedCopy(to);
    const bool wasNeighbour = m_neighbours.count(to) != 0;
    const Point lost = known ? known->coords : Point {};
    forget(to);
    if (wasNeighbour)
        repairAround(lost);
    if (const auto *route = std::get_if<Route>(&message.body)) {
        if (route->kind == RouteKind::Join && route->origin.id == m_self.id && !m_joined) {
            m_contact.reset(); // our contact is gone: the owner has to give us another one
            return;
        }
        Route again = *route;
        --again.hops; // the failed attempt was not a hop
        handleRoute(again);
    }
}

void Node::repairAround(const Point &lost)
{
    // The lost neighbour's cell is now shared among its neighbours; ask the two of ours closest
    // to where it was for their lists so the new Voronoi neighbours are found quickly.
    std::vector<std::pair<double, PeerId>> near;
    for (const auto &[id, n] : m_neighbours)
        near.emplace_back(distanceSquared(n.descriptor.coords, lost), id);
    std::sort(near.begin(), near.end());
    const std::vector<Descriptor> list = neighbourList();
    for (std::size_t i = 0; i < near.size() && i < 2; ++i)
        send(near[i].second, Hello { list, true });
}

std::optional<Descriptor> Node::nextHop(const Point &target, PeerId exclude) const
{
    double best = distanceSquared(m_self.coords, target);
    const Descriptor *next = nullptr;
    for (const auto &[id, n] : m_neighbours) {
        if (id == exclude)
            continue;
        const double d2 = distanceSquared(n.descriptor.coords, target);
        if (d2 < best) {
            best = d2;
            next = &n.descriptor;
        }
    }
    for (const auto &l : m_longLinks) {
        if (!l || l->id == exclude)
            continue;
        const double d2 = distanceSquared(l->coords, target);
        if (d2 < best) {
            best = d2;
            next = &*l;
        }
    }
    if (!next)
        return std::nullopt;
    return *next;
}

void Node::handleRoute(const Route &route)
{
    // A re-joining node may still be known at its new position: a join route must end at the
    // responsible node among the others.
    const PeerId exclude = route.kind == RouteKind::Join ? route.origin.id : 0;
    if (const auto next = nextHop(route.target, exclude)) {
        if (route.hops >= m_config.limits.maxHops)
            return; // cannot happen on honest paths (distance strictly decreases); drop loops
        Route fwd = route;
        ++fwd.hops;
        send(next->id, std::move(fwd));
        return;
    }
    // Local minimum: we are the responsible node.
    switch (route.kind) {
    case RouteKind::Range:
        startRange(route);
        return;
    case RouteKind::Lookup:
        if (route.origin.id == m_self.id) {
            LookupResult res { route.queryId, route.target, m_self, route.hops };
            m_pendingLookups.erase(route.queryId);
            if (onLookupDone)
                onLookupDone(res);
            return;
        }
        send(route.origin.id, RouteDone { route.queryId, route.kind, route.hops, {}, {} });
        return;
    case RouteKind::Join:
        if (route.origin.id == m_self.id)
            return;
        send(route.origin.id,
            RouteDone { route.queryId, route.kind, route.hops, neighbourList(), view() });
        return;
    }
}

void Node::handleRouteDone(const Descriptor &sender, const RouteDone &done)
{
    if (done.kind == RouteKind::Join) {
        if (m_joined || done.queryId != m_joinQuery)
            return;
        m_joined = true;
        m_contact.reset();
        mergeView(done.sample, {});
        mergeView({ sender }, {});
        estimateCell({ sender }, done.neighbours);
        // Introduce ourselves to the responsible node too: it must learn about us first-hand.
        send(sender.id, Hello { neighbourList(), true });
        return;
    }
    if (done.kind == RouteKind::Lookup) {
        const auto it = m_pendingLookups.find(done.queryId);
        if (it == m_pendingLookups.end())
            return; // not ours (or answered twice)
        LookupResult res { done.queryId, it->second, sender, done.hops };
        m_pendingLookups.erase(it);
        if (onLookupDone)
            onLookupDone(res);
    }
}

void Node::startRange(const Route &route)
{
    RangeFlood f { route.queryId, route.origin, route.region, route.hops };
    handleRangeFlood(m_self.id, f);
}

void Node::handleRangeFlood(PeerId from, const RangeFlood &flood)
{
    const auto key = std::make_pair(flood.origin.id, flood.queryId);
    if (!m_seenRanges.insert(key).second)
        return;
    m_seenOrder.push_back(key);
    if (m_seenOrder.size() > m_config.rangeMemory) {
        m_seenRanges.erase(m_seenOrder.front());
        m_seenOrder.pop_front();
    }
    if (flood.region.contains(m_self.coords)) {
        if (flood.origin.id == m_self.id) {
            if (onRangeHit)
                onRangeHit(flood.queryId, m_self);
        } else {
            send(flood.origin.id, RangeHit { flood.queryId, flood.hops });
        }
    }
    // Forward while our cell may touch the region: the cells meeting a convex region form a
    // connected set of Voronoi neighbours, so this reaches every node inside it.
    if (flood.region.distanceTo(m_self.coords) > m_cellRadius * m_config.cellRadiusMargin)
        return;
    if (flood.hops >= m_config.limits.maxHops)
        return;
    for (const auto &[id, n] : m_neighbours) {
        if (id == from)
            continue;
        RangeFlood f = flood;
        ++f.hops;
        send(id, std::move(f));
    }
}

// ---- Voronoi cell estimate -------------------------------------------------------------------

namespace {

// The candidate scan of one ray, with the dimension known at compile time. Same arithmetic in
// the same order as a loop over the used axes, so results are bit-identical.
template<int Dims, typename Cand>
void scanCandidates(const Point &dir, const std::vector<Cand> &cands, double &bestAll,
    double &bestConfirmed, int &stopConfirmed, int &stopAny, int dims)
{
    const std::size_t n = cands.size();
    for (std::size_t k = 0; k < n; ++k) {
        const Cand &c = cands[k];
        // Every point of c's bisector is at least halfDist away, and cands are sorted by
        // distance: nobody further can stop this ray before the current stopper.
        if (c.halfDist >= bestConfirmed)
            break;
        double dot = 0.0;
        if constexpr (Dims > 0) {
            for (int i = 0; i < Dims; ++i)
                dot += dir[std::size_t(i)] * c.delta[std::size_t(i)];
        } else {
            for (int i = 0; i < dims; ++i)
                dot += dir[std::size_t(i)] * c.delta[std::size_t(i)];
        }
        if (dot <= 0.0)
            continue;
        const double hit = c.dist2 / (2.0 * dot);
        if (hit < bestAll) {
            bestAll = hit;
            stopAny = int(k);
        }
        if (c.confirmed && hit < bestConfirmed) {
            bestConfirmed = hit;
            stopConfirmed = int(k);
        }
    }
}

} // namespace

void Node::castRay(const Point &dir, const std::vector<RayCandidate> &cands, double &bestConfirmed,
    int &stopConfirmed, int &stopAny) const
{
    const Space &s = m_config.space;
    double t = INFINITY;
    for (int i = 0; i < s.dimensions; ++i) {
        const double u = dir[std::size_t(i)];
        const double p = m_self.coords[std::size_t(i)];
        if (u > 1e-12)
            t = std::min(t, (s.hi - p) / u);
        else if (u < -1e-12)
            t = std::min(t, (s.lo - p) / u);
    }
    double bestAll = t;
    bestConfirmed = t;
    stopConfirmed = -1;
    stopAny = -1;
    switch (s.dimensions) {
    case 2:
        scanCandidates<2>(dir, cands, bestAll, bestConfirmed, stopConfirmed, stopAny, 2);
        break;
    case 3:
        scanCandidates<3>(dir, cands, bestAll, bestConfirmed, stopConfirmed, stopAny, 3);
        break;
    default:
        scanCandidates<0>(dir, cands, bestAll, bestConfirmed, stopConfirmed, stopAny, s.dimensions);
        break;
    }
}

bool Node::bringsNews(const Descriptor &sender, const std::vector<Descriptor> &hints) const
{
    auto seen = [&](const Descriptor &d) {
        if (d.id == m_self.id)
            return true;
        return std::binary_search(m_lastEvaluated.begin(), m_lastEvaluated.end(),
            Evaluated { d.id, d.version, fingerprint(d.coords) });
    };
    if (!seen(sender))
        return true;
    return !std::all_of(hints.begin(), hints.end(), seen);
}

void Node::estimateCell(
    const std::vector<Descriptor> &confirmed, const std::vector<Descriptor> &hints)
{
    ++m_stats.estimates;
    // Scratch space shared by all nodes of a thread: the simulator holds 10^5 nodes.
    thread_local std::vector<Candidate> cands;
    cands.clear();
    cands.reserve(m_neighbours.size() + m_longLinks.size() + confirmed.size() + hints.size());
    auto add = [&](const Descriptor &d, bool isConfirmed) {
        if (d.id == m_self.id || m_blacklist.count(d.id))
            return;
        Candidate c;
        c.d = d;
        c.confirmed = isConfirmed;
        for (int i = 0; i < kMaxDimensions; ++i)
            c.delta[std::size_t(i)] = d.coords[std::size_t(i)] - m_self.coords[std::size_t(i)];
        c.dist2 = distanceSquared(d.coords, m_self.coords);
        if (c.dist2 < 1e-24)
            return; // same position: no bisector
        c.halfDist = std::sqrt(c.dist2) / 2.0;
        cands.push_back(c);
    };
    for (const auto &[id, n] : m_neighbours)
        add(n.descriptor, true);
    for (const auto &l : m_longLinks)
        if (l)
            add(*l, true);
    for (const Descriptor &d : confirmed)
        if (!confirmedCopy(d.id))
            add(d, true);
    for (const Descriptor &d : hints)
        if (!confirmedCopy(d.id))
            add(d, false); // third-party claim: may guide probes, never shapes our cell
    // One entry per id, confirmed first.
    std::sort(cands.begin(), cands.end(), [](const Candidate &a, const Candidate &b) {
        return a.d.id != b.d.id ? a.d.id < b.d.id : a.confirmed > b.confirmed;
    });
    cands.erase(std::unique(cands.begin(), cands.end(),
                    [](const Candidate &a, const Candidate &b) { return a.d.id == b.d.id; }),
        cands.end());
    {
        const std::size_t before = m_lastEvaluated.size();
        for (const Candidate &c : cands)
            m_lastEvaluated.push_back({ c.d.id, c.d.version, fingerprint(c.d.coords) });
        std::sort(m_lastEvaluated.begin() + std::ptrdiff_t(before), m_lastEvaluated.end());
        std::inplace_merge(m_lastEvaluated.begin(),
            m_lastEvaluated.begin() + std::ptrdiff_t(before), m_lastEvaluated.end());
        m_lastEvaluated.erase(
            std::unique(m_lastEvaluated.begin(), m_lastEvaluated.end()), m_lastEvaluated.end());
        if (m_lastEvaluated.size() > 256)
            m_lastEvaluated.clear();
    }
    std::sort(cands.begin(), cands.end(), [](const Candidate &a, const Candidate &b) {
        return a.dist2 != b.dist2 ? a.dist2 < b.dist2 : a.d.id < b.d.id;
    });

    thread_local std::vector<RayCandidate> packed;
    packed.resize(cands.size());
    for (std::size_t k = 0; k < cands.size(); ++k)
        packed[k] = { cands[k].halfDist, cands[k].dist2, cands[k].delta, cands[k].confirmed };

    thread_local std::vector<char> hit;
    thread_local std::vector<int> probeIdx;
    hit.assign(cands.size(), 0);
    probeIdx.clear();
    auto note = [&](int stopConfirmed, int stopAny) {
        if (stopConfirmed >= 0)
            hit[std::size_t(stopConfirmed)] = 1;
        if (stopAny >= 0 && !cands[std::size_t(stopAny)].confirmed && !hit[std::size_t(stopAny)]) {
            hit[std::size_t(stopAny)] = 2; // remember once
            probeIdx.push_back(stopAny);
        }
    };

    const int dims = m_config.space.dimensions;
    const std::vector<Point> &pool = directionPool(dims);
    double volume = 0.0;
    double radius = 0.0;
    const int rays = std::max(1, m_config.raysPerEstimate);
    for (int r = 0; r < rays; ++r) {
        const Point &dir = pool[std::size_t(m_rng.below(pool.size()))];
        double len = 0.0;
        int sc = -1;
        int sa = -1;
        castRay(dir, packed, len, sc, sa);
        note(sc, sa);
        double lenPow = len;
        for (int i = 1; i < dims; ++i)
            lenPow *= len;
        volume += lenPow;
        radius = std::max(radius, len);
    }
    m_cellVolume = unitBallVolume(dims) * volume / rays;
    m_cellRadius = radius;

    // One ray towards each candidate that could bound the cell: it detects every Gabriel
    // neighbour for sure, and most neighbours whose facets are too small for random rays.
    for (std::size_t k = 0; k < cands.size(); ++k) {
        const Candidate &c = cands[k];
        if (c.halfDist >= radius * m_config.cellRadiusMargin)
            break; // its bisector lies far beyond every random ray
        if (hit[k] != 0)
            continue; // already a stopper
        Point dir {};
        const double inv = 1.0 / (2.0 * c.halfDist);
        for (int i = 0; i < dims; ++i)
            dir[std::size_t(i)] = c.delta[std::size_t(i)] * inv;
        double len = 0.0;
        int sc = -1;
        int sa = -1;
        castRay(dir, packed, len, sc, sa);
        note(sc, sa);
        // Blocked: c's midpoint lies behind another candidate's bisector, yet c may still own a
        // facet beside it. Aim just inside the blocker, at the point of c's bisector closest to
        // us among those on both bisectors, and follow the next blocker a few times.
        int blocker = c.confirmed ? sc : sa;
        for (int step = 0; step < 6 && blocker >= 0 && blocker != int(k); ++step) {
            const Candidate &b = cands[std::size_t(blocker)];
            double ac = 0.0;
            for (int i = 0; i < dims; ++i)
                ac += c.delta[std::size_t(i)] * b.delta[std::size_t(i)];
            const double det = c.dist2 * b.dist2 - ac * ac;
            if (det <= 1e-12 * c.dist2 * b.dist2)
                break; // parallel bisectors
            // x = l*c + m*b with x.c = |c|^2/2 and x.b = |b|^2/2 (minimum-norm point of both).
            const double l = (c.dist2 * b.dist2 / 2.0 - ac * b.dist2 / 2.0) / det;
            const double m = (b.dist2 * c.dist2 / 2.0 - ac * c.dist2 / 2.0) / det;
            Point aim {};
            double n2 = 0.0;
            for (int i = 0; i < dims; ++i) {
                const double x = l * c.delta[std::size_t(i)] + m * b.delta[std::size_t(i)];
                const double mid = c.delta[std::size_t(i)] / 2.0;
                aim[std::size_t(i)] = x + 1e-3 * (x - mid); // stays on c's bisector
                n2 += aim[std::size_t(i)] * aim[std::size_t(i)];
            }
            if (n2 <= 0.0)
                break;
            const double invNorm = 1.0 / std::sqrt(n2);
            for (int i = 0; i < dims; ++i)
                aim[std::size_t(i)] *= invNorm;
            castRay(aim, packed, len, sc, sa);
            note(sc, sa);
            const int next = c.confirmed ? sc : sa;
            if (next == blocker)
                break;
            blocker = next;
        }
    }

    // Keep exactly the stoppers (dropping any other candidate leaves the estimate unchanged);
    // neighbours that stopped nothing this time get a few more chances, since a small facet
    // is easily missed by one batch of random rays.
    thread_local std::vector<PeerId> stoppers;
    stoppers.clear();
    bool changed = false;
    for (std::size_t k = 0; k < cands.size(); ++k) {
        if (hit[k] != 1 || !cands[k].confirmed)
            continue;
        stoppers.push_back(cands[k].d.id);
        auto [it, inserted]
            = m_neighbours.try_emplace(cands[k].d.id, Neighbour { cands[k].d, 0, false });
        it->second.missed = 0;
        changed |= inserted;
    }
    std::sort(stoppers.begin(), stoppers.end());
    for (auto it = m_neighbours.begin(); it != m_neighbours.end();) {
        if (!std::binary_search(stoppers.begin(), stoppers.end(), it->first)
            && ++it->second.missed > m_config.neighbourPatience && !it->second.mutual) {
            it = m_neighbours.erase(it);
            changed = true;
        } else {
            ++it;
        }
    }
    if (changed) {
        // Our cell changed shape: candidates rejected before deserve another look.
        m_lastEvaluated.clear();
    }

    int budget = m_config.probesPerEstimate;
    for (int k : probeIdx) {
        if (budget-- <= 0)
            break;
        probe(cands[std::size_t(k)].d);
    }
}

void Node::probe(const Descriptor &d)
{
    if (m_pendingProbes.count(d.id))
        return;
    m_pendingProbes[d.id] = m_config.probeTimeoutTicks;
    ++m_stats.probesSent;
    send(d.id, Hello { neighbourList(), true });
}

// ---- periodic gossip -------------------------------------------------------------------------

void Node::tick()
{
    if (m_left)
        return;
    if (!m_joined) {
        if (m_contact && ++m_joinWait >= m_config.joinRetryTicks)
            sendJoinRoute();
        return;
    }
    for (auto it = m_pendingProbes.begin(); it != m_pendingProbes.end();) {
        if (--it->second <= 0)
            it = m_pendingProbes.erase(it);
        else
            ++it;
    }
    // Now and then re-evaluate what we already know with fresh random rays: small facets that one
    // batch of rays missed get more chances without any extra message.
    if (m_ticks % 5 == 4)
        m_lastEvaluated.clear();
    if (!m_neighbours.empty()) {
        auto it = m_neighbours.upper_bound(m_gossipCursor);
        if (it == m_neighbours.end())
            it = m_neighbours.begin();
        m_gossipCursor = it->first;
        send(it->first, Hello { neighbourList(), true });
    }
    shuffleTick();
    longLinkTick();
    // Long-range links never hear from their peers otherwise: refresh one every other tick so a
    // peer that moved or died is noticed (the reply carries its current descriptor).
    if (!m_longLinks.empty() && (++m_ticks & 1) == 0) {
        const auto &l = m_longLinks[(m_ticks / 2) % m_longLinks.size()];
        if (l)
            send(l->id, Ping { false });
    }
}

void Node::shuffleTick()
{
    for (ViewEntry &e : m_view)
        ++e.age;
    if (m_view.empty()) {
        // Reseed peer sampling from a neighbour (after a burst of failures).
        if (m_neighbours.empty())
            return;
        auto it = m_neighbours.begin();
        std::advance(it, std::ptrdiff_t(m_rng.below(m_neighbours.size())));
        m_view.push_back({ it->second.descriptor, 0 });
    }
    std::size_t oldest = 0;
    for (std::size_t i = 1; i < m_view.size(); ++i)
        if (m_view[i].age > m_view[oldest].age)
            oldest = i;
    const Descriptor target = m_view[oldest].d;
    m_view.erase(m_view.begin() + std::ptrdiff_t(oldest));
    std::vector<Descriptor> subset;
    m_lastShuffleSent.clear();
    std::vector<std::size_t> idx(m_view.size());
    for (std::size_t i = 0; i < idx.size(); ++i)
        idx[i] = i;
    for (std::size_t i = 0;
         i < idx.size() && subset.size() + 1 < std::size_t(m_config.shuffleLength); ++i) {
        std::swap(idx[i], idx[i + std::size_t(m_rng.below(idx.size() - i))]);
        subset.push_back(m_view[idx[i]].d);
        m_lastShuffleSent.insert(m_view[idx[i]].d.id);
    }
    send(target.id, Shuffle { std::move(subset), false });
}

void Node::handleShuffle(const Descriptor &sender, const Shuffle &shuffle)
{
    if (shuffle.isReply) {
        mergeView(shuffle.entries, m_lastShuffleSent);
        m_lastShuffleSent.clear();
        return;
    }
    std::vector<Descriptor> reply;
    std::set<PeerId> sent;
    std::vector<std::size_t> idx(m_view.size());
    for (std::size_t i = 0; i < idx.size(); ++i)
        idx[i] = i;
    for (std::size_t i = 0; i < idx.size() && reply.size() < std::size_t(m_config.shuffleLength);
         ++i) {
        std::swap(idx[i], idx[i + std::size_t(m_rng.below(idx.size() - i))]);
        if (m_view[idx[i]].d.id == sender.id)
            continue;
        reply.push_back(m_view[idx[i]].d);
        sent.insert(m_view[idx[i]].d.id);
    }
    send(sender.id, Shuffle { reply, true });
    std::vector<Descriptor> incoming = shuffle.entries;
    incoming.push_back(sender);
    mergeView(incoming, sent);
}

void Node::mergeView(const std::vector<Descriptor> &entries, const std::set<PeerId> &replaceable)
{
    std::set<PeerId> free = replaceable;
    for (const Descriptor &d : entries) {
        if (d.id == m_self.id || m_blacklist.count(d.id))
            continue;
        const auto same = std::find_if(
            m_view.begin(), m_view.end(), [&](const ViewEntry &e) { return e.d.id == d.id; });
        if (same != m_view.end())
            continue;
        if (m_view.size() < std::size_t(m_config.viewSize)) {
            m_view.push_back({ d, 0 });
            continue;
        }
        const auto slot = std::find_if(m_view.begin(), m_view.end(),
            [&](const ViewEntry &e) { return free.count(e.d.id) != 0; });
        if (slot == m_view.end())
            break;
        free.erase(slot->d.id);
        *slot = { d, 0 };
    }
}

double Node::linkWeight(const Point &p) const
{
    // Kleinberg's harmonic law, flattened inside our own cell (such nodes are neighbours anyway).
    const double r = std::max(distance(p, m_self.coords), std::max(m_cellRadius, 1e-9));
    return std::pow(r, -double(m_config.space.dimensions));
}

void Node::longLinkTick()
{
    if (m_view.empty() || m_longLinks.empty())
        return;
    if (m_pendingLongLinks.size() > 2 * m_longLinks.size())
        m_pendingLongLinks.clear(); // silent peers: forget the proposals
    // One Metropolis-Hastings step per tick: the view is a stream of near-uniform samples, so
    // accepting a proposal with probability min(1, w(new)/w(current)) makes each slot converge
    // to P(link to v) ∝ w(v) = distance^-d.
    const std::size_t slot = std::size_t(m_rng.below(m_longLinks.size()));
    const Descriptor &cand = m_view[std::size_t(m_rng.below(m_view.size()))].d;
    if (m_pendingLongLinks.count(cand.id) || confirmedCopy(cand.id))
        return;
    const auto &cur = m_longLinks[slot];
    if (cur && !m_rng.chance(linkWeight(cand.coords) / linkWeight(cur->coords)))
        return;
    m_pendingLongLinks[cand.id] = int(slot);
    send(cand.id, Ping { false });
}

} // namespace metatopia::raynet
