// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "physics/PhysicsRegion.h"

#include <algorithm>
#include <iterator>

namespace metatopia::physics {

namespace {

// How many commits per region are remembered to answer repeats (a repeat only arrives while the
// sender still holds its transit record, i.e. shortly after a link came back).
constexpr std::size_t RememberedCommits = 65536;

// A body must be this far past the border before it is offered, so that one resting on the
// border line does not bounce between the two regions.
constexpr Fixed Hysteresis = Fixed::fromRatio(1, 32);

bool isOwnedRole(PhysicsRegion::Role role)
{
    return role == PhysicsRegion::Role::Owned || role == PhysicsRegion::Role::Offering;
}

std::string text(const QString &s)
{
    return s.toStdString();
}

} // namespace

PhysicsRegion::PhysicsRegion(RegionCoord coord, const PhysicsConfig &config)
    : m_coord(coord)
    , m_config(config)
    , m_world(config)
{ }

int PhysicsRegion::direction(int dx, int dy)
{
    const int index = (dy + 1) * 3 + (dx + 1);
    return index < 4 ? index : index - 1;
}

RegionCoord PhysicsRegion::neighbourAt(int dir) const
{
    const int index = dir < 4 ? dir : dir + 1;
    return { m_coord.x + (index % 3) - 1, m_coord.y + (index / 3) - 1 };
}

FVec3 PhysicsRegion::fromNeighbour(RegionCoord from, FVec3 position) const
{
    const Fixed s = m_config.regionSize;
    return { position.x + Fixed::fromInt(std::int64_t(from.x) - m_coord.x) * s,
        position.y + Fixed::fromInt(std::int64_t(from.y) - m_coord.y) * s, position.z };
}

void PhysicsRegion::send(RegionCoord to, NeighbourMessage message)
{
    if (m_links.count(to))
        m_outbox[to].push_back(std::move(message));
}

bool PhysicsRegion::owns(BodyId id) const
{
    const auto it = m_entries.find(id);
    return it != m_entries.end() && isOwnedRole(it->second.role);
}

Result<StepReply> PhysicsRegion::step(const StepRequest &request)
{
    if (request.tick < m_tick)
        return Result<StepReply>::failure(
            QStringLiteral("tick %1 is behind the physics sim's tick %2")
                .arg(request.tick)
                .arg(m_tick));
    if (request.tick - m_tick > std::uint64_t(m_config.maxTicksPerAdvance))
        return Result<StepReply>::failure(
            QStringLiteral("tick %1 is more than %2 ticks ahead of %3")
                .arg(request.tick)
                .arg(m_config.maxTicksPerAdvance)
                .arg(m_tick));
    StepReply reply;
    reply.tick = request.tick;
    reply.events = std::move(m_pendingEvents);
    m_pendingEvents.clear();
    for (const BodyChange &change : request.changes)
        applyChange(change, reply);
    while (m_tick < request.tick) {
        m_world.step();
        ++m_tick;
        reportCollisions(reply);
    }
    reportTransforms(reply);
    borderWork();
    return reply;
}

void PhysicsRegion::applyChange(const BodyChange &change, StepReply &reply)
{
    std::visit(
        [&](const auto &c) {
            using T = std::decay_t<decltype(c)>;
            if constexpr (std::is_same_v<T, AddBody>) {
                QString problem = validate(c.desc);
                if (problem.isEmpty())
                    problem = validate(c.state);
                if (!problem.isEmpty()) {
                    reply.refused.push_back(
                        text(QStringLiteral("add %1: %2").arg(c.desc.id).arg(problem)));
                    return;
                }
                const auto inTransit = std::any_of(m_transit.begin(), m_transit.end(),
                    [&](const auto &t) { return t.second.desc.id == c.desc.id; });
                if (m_entries.count(c.desc.id) || inTransit) {
                    reply.refused.push_back(
                        text(QStringLiteral("add %1: id exists").arg(c.desc.id)));
                    return;
                }
                if (m_world.bodyCount() >= std::size_t(m_config.maxBodies)) {
                    reply.refused.push_back(text(QStringLiteral("add %1: region full (%2 bodies)")
                                                     .arg(c.desc.id)
                                                     .arg(m_config.maxBodies)));
                    return;
                }
                BodyState state = c.state;
                state.rotation = state.rotation.normalized();
                m_world.addBody(c.desc, state);
                Entry entry;
                entry.desc = c.desc;
                m_entries.emplace(c.desc.id, entry);
            } else {
                const auto it = m_entries.find(c.id);
                if (it == m_entries.end() || !isOwnedRole(it->second.role)) {
                    reply.refused.push_back(text(
                        QStringLiteral("%1 %2: not owned here")
                            .arg(std::is_same_v<T, RemoveBody>        ? QStringLiteral("remove")
                                    : std::is_same_v<T, ApplyImpulse> ? QStringLiteral("impulse")
                                                                      : QStringLiteral("velocity"))
                            .arg(c.id)));
                    return;
                }
                if constexpr (std::is_same_v<T, RemoveBody>) {
                    Entry &entry = it->second;
                    if (entry.role == Role::Offering)
                        send(entry.neighbour, HandoffAbort { entry.handoff });
                    for (int dir = 0; dir < 8; ++dir) {
                        if (entry.ghostedTo & (1u << dir))
                            send(neighbourAt(dir), GhostRemove { c.id });
                    }
                    dropBody(c.id);
                } else if constexpr (std::is_same_v<T, ApplyImpulse>) {
                    m_world.applyImpulse(c.id, c.impulse);
                } else {
                    m_world.setVelocity(c.id, c.linear, c.angular);
                }
            }
        },
        change);
}

void PhysicsRegion::reportCollisions(StepReply &reply)
{
    const auto &now = m_world.contacts();
    std::vector<std::pair<BodyId, BodyId>> begun;
    std::set_difference(now.begin(), now.end(), m_lastContacts.begin(), m_lastContacts.end(),
        std::back_inserter(begun));
    for (const auto &[a, b] : begun) {
        if (owns(a))
            reply.events.push_back(CollisionEvent { a, b });
        if (owns(b))
            reply.events.push_back(CollisionEvent { b, a });
    }
    m_lastContacts = now;
}

void PhysicsRegion::reportTransforms(StepReply &reply)
{
    reply.events.reserve(reply.events.size() + m_entries.size());
    for (auto &[id, entry] : m_entries) {
        if (!isOwnedRole(entry.role))
            continue;
        FVec3 position;
        FQuat rotation;
        entry.active = m_world.activeTransform(id, &position, &rotation);
        if (!entry.active) {
            if (entry.reported)
                continue; // asleep: it has not moved since its last report
            m_world.transform(id, &position, &rotation);
        }
        if (entry.reported && position == entry.lastPosition && rotation == entry.lastRotation)
            continue;
        entry.reported = true;
        entry.active = true; // it moved (or is new): borderWork() looks at it
        entry.lastPosition = position;
        entry.lastRotation = rotation;
        reply.events.push_back(TransformEvent { id, position, rotation });
    }
}

void PhysicsRegion::borderWork()
{
    const Fixed size = m_config.regionSize;
    const Fixed margin = m_config.borderMargin;
    const std::uint64_t refresh = std::uint64_t(std::max(1, m_config.ghostTimeoutTicks / 3));
    std::vector<BodyId> expired;
    for (auto &[id, entry] : m_entries) {
        if (entry.role == Role::Ghost || entry.role == Role::Incoming) {
            if (m_tick - entry.since > std::uint64_t(m_config.ghostTimeoutTicks))
                expired.push_back(id);
            continue;
        }
        if (entry.role == Role::Offering
            && m_tick - entry.since >= std::uint64_t(m_config.offerTimeoutTicks))
            abortOffer(id, entry);
        const bool active = entry.active;
        const bool refreshDue = entry.ghostedTo != 0 && m_tick - entry.ghostSentAt >= refresh;
        if (!active && !refreshDue && !m_recheck)
            continue;
        // entry.lastPosition is the quantised position reportTransforms() just read.
        const FVec3 p = entry.lastPosition;
        const int dx = p.x < -Hysteresis ? -1 : p.x >= size + Hysteresis ? 1 : 0;
        const int dy = p.y < -Hysteresis ? -1 : p.y >= size + Hysteresis ? 1 : 0;
        if (entry.role == Role::Owned && (dx != 0 || dy != 0) && m_tick >= entry.noOfferBefore) {
            const RegionCoord target { m_coord.x + dx, m_coord.y + dy };
            if (m_links.count(target)) {
                entry.role = Role::Offering;
                entry.neighbour = target;
                entry.handoff = m_nextHandoff++;
                entry.since = m_tick;
                send(target, HandoffOffer { entry.handoff, entry.desc, *m_world.state(id) });
            }
        }
        const auto near
            = [&](int d, Fixed c) { return d == 0 || (d > 0 ? c >= size - margin : c < margin); };
        std::uint8_t mask = 0;
        for (int dir = 0; dir < 8; ++dir) {
            const RegionCoord n = neighbourAt(dir);
            if (near(n.x - m_coord.x, p.x) && near(n.y - m_coord.y, p.y) && m_links.count(n))
                mask |= std::uint8_t(1u << dir);
        }
        std::optional<BodyState> state;
        for (int dir = 0; dir < 8; ++dir) {
            const std::uint8_t bit = std::uint8_t(1u << dir);
            if (mask & bit) {
                if (active || refreshDue || !(entry.ghostedTo & bit)) {
                    if (!state)
                        state = m_world.state(id);
                    send(neighbourAt(dir), GhostUpdate { entry.desc, *state });
                }
            } else if (entry.ghostedTo & bit) {
                send(neighbourAt(dir), GhostRemove { id });
            }
        }
        if (state)
            entry.ghostSentAt = m_tick;
        entry.ghostedTo = mask;
    }
    m_recheck = false;
    for (BodyId id : expired)
        dropBody(id);
}

void PhysicsRegion::abortOffer(BodyId, Entry &entry)
{
    send(entry.neighbour, HandoffAbort { entry.handoff });
    entry.role = Role::Owned;
    entry.handoff = 0;
    entry.noOfferBefore = m_tick + std::uint64_t(m_config.offerRetryTicks);
}

void PhysicsRegion::dropBody(BodyId id)
{
    m_world.removeBody(id);
    m_entries.erase(id);
}

void PhysicsRegion::setNeighbourLink(RegionCoord neighbour, bool up)
{
    if (!isAdjacent(m_coord, neighbour))
        return;
    if (up) {
        if (!m_links.insert(neighbour).second)
            return;
        m_recheck = true;
        for (const auto &[handoff, transit] : m_transit) {
            if (transit.to == neighbour)
                send(neighbour, HandoffCommit { handoff, transit.desc, transit.state });
        }
        return;
    }
    if (!m_links.erase(neighbour))
        return;
    m_outbox.erase(neighbour);
    std::vector<BodyId> gone;
    for (auto &[id, entry] : m_entries) {
        if (entry.role == Role::Offering && entry.neighbour == neighbour) {
            entry.role = Role::Owned;
            entry.handoff = 0;
            entry.noOfferBefore = m_tick + std::uint64_t(m_config.offerRetryTicks);
        } else if ((entry.role == Role::Ghost || entry.role == Role::Incoming)
            && entry.neighbour == neighbour) {
            gone.push_back(id);
        }
        for (int dir = 0; dir < 8; ++dir) {
            if (neighbourAt(dir) == neighbour)
                entry.ghostedTo &= std::uint8_t(~(1u << dir));
        }
    }
    for (BodyId id : gone)
        dropBody(id);
}

bool PhysicsRegion::hasNeighbourLink(RegionCoord neighbour) const
{
    return m_links.count(neighbour) != 0;
}

void PhysicsRegion::receive(const NeighbourBatch &batch)
{
    if (!isAdjacent(m_coord, batch.from) || !m_links.count(batch.from))
        return;
    for (const NeighbourMessage &message : batch.messages)
        receiveOne(batch.from, message);
}

void PhysicsRegion::rememberCommit(RegionCoord from, std::uint64_t handoff, bool taken)
{
    const auto key = std::make_pair(from, handoff);
    if (!m_commits.emplace(key, taken).second)
        return;
    m_commitOrder.push_back(key);
    if (m_commitOrder.size() > RememberedCommits) {
        m_commits.erase(m_commitOrder.front());
        m_commitOrder.pop_front();
    }
}

void PhysicsRegion::receiveOne(RegionCoord from, const NeighbourMessage &message)
{
    const auto transitOf = [&](BodyId id) {
        return std::any_of(m_transit.begin(), m_transit.end(),
            [&](const auto &t) { return t.second.desc.id == id; });
    };
    // Puts the body into the world with this description and state (re-creating it when the
    // description changed) and returns its entry.
    const auto place = [&](const BodyDesc &desc, BodyState state) -> Entry * {
        state.position = fromNeighbour(from, state.position);
        auto it = m_entries.find(desc.id);
        if (it != m_entries.end() && !(it->second.desc == desc)) {
            m_world.removeBody(desc.id);
            m_world.addBody(desc, state);
            it->second.desc = desc;
        } else if (it != m_entries.end()) {
            m_world.setState(desc.id, state);
        } else {
            if (m_world.bodyCount() >= std::size_t(m_config.maxBodies))
                return nullptr;
            m_world.addBody(desc, state);
            Entry entry;
            entry.desc = desc;
            it = m_entries.emplace(desc.id, entry).first;
        }
        return &it->second;
    };

    std::visit(
        [&](const auto &m) {
            using T = std::decay_t<decltype(m)>;
            if constexpr (std::is_same_v<T, GhostUpdate>) {
                const auto it = m_entries.find(m.desc.id);
                if (it != m_entries.end() && isOwnedRole(it->second.role))
                    return; // a stale ghost of a body that is ours now
                const bool wasIncoming = it != m_entries.end() && it->second.role == Role::Incoming;
                if (Entry *entry = place(m.desc, m.state)) {
                    entry->role = wasIncoming ? Role::Incoming : Role::Ghost;
                    if (!wasIncoming)
                        entry->neighbour = from;
                    entry->since = m_tick;
                }
            } else if constexpr (std::is_same_v<T, GhostRemove>) {
                const auto it = m_entries.find(m.id);
                if (it != m_entries.end() && it->second.role == Role::Ghost
                    && it->second.neighbour == from)
                    dropBody(m.id);
            } else if constexpr (std::is_same_v<T, HandoffOffer>) {
                if (m_commits.count({ from, m.handoff }))
                    return; // a repeat of a hand-off that is already done
                const auto it = m_entries.find(m.desc.id);
                if (it != m_entries.end() && isOwnedRole(it->second.role)) {
                    send(from, HandoffReject { m.handoff, "owned here" });
                    return;
                }
                if (transitOf(m.desc.id)) {
                    send(from, HandoffReject { m.handoff, "in transit from here" });
                    return;
                }
                if (it != m_entries.end() && it->second.role == Role::Incoming
                    && it->second.neighbour != from) {
                    send(from, HandoffReject { m.handoff, "another hand-off is pending" });
                    return;
                }
                Entry *entry = place(m.desc, m.state);
                if (!entry) {
                    send(from, HandoffReject { m.handoff, "region full" });
                    return;
                }
                entry->role = Role::Incoming;
                entry->neighbour = from;
                entry->handoff = m.handoff;
                entry->since = m_tick;
                send(from, HandoffAccept { m.handoff });
            } else if constexpr (std::is_same_v<T, HandoffAccept>) {
                const auto it
                    = std::find_if(m_entries.begin(), m_entries.end(), [&](const auto &e) {
                          return e.second.role == Role::Offering && e.second.handoff == m.handoff
                              && e.second.neighbour == from;
                      });
                if (it == m_entries.end()) {
                    send(from, HandoffAbort { m.handoff }); // late: the offer was aborted
                    return;
                }
                const BodyId id = it->first;
                Entry &entry = it->second;
                const BodyState state = *m_world.state(id);
                send(from, HandoffCommit { m.handoff, entry.desc, state });
                for (int dir = 0; dir < 8; ++dir) {
                    if ((entry.ghostedTo & (1u << dir)) && neighbourAt(dir) != from)
                        send(neighbourAt(dir), GhostRemove { id });
                }
                m_transit.emplace(m.handoff, Transit { entry.desc, state, from });
                m_pendingEvents.push_back(HandedOffEvent { id, from });
                dropBody(id);
            } else if constexpr (std::is_same_v<T, HandoffReject>) {
                for (auto &[id, entry] : m_entries) {
                    if (entry.role == Role::Offering && entry.handoff == m.handoff
                        && entry.neighbour == from) {
                        entry.role = Role::Owned;
                        entry.handoff = 0;
                        entry.noOfferBefore = m_tick + std::uint64_t(m_config.offerRetryTicks);
                        break;
                    }
                }
            } else if constexpr (std::is_same_v<T, HandoffAbort>) {
                for (auto &[id, entry] : m_entries) {
                    if (entry.role == Role::Incoming && entry.handoff == m.handoff
                        && entry.neighbour == from) {
                        entry.role = Role::Ghost;
                        entry.handoff = 0;
                        break;
                    }
                }
            } else if constexpr (std::is_same_v<T, HandoffCommit>) {
                const auto done = m_commits.find({ from, m.handoff });
                if (done != m_commits.end()) {
                    send(from, HandoffCommitAck { m.handoff, done->second });
                    return;
                }
                const auto it = m_entries.find(m.desc.id);
                Entry *entry = nullptr;
                if (!(it != m_entries.end() && isOwnedRole(it->second.role))
                    && !transitOf(m.desc.id))
                    entry = place(m.desc, m.state);
                if (!entry) {
                    rememberCommit(from, m.handoff, false);
                    send(from, HandoffCommitAck { m.handoff, false });
                    return;
                }
                Entry fresh;
                fresh.desc = m.desc;
                fresh.noOfferBefore = m_tick + 1;
                *entry = fresh;
                BodyState state = m.state;
                state.position = fromNeighbour(from, state.position);
                m_pendingEvents.push_back(ArrivedEvent { m.desc, state, from });
                rememberCommit(from, m.handoff, true);
                send(from, HandoffCommitAck { m.handoff, true });
            } else {
                const auto it = m_transit.find(m.handoff);
                if (it == m_transit.end() || it->second.to != from)
                    return;
                const Transit transit = it->second;
                m_transit.erase(it);
                if (m.taken)
                    return;
                // Refused: the body is ours again, from the state it left with.
                const auto existing = m_entries.find(transit.desc.id);
                if (existing != m_entries.end())
                    dropBody(transit.desc.id);
                m_world.addBody(transit.desc, transit.state);
                Entry entry;
                entry.desc = transit.desc;
                entry.noOfferBefore = m_tick + std::uint64_t(m_config.offerRetryTicks);
                m_entries.emplace(transit.desc.id, entry);
                m_pendingEvents.push_back(ArrivedEvent { transit.desc, transit.state, from });
            }
        },
        message);
}

std::map<RegionCoord, NeighbourBatch> PhysicsRegion::takeOutgoing()
{
    std::map<RegionCoord, NeighbourBatch> out;
    for (auto &[to, messages] : m_outbox) {
        if (messages.empty())
            continue;
        NeighbourBatch batch;
        batch.from = m_coord;
        batch.tick = m_tick;
        batch.messages = std::move(messages);
        out.emplace(to, std::move(batch));
    }
    m_outbox.clear();
    return out;
}

std::optional<PhysicsRegion::BodyInfo> PhysicsRegion::body(BodyId id) const
{
    const auto it = m_entries.find(id);
    if (it == m_entries.end())
        return std::nullopt;
    BodyInfo info;
    info.desc = it->second.desc;
    info.state = m_world.state(id).value_or(BodyState {});
    info.role = it->second.role;
    info.neighbour = it->second.neighbour;
    return info;
}

std::vector<BodyId> PhysicsRegion::ids(Role role) const
{
    std::vector<BodyId> out;
    for (const auto &[id, entry] : m_entries) {
        if (entry.role == role)
            out.push_back(id);
    }
    return out;
}

std::vector<BodyId> PhysicsRegion::inTransit() const
{
    std::vector<BodyId> out;
    for (const auto &entry : m_transit)
        out.push_back(entry.second.desc.id);
    return out;
}

} // namespace metatopia::physics
