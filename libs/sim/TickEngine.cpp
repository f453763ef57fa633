// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "sim/TickEngine.h"

#include "sim/Codec.h"
#include "sim/Hash.h"
#include "sim/ScriptContext.h"
#include "sim/ScriptValueCodec.h"
#include "sim/WorkerPool.h"

#include "core/EventOrder.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <iterator>
#include <stdexcept>

#include <time.h>

namespace metatopia::sim {

namespace {

// Salts that keep the id spaces of different event sources apart.
constexpr std::uint64_t InputSalt = 0x1a9b7c00u;
constexpr std::uint64_t TimerSalt = 0x7133e500u;
constexpr std::uint64_t RezSalt = 0x4e2d0000u;

std::int64_t threadCpuNs()
{
    timespec ts {};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return std::int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

std::int64_t nanosSince(std::chrono::steady_clock::time_point start)
{
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
        std::chrono::steady_clock::now() - start)
        .count();
}

// First firing tick strictly after `base` for a timer started at `start`.
std::uint64_t nextTimerTick(const ScriptStatus &status, std::uint64_t base)
{
    const auto interval = static_cast<std::uint64_t>(status.timerInterval);
    if (base < status.timerStart)
        return status.timerStart + interval;
    return status.timerStart + interval * ((base - status.timerStart) / interval + 1);
}

// A hint that `object`'s script status will be read soon.
void prefetchObject(const Object *object)
{
    if (object) {
        // What the timer check reads: runnable() and the rule (which may straddle two lines).
        __builtin_prefetch(&object->script);
        __builtin_prefetch(&object->status.suspended);
        __builtin_prefetch(&object->status.timerInterval);
        __builtin_prefetch(&object->status.timerStart);
    }
}

bool runnable(const Object &object)
{
    return object.script && !object.status.suspended;
}

} // namespace

std::uint64_t TickEngine::canonicalKey(std::uint64_t seed, ObjectId script, std::uint64_t event)
{
    // libs/core's canonical order, shared with every other place that orders events.
    return eventOrderKey(seed, script, EventId(event));
}

const char *handlerName(EventKind kind)
{
    switch (kind) {
    case EventKind::Touch:
        return "on_touch";
    case EventKind::Listen:
        return "on_listen";
    case EventKind::Message:
        return "on_message";
    case EventKind::Timer:
        return "on_timer";
    case EventKind::Collision:
        return "on_collision";
    case EventKind::ObjectRez:
        return "on_object_rez";
    }
    return "";
}

void Emission::encode(Writer &out) const
{
    out.u64(id);
    out.u8(static_cast<std::uint8_t>(kind));
    out.u64(target);
    out.u64(source);
    out.i64(channel);
    out.u8(static_cast<std::uint8_t>(range));
    out.fixed(origin.x);
    out.fixed(origin.y);
    out.fixed(origin.z);
    out.u32(static_cast<std::uint32_t>(args.size()));
    for (const ScriptValue &arg : args)
        encodeScriptValue(out, arg);
}

Emission Emission::decode(Reader &in)
{
    Emission e;
    e.id = in.u64();
    const std::uint8_t kind = in.u8();
    if (kind > static_cast<std::uint8_t>(EventKind::ObjectRez))
        throw CodecError("bad event kind");
    e.kind = static_cast<EventKind>(kind);
    e.target = in.u64();
    e.source = in.u64();
    e.channel = in.i64();
    const std::uint8_t range = in.u8();
    if (range > static_cast<std::uint8_t>(ChatRange::Region))
        throw CodecError("bad chat range");
    e.range = static_cast<ChatRange>(range);
    e.origin.x = in.fixed();
    e.origin.y = in.fixed();
    e.origin.z = in.fixed();
    e.args.resize(in.count(64));
    for (ScriptValue &arg : e.args)
        arg = decodeScriptValue(in);
    return e;
}

struct TickEngine::Run
{
    ObjectId id = 0;
    const Object *object = nullptr; // in the world the scripts read
    bool load = false;
    bool refuseLoad = false;
    bool hashVm = false;
    bool hashOnly = false; // ran in an earlier tick, only its VM hash is due
    ScriptVm *vm = nullptr;
    ScriptSlot *slot = nullptr; // its entry in m_scripts, if any
    std::span<const Emission *> events; // in m_inbox
    std::uint32_t droppedIn = 0;
    // Set by its worker: the slot's memory and hash are accounted already (settled), the VM
    // went dirty and must be listed for hashing (markDirty), the merge has anything to do with
    // this run at all (forMerge: most runs of a busy tick change nothing but their VM).
    bool settled = false;
    bool markDirty = false;
    bool forMerge = false;
    ScriptOutput out; // reset by its worker

    void start(ObjectId script)
    {
        id = script;
        object = nullptr;
        load = refuseLoad = hashVm = hashOnly = settled = markDirty = forMerge = false;
        vm = nullptr;
        slot = nullptr;
        events = {};
        droppedIn = 0;
    }
};

TickEngine::TickEngine(EngineConfig config)
    : m_pool(std::make_unique<WorkerPool>(config.threads))
    , m_objectsNear(config.region.size)
{
    m_timerEvent.kind = EventKind::Timer;
    auto world = std::make_shared<WorldState>();
    world->region = std::move(config.region);
    m_world = std::move(world);
    m_hash = computeHash();
}

TickEngine::~TickEngine() = default;

int TickEngine::threads() const
{
    return m_pool->activeThreads();
}

void TickEngine::setThreads(int threads)
{
    m_pool->setActiveThreads(threads);
}

std::uint32_t TickEngine::hashSlotOf(ObjectId id) const
{
    return static_cast<std::uint32_t>(id % m_world->region.limits.vmHashInterval);
}

void TickEngine::markVmDirty(ObjectId id)
{
    if (m_dirtyVms.size() < m_world->region.limits.vmHashInterval)
        m_dirtyVms.resize(m_world->region.limits.vmHashInterval);
    m_dirtyVms[hashSlotOf(id)].push_back(id);
}

ScriptLimits TickEngine::scriptLimits() const
{
    const RegionLimits &l = m_world->region.limits;
    ScriptLimits limits;
    limits.instructionsPerCall = l.instructionsPerCall;
    limits.memoryBytes = static_cast<std::size_t>(l.scriptMemoryBytes);
    limits.maxStringBytes = static_cast<std::size_t>(l.scriptMaxStringBytes);
    return limits;
}

const Object *TickEngine::lookup(const Overlay &overlay, ObjectId id) const
{
    auto it = overlay.find(id);
    if (it != overlay.end())
        return it->second ? &*it->second : nullptr;
    return m_world->objects.find(id);
}

const TickReport &TickEngine::step(const TickBatch &batch)
{
    if (batch.tick != tick() + 1)
        throw std::invalid_argument("tick batch out of sequence");
    m_report = TickReport();
    TickStats &stats = m_report.stats;
    stats.tick = batch.tick;

    const std::int64_t cpuStart = threadCpuNs();
    auto start = std::chrono::steady_clock::now();
    {
        auto next = std::make_shared<WorldState>(*m_world);
        next->tick = batch.tick;
        m_world = std::move(next);
    }
    m_timerBase = batch.tick - 1;
    std::vector<Emission> fresh;
    applyInputs(batch, fresh);
    stats.applyNs = nanosSince(start);

    start = std::chrono::steady_clock::now();
    const std::size_t runCount = route(batch, fresh); // (may grow m_runs)
    const std::span<Run> runs(m_runs.data(), runCount);
    stats.routeNs = nanosSince(start);

    start = std::chrono::steady_clock::now();
    const std::int64_t cpuRunStart = threadCpuNs();
    runScripts(runs, batch);
    const std::int64_t cpuRun = threadCpuNs() - cpuRunStart;
    stats.runNs = nanosSince(start);

    start = std::chrono::steady_clock::now();
    merge(runs);
    stats.mergeNs = nanosSince(start);

    chatToAvatars();
    m_hash = computeHash();
    stats.hash = m_hash;
    stats.objects = static_cast<std::uint32_t>(m_world->objects.size());
    stats.avatars = static_cast<std::uint32_t>(m_world->avatars.size());
    stats.scripts = m_scriptCount;
    stats.scriptsRun = static_cast<std::uint32_t>(std::count_if(
        runs.begin(), runs.end(), [](const Run &r) { return r.load || !r.events.empty(); }));
    stats.scriptMemory = m_scriptMemory;
    stats.parallelCpuNs = m_pool->lastBusiestCpuNs();
    stats.parallelTotalCpuNs = m_pool->lastTotalCpuNs();
    stats.criticalCpuNs = threadCpuNs() - cpuStart - cpuRun + stats.parallelCpuNs;
    return m_report;
}

void TickEngine::applyInputs(const TickBatch &batch, std::vector<Emission> &emissions)
{
    const RegionConfig &region = m_world->region;
    const RegionLimits &limits = region.limits;
    std::vector<const Input *> order;
    order.reserve(batch.inputs.size());
    for (const Input &input : batch.inputs)
        order.push_back(&input);
    // By id, never by arrival; equal ids (a buggy source) keep their batch order.
    std::stable_sort(
        order.begin(), order.end(), [](const Input *a, const Input *b) { return a->id < b->id; });

    Overlay objects;
    std::map<AvatarId, std::optional<Avatar>> avatars;
    auto avatarAt = [&](AvatarId id) -> const Avatar * {
        auto it = avatars.find(id);
        if (it != avatars.end())
            return it->second ? &*it->second : nullptr;
        return m_world->avatars.find(id);
    };
    auto mutableObject = [&](ObjectId id) -> Object * {
        auto it = objects.find(id);
        if (it != objects.end())
            return it->second ? &*it->second : nullptr;
        const Object *current = m_world->objects.find(id);
        if (!current)
            return nullptr;
        return &*(objects[id] = *current);
    };
    std::size_t liveObjects = m_world->objects.size();
    std::uint32_t liveScripts = m_scriptCount;
    ObjectId nextId = m_world->nextObjectId;
    auto clampText = [&](std::string text) {
        if (text.size() > limits.maxTextBytes)
            text.resize(limits.maxTextBytes);
        return text;
    };

    for (const Input *input : order) {
        const std::uint64_t eventId = hashWords(batch.tick, InputSalt, input->id);
        std::visit(
            [&](const auto &a) {
                using T = std::decay_t<decltype(a)>;
                if constexpr (std::is_same_v<T, AvatarEnter>) {
                    Avatar avatar;
                    avatar.id = a.avatar;
                    avatar.account = a.account;
                    avatar.name = clampText(a.name);
                    avatar.position = clampToRegion(a.position, region);
                    avatar.rotation = FQuat::identity();
                    avatar.animation = "stand";
                    avatars[a.avatar] = std::move(avatar);
                } else if constexpr (std::is_same_v<T, AvatarLeave>) {
                    if (avatarAt(a.avatar))
                        avatars[a.avatar] = std::nullopt;
                } else if constexpr (std::is_same_v<T, AvatarMove>) {
                    if (const Avatar *current = avatarAt(a.avatar)) {
                        Avatar avatar = *current;
                        avatar.position = clampToRegion(a.position, region);
                        avatar.rotation = a.rotation;
                        avatar.animation = clampText(a.animation);
                        avatars[a.avatar] = std::move(avatar);
                    }
                } else if constexpr (std::is_same_v<T, AvatarChat>) {
                    if (const Avatar *speaker = avatarAt(a.avatar)) {
                        Emission e;
                        e.id = eventId;
                        e.kind = EventKind::Listen;
                        // source names the object that must not hear itself: none here (avatar
                        // and object ids are separate spaces; the avatar's id is in the args).
                        e.source = 0;
                        e.channel = a.channel;
                        e.range = a.range;
                        e.origin = speaker->position;
                        const std::string text = clampText(a.text);
                        e.args = { ScriptValue(a.channel),
                            ScriptValue(static_cast<std::int64_t>(a.avatar)),
                            ScriptValue(speaker->name), ScriptValue(text) };
                        emissions.push_back(std::move(e));
                        m_report.chat.push_back(ChatLine { a.avatar, true, speaker->name, a.channel,
                            a.range, speaker->position, text });
                    }
                } else if constexpr (std::is_same_v<T, Touch>) {
                    const Avatar *avatar = avatarAt(a.avatar);
                    if (avatar && lookup(objects, a.object)) {
                        Emission e;
                        e.id = eventId;
                        e.kind = EventKind::Touch;
                        e.target = a.object;
                        e.source = a.avatar;
                        e.args = { ScriptValue(static_cast<std::int64_t>(a.avatar)),
                            ScriptValue(avatar->name) };
                        emissions.push_back(std::move(e));
                    }
                } else if constexpr (std::is_same_v<T, Collision>) {
                    if (lookup(objects, a.object)) {
                        Emission e;
                        e.id = eventId;
                        e.kind = EventKind::Collision;
                        e.target = a.object;
                        e.source = a.other;
                        e.args = { ScriptValue(static_cast<std::int64_t>(a.other)) };
                        emissions.push_back(std::move(e));
                    }
                } else if constexpr (std::is_same_v<T, PhysicsTransform>) {
                    if (Object *object = mutableObject(a.object)) {
                        object->position = clampToRegion(a.position, region);
                        object->rotation = a.rotation;
                    }
                } else if constexpr (std::is_same_v<T, CreateObject>) {
                    const bool scripted = !a.script.empty();
                    if (liveObjects >= limits.maxObjects
                        || (scripted && liveScripts >= limits.maxScripts)
                        || a.script.size() > limits.maxSourceBytes) {
                        ++m_report.stats.refused;
                        return;
                    }
                    Object object;
                    object.id = nextId++;
                    object.owner = a.owner;
                    object.name = clampText(a.name);
                    object.position = clampToRegion(a.position, region);
                    object.rotation = a.rotation;
                    object.scale = a.scale;
                    object.colour = a.colour;
                    object.text = clampText(a.text);
                    object.permissions = a.permissions;
                    if (scripted) {
                        object.script = ScriptInfo::make(a.script, 1, a.owner, {});
                        ++liveScripts;
                    }
                    ++liveObjects;
                    objects[object.id] = std::move(object);
                } else if constexpr (std::is_same_v<T, DeleteObject>) {
                    const Object *object = lookup(objects, a.object);
                    if (object && (a.by == 0 || a.by == object->owner)) {
                        if (object->script)
                            --liveScripts;
                        objects[a.object] = std::nullopt;
                        --liveObjects;
                    }
                } else if constexpr (std::is_same_v<T, EditScript>) {
                    Object *object = mutableObject(a.object);
                    if (!object)
                        return;
                    const bool allowed = a.author == 0 || a.author == object->owner
                        || (object->permissions & PermissionModify);
                    const bool adds = !object->script && !a.source.empty();
                    if (!allowed || a.source.size() > limits.maxSourceBytes
                        || (adds && liveScripts >= limits.maxScripts)) {
                        ++m_report.stats.refused;
                        return;
                    }
                    std::vector<ScriptRevision> history;
                    std::uint32_t revision = 1;
                    if (object->script) {
                        history = object->script->history;
                        history.push_back(ScriptRevision { object->script->revision, batch.tick,
                            object->script->author, object->script->source });
                        if (history.size() > limits.maxHistory)
                            history.erase(
                                history.begin(), history.end() - std::ptrdiff_t(limits.maxHistory));
                        revision = object->script->revision + 1;
                    } else if (!a.source.empty()) {
                        ++liveScripts;
                    }
                    if (a.source.empty() && object->script)
                        --liveScripts;
                    // An empty source removes the script but keeps its history readable.
                    object->script
                        = ScriptInfo::make(a.source, revision, a.author, std::move(history));
                    if (a.source.empty() && object->script->history.empty())
                        object->script.reset();
                    object->status = ScriptStatus();
                }
            },
            input->action);
    }

    if (!avatars.empty())
        commitAvatars(avatars);
    if (nextId != m_world->nextObjectId || !objects.empty()) {
        auto next = std::make_shared<WorldState>(*m_world);
        next->nextObjectId = nextId;
        m_world = std::move(next);
        commitObjects(objects);
    }
}

void TickEngine::commitAvatars(std::map<AvatarId, std::optional<Avatar>> &changes)
{
    auto next = std::make_shared<WorldState>(*m_world);
    std::vector<PersistentMap<Avatar>::Change> list;
    list.reserve(changes.size());
    for (auto &[id, avatar] : changes) {
        if (const Avatar *before = m_world->avatars.find(id))
            next->avatarHashSum -= before->hash;
        if (avatar) {
            avatar->finalize();
            next->avatarHashSum += avatar->hash;
            list.emplace_back(id, std::make_shared<const Avatar>(std::move(*avatar)));
        } else {
            list.emplace_back(id, nullptr);
        }
    }
    next->avatars = next->avatars.withChanges(list);
    m_world = std::move(next);
}

void TickEngine::commitObjects(Overlay &overlay)
{
    ObjectChanges changes;
    changes.reserve(overlay.size());
    for (auto &[id, object] : overlay) {
        std::shared_ptr<const Object> after;
        if (object) {
            object->finalize();
            after = std::make_shared<const Object>(std::move(*object));
        }
        changes.emplace_back(id, std::move(after));
    }
    commitObjects(changes);
}

void TickEngine::commitObjects(ObjectChanges &changes)
{
    if (changes.empty())
        return;
    auto next = std::make_shared<WorldState>(*m_world);
    std::size_t kept = 0;
    // The objects' old versions are rarely cached (their scripts ran on any core): asked for a
    // few changes ahead, whole, since the hash and the indices read all over them.
    constexpr std::size_t Ahead = 8;
    const auto prefetchBefore = [&](std::size_t k) {
        if (k < changes.size())
            if (const Object *o = m_world->objects.find(changes[k].first))
                for (std::size_t line = 0; line < sizeof(Object); line += 64)
                    __builtin_prefetch(reinterpret_cast<const char *>(o) + line);
    };
    for (std::size_t k = 0; k < Ahead; ++k)
        prefetchBefore(k);
    for (std::size_t k = 0; k < changes.size(); ++k) {
        auto &change = changes[k];
        prefetchBefore(k + Ahead);
        const Object *before = m_world->objects.find(change.first);
        const Object *after = change.second.get();
        if (!before && !after)
            continue;
        // A write that changed nothing is not a change: keeps the hash and indices quiet.
        if (before && after && before->hash == after->hash && before->script == after->script)
            continue;
        if (before)
            next->objectHashSum -= before->hash;
        if (after)
            next->objectHashSum += after->hash;
        indexObject(before, after);
        if (&changes[kept] != &change)
            changes[kept] = std::move(change);
        ++kept;
    }
    changes.resize(kept);
    m_report.stats.objectsChanged += static_cast<std::uint32_t>(changes.size());
    next->objects = next->objects.withChanges(changes);
    m_world = std::move(next);
}

void TickEngine::indexObject(const Object *before, const Object *after)
{
    const ObjectId id = before ? before->id : after->id;
    if (!before || !after || before->position != after->position) {
        if (before)
            m_objectsNear.remove(id, before->position);
        if (after)
            m_objectsNear.insert(id, after->position);
    }
    const bool hadScript = before && before->script;
    const bool hasScript = after && after->script;
    m_scriptCount += std::uint32_t(hasScript) - std::uint32_t(hadScript);
    // A new script or the end of one drops the VM; the new one is made by its first run.
    if (hadScript && (!hasScript || before->script != after->script))
        dropScript(id);

    const auto listening = [](const Object *o) {
        return o && runnable(*o) ? o->status.listenChannels : std::vector<std::int64_t>();
    };
    const auto oldChannels = listening(before);
    const auto newChannels = listening(after);
    if (oldChannels != newChannels) {
        for (std::int64_t channel : oldChannels) {
            auto it = m_listeners.find(channel);
            it->second.erase(id);
            if (it->second.empty())
                m_listeners.erase(it);
        }
        for (std::int64_t channel : newChannels)
            m_listeners[channel].insert(id);
    }

    // A timer rule that did not change keeps its bucket entry.
    const auto timed
        = [](const Object *o) { return o && runnable(*o) && o->status.timerInterval > 0; };
    const bool sameRule = timed(before) && timed(after)
        && before->status.timerInterval == after->status.timerInterval
        && before->status.timerStart == after->status.timerStart;
    if (timed(after) && !sameRule)
        m_timers[nextTimerTick(after->status, m_timerBase)].push_back(id);

    if (after && runnable(*after) && !after->status.loaded)
        m_needsLoad.insert(id);
    else
        m_needsLoad.erase(id);
}

void TickEngine::dropScript(ObjectId id)
{
    auto it = m_scripts.find(id);
    if (it == m_scripts.end())
        return;
    m_vmHashSum -= it->second.hash;
    m_scriptMemory -= it->second.memory;
    m_scripts.erase(it);
}

void TickEngine::rebuildIndices()
{
    m_objectsNear = SpatialIndex(m_world->region.size);
    m_listeners.clear();
    m_timers.clear();
    m_needsLoad.clear();
    m_scriptCount = 0;
    m_timerBase = m_world->tick;
    // indexObject drops VMs of scripts that changed; none did, so keep the table aside.
    auto scripts = std::move(m_scripts);
    m_world->objects.forEach(
        [&](ObjectId, const Object &object) { indexObject(nullptr, &object); });
    m_scripts = std::move(scripts);
}

std::size_t TickEngine::route(const TickBatch &batch, std::vector<Emission> &fresh)
{
    const RegionLimits &limits = m_world->region.limits;
    const std::uint64_t n = batch.tick;

    // Due timers: all share one event (a timer carries nothing but its target); its id, made
    // from the target, only orders it among that script's other events (runScripts).
    std::vector<ObjectId> timers;
    while (!m_timers.empty() && m_timers.begin()->first <= n) {
        const std::uint64_t due = m_timers.begin()->first;
        std::vector<ObjectId> ids = std::move(m_timers.begin()->second);
        m_timers.erase(m_timers.begin());
        if (!std::is_sorted(ids.begin(), ids.end()))
            std::sort(ids.begin(), ids.end());
        ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
        // Which entries are live (the object runs and this is still its rule) is read from
        // thousands of object records that are not in the cache: checked in parallel, each
        // range asking for its records a few ahead so their misses overlap. Then, in order, the
        // live ones fire and go to their next bucket.
        std::vector<std::uint64_t> &intervals = m_timerIntervals;
        intervals.assign(ids.size(), 0);
        const WorldState &world = *m_world;
        m_pool->parallelFor(ids.size(), [&](std::size_t begin, std::size_t end) {
            constexpr std::size_t Ahead = 16;
            for (std::size_t k = begin; k < std::min(begin + Ahead, end); ++k)
                prefetchObject(world.objects.find(ids[k]));
            for (std::size_t k = begin; k < end; ++k) {
                if (k + Ahead < end)
                    prefetchObject(world.objects.find(ids[k + Ahead]));
                const Object *object = world.objects.find(ids[k]);
                if (!object || !runnable(*object) || object->status.timerInterval <= 0)
                    continue;
                const ScriptStatus &status = object->status;
                const auto interval = static_cast<std::uint64_t>(status.timerInterval);
                // Stale: left by an earlier rule; the current rule has its own entry.
                if (due <= status.timerStart || (due - status.timerStart) % interval != 0)
                    continue;
                intervals[k] = interval;
            }
        });
        std::map<std::uint64_t, std::vector<ObjectId>>::iterator bucket = m_timers.end();
        for (std::size_t k = 0; k < ids.size(); ++k) {
            if (intervals[k] == 0)
                continue;
            timers.push_back(ids[k]);
            const std::uint64_t next = due + intervals[k];
            if (bucket == m_timers.end() || bucket->first != next)
                bucket = m_timers.try_emplace(next).first;
            bucket->second.push_back(ids[k]);
        }
    }
    m_timerBase = n;
    if (!std::is_sorted(timers.begin(), timers.end())) {
        std::sort(timers.begin(), timers.end());
        timers.erase(std::unique(timers.begin(), timers.end()), timers.end());
    }

    struct Delivery
    {
        ObjectId target;
        const Emission *event;
    };
    std::vector<Delivery> deliveries;
    deliveries.reserve(m_pending.size() + fresh.size() + timers.size());
    auto deliver = [&](ObjectId target, const Emission &e) {
        deliveries.push_back(Delivery { target, &e });
    };
    auto routeOne = [&](const Emission &e) {
        if (e.kind != EventKind::Listen) {
            const Object *object = m_world->objects.find(e.target);
            if (object && runnable(*object))
                deliver(e.target, e);
            return;
        }
        auto channel = m_listeners.find(e.channel);
        if (channel == m_listeners.end())
            return;
        const auto &listeners = channel->second;
        if (e.range == ChatRange::Region) {
            for (ObjectId id : listeners) {
                if (id != e.source)
                    deliver(id, e);
            }
            return;
        }
        const Fixed radius = chatRangeMetres(e.range);
        // Few listeners: check each; many: let the grid find the near ones.
        if (listeners.size() <= 32) {
            for (ObjectId id : listeners) {
                const Object *object = m_world->objects.find(id);
                if (id != e.source && object
                    && SpatialIndex::withinDistance(object->position, e.origin, radius))
                    deliver(id, e);
            }
        } else {
            m_objectsNear.forEachWithin(e.origin, radius, [&](const SpatialIndex::Entry &entry) {
                if (entry.id != e.source && listeners.count(entry.id))
                    deliver(entry.id, e);
            });
        }
    };
    for (const Emission &e : m_pending)
        routeOne(e);
    for (const Emission &e : fresh)
        routeOne(e);
    for (ObjectId id : timers)
        deliver(id, m_timerEvent);

    // Grouped by script here; each script's events are put in canonical order and capped by its
    // worker (runScripts). Often (timers only) already grouped.
    const auto byTarget = [](const Delivery &a, const Delivery &b) { return a.target < b.target; };
    if (!std::is_sorted(deliveries.begin(), deliveries.end(), byTarget))
        std::sort(deliveries.begin(), deliveries.end(), byTarget);

    auto loads = m_needsLoad.begin();
    // Runs are kept from tick to tick (their output buffers keep their capacity); the first
    // `count` are this tick's.
    std::size_t count = 0;
    auto nextRun = [&](ObjectId id) -> Run & {
        if (count == m_runs.size())
            m_runs.emplace_back();
        Run &run = m_runs[count++];
        run.start(id);
        return run;
    };
    m_inbox.clear();
    // Reserved in full: runs keep spans into it.
    m_inbox.reserve(deliveries.size());
    // The object and VM of a run are looked up by its worker (runScripts).
    auto addRun = [&](ObjectId id) -> Run & { return nextRun(id); };
    std::size_t i = 0;
    while (i < deliveries.size() || loads != m_needsLoad.end()) {
        const ObjectId nextDelivery = i < deliveries.size() ? deliveries[i].target : ~ObjectId(0);
        const ObjectId nextLoad = loads != m_needsLoad.end() ? *loads : ~ObjectId(0);
        const ObjectId id = std::min(nextDelivery, nextLoad);
        if (nextLoad == id)
            ++loads;
        Run &run = addRun(id);
        const std::size_t first = m_inbox.size();
        while (i < deliveries.size() && deliveries[i].target == id)
            m_inbox.push_back(deliveries[i++].event);
        run.events = std::span<const Emission *>(m_inbox.data() + first, m_inbox.size() - first);
    }
    // VM hashing is staggered: this tick re-hashes the VMs of one slot, those that run now and
    // those that ran since their last hash (hash-only runs).
    const std::uint32_t interval = limits.vmHashInterval;
    const auto slot = static_cast<std::uint32_t>((interval - n % interval) % interval);
    const std::size_t eventRuns = count;
    for (std::size_t r = 0; r < count; ++r)
        m_runs[r].hashVm = hashSlotOf(m_runs[r].id) == slot;
    std::vector<ObjectId> dirty;
    if (slot < m_dirtyVms.size())
        dirty.swap(m_dirtyVms[slot]);
    std::sort(dirty.begin(), dirty.end());
    dirty.erase(std::unique(dirty.begin(), dirty.end()), dirty.end());
    for (ObjectId id : dirty) {
        auto script = m_scripts.find(id);
        if (script == m_scripts.end() || !script->second.dirty)
            continue;
        const bool running = std::binary_search(m_runs.begin(),
            m_runs.begin() + std::ptrdiff_t(eventRuns), id, [](const auto &a, const auto &b) {
                if constexpr (std::is_same_v<std::decay_t<decltype(a)>, Run>)
                    return a.id < b;
                else
                    return a < b.id;
            });
        if (running)
            continue;
        Run &run = nextRun(id);
        run.hashOnly = true;
        run.hashVm = true;
    }
    // Both parts are sorted by id.
    if (count != eventRuns)
        std::inplace_merge(m_runs.begin(), m_runs.begin() + std::ptrdiff_t(eventRuns),
            m_runs.begin() + std::ptrdiff_t(count),
            [](const Run &a, const Run &b) { return a.id < b.id; });
    return count;
}

void TickEngine::orderInbox(Run &run, const TickBatch &batch) const
{
    // Canonical order: hash(tick seed, script, event id); the event id breaks (astronomically
    // unlikely) key ties so the order stays total. Then the queue limit.
    if (run.events.size() > 1) {
        struct Keyed
        {
            std::uint64_t key;
            std::uint64_t id;
            const Emission *event;
        };
        thread_local std::vector<Keyed> keyed;
        keyed.clear();
        for (const Emission *e : run.events) {
            const std::uint64_t id
                = e == &m_timerEvent ? hashWords(batch.tick, TimerSalt, run.id) : e->id;
            keyed.push_back(Keyed { canonicalKey(batch.seed, run.id, id), id, e });
        }
        std::sort(keyed.begin(), keyed.end(), [](const Keyed &a, const Keyed &b) {
            if (a.key != b.key)
                return a.key < b.key;
            return a.id < b.id;
        });
        for (std::size_t i = 0; i < keyed.size(); ++i)
            run.events[i] = keyed[i].event;
    }
    const std::uint32_t limit = m_world->region.limits.maxEventsInPerScript;
    if (run.events.size() > limit) {
        run.droppedIn = static_cast<std::uint32_t>(run.events.size() - limit);
        run.events = run.events.first(limit);
    }
}

void TickEngine::runScripts(std::span<Run> runs, const TickBatch &batch)
{
    // Loads are refused while the region's script memory is full: checked once, before the
    // parallel phase, so every replica refuses the same ones.
    const bool memoryFull = m_scriptMemory >= m_world->region.limits.maxScriptMemory;
    const ScriptLimits limits = scriptLimits();
    const WorldState &world = *m_world;
    std::atomic<std::uint64_t> memoryDeltas { 0 };
    std::atomic<std::uint64_t> hashDeltas { 0 };
    m_pool->parallelFor(runs.size(), [&](std::size_t begin, std::size_t end) {
        // First the look-ups for the whole range, then the runs, each prefetching the next
        // one's VM: a VM's state is cold by its turn (ten thousand of them do not fit in the
        // caches), and waiting for its misses one at a time was most of a script's cost.
        //
        // Runs are sorted by id, so the script table is walked in order from one look-up rather
        // than searched for each run (each search chased a dozen cold tree nodes).
        auto slot = m_scripts.lower_bound(runs[begin].id);
        // This range's share of the changes to m_scriptMemory and m_vmHashSum (sums, so the
        // order the ranges add them in does not matter; unsigned, so they wrap alike).
        std::uint64_t memoryDelta = 0;
        std::uint64_t hashDelta = 0;
        for (std::size_t index = begin; index < end; ++index) {
            Run &run = runs[index];
            // Read-only look-ups of the world and the script table: nothing changes them now.
            run.object = world.objects.find(run.id);
            // A few steps ahead at most; a sparse tick (few scripts run) searches instead.
            for (int step = 0; slot != m_scripts.end() && slot->first < run.id; ++step) {
                if (step == 4) {
                    slot = m_scripts.lower_bound(run.id);
                    break;
                }
                ++slot;
            }
            if (slot != m_scripts.end() && slot->first == run.id) {
                run.slot = &slot->second;
                run.vm = slot->second.vm.get();
                __builtin_prefetch(run.vm);
                __builtin_prefetch(reinterpret_cast<const char *>(run.vm) + 64);
            }
        }
        if (runs[begin].vm)
            runs[begin].vm->prefetch();
        for (std::size_t index = begin; index < end; ++index) {
            Run &run = runs[index];
            if (index + 1 < end && runs[index + 1].vm)
                runs[index + 1].vm->prefetch();
            run.out.reset();
            if (!run.hashOnly) {
                run.load = !run.object->status.loaded || !run.vm;
                run.refuseLoad = run.load && memoryFull;
                orderInbox(run, batch);
            }
            ScriptContext context(world, m_objectsNear, *run.object, batch.tick, batch.seed);
            context.run(run.vm, run.load, run.refuseLoad, run.events, limits, run.hashVm, run.out);
            settle(run, memoryDelta, hashDelta);
        }
        memoryDeltas.fetch_add(memoryDelta, std::memory_order_relaxed);
        hashDeltas.fetch_add(hashDelta, std::memory_order_relaxed);
    });
    m_scriptMemory += memoryDeltas.load();
    m_vmHashSum += hashDeltas.load();
    m_report.stats.eventsDelivered = 0;
    for (const Run &run : runs)
        m_report.stats.eventsDelivered += static_cast<std::uint32_t>(run.events.size());
}

void TickEngine::settle(Run &run, std::uint64_t &memoryDelta, std::uint64_t &hashDelta) const
{
    // The script's own slot, which no other worker touches: its accounting is done here, in
    // parallel, so the serial merge visits only runs with something to merge. A new VM has no
    // slot yet (the merge makes one).
    ScriptOutput &out = run.out;
    if (run.slot && !out.newVm) {
        ScriptSlot &s = *run.slot;
        memoryDelta += std::uint64_t(out.vmMemory) - std::uint64_t(s.memory);
        s.memory = out.vmMemory;
        if (out.hashed) {
            const std::uint64_t hash = hashCombine(run.id, out.vmHash);
            hashDelta += hash - s.hash;
            s.hash = hash;
            s.dirty = false;
        } else if (!s.dirty || run.hashVm) {
            // (A run that was to hash and did not: its slot's list was taken this tick.)
            s.dirty = true;
            run.markDirty = true;
        }
        run.settled = true;
    }
    run.forMerge = !run.settled || run.markDirty || run.droppedIn > 0 || out.written
        || out.droppedOut > 0 || !out.error.empty() || out.loadRefused || !out.emitted.empty()
        || !out.chat.empty() || !out.rez.empty() || !out.derez.empty();
}

void TickEngine::merge(std::span<Run> runs)
{
    const RegionConfig &region = m_world->region;
    const RegionLimits &limits = region.limits;
    const std::uint64_t n = m_world->tick;
    ObjectChanges writes; // in script id order
    ObjectChanges children; // in id order, after every existing id
    std::set<ObjectId> derez;
    std::vector<Emission> pending;
    std::size_t liveObjects = m_world->objects.size();
    std::uint32_t liveScripts = m_scriptCount;
    ObjectId nextId = m_world->nextObjectId;

    for (const Run &run : runs) {
        if (run.forMerge && run.droppedIn > 0) {
            m_report.stats.eventsDroppedIn += run.droppedIn;
            m_report.problems.push_back(ScriptProblem { run.id,
                "event queue overflow: dropped " + std::to_string(run.droppedIn) + " events" });
        }
    }
    for (Run &run : runs) {
        if (!run.forMerge)
            continue;
        ScriptOutput &out = run.out;
        if (out.newVm) {
            dropScript(run.id);
            run.slot = &m_scripts[run.id];
            run.slot->vm = std::move(out.newVm);
        }
        if (run.markDirty)
            markVmDirty(run.id);
        // (Slots of other scripts are neither added nor removed in this loop.)
        if (run.slot && !run.settled) {
            ScriptSlot &s = *run.slot;
            m_scriptMemory -= s.memory;
            s.memory = out.vmMemory;
            m_scriptMemory += s.memory;
            if (out.hashed) {
                m_vmHashSum -= s.hash;
                s.hash = hashCombine(run.id, out.vmHash);
                m_vmHashSum += s.hash;
                s.dirty = false;
            } else if (!s.dirty || run.hashVm) {
                // (A run that was to hash and did not: its slot's list was taken this tick.)
                s.dirty = true;
                markVmDirty(run.id);
            }
        }
        if (out.written)
            writes.emplace_back(run.id, std::move(out.written));
        if (out.droppedOut > 0) {
            m_report.stats.eventsDroppedOut += out.droppedOut;
            m_report.problems.push_back(ScriptProblem {
                run.id, "too many queued events: dropped " + std::to_string(out.droppedOut) });
        }
        if (!out.error.empty()) {
            ++m_report.stats.scriptErrors;
            m_report.problems.push_back(ScriptProblem { run.id, out.error });
        }
        if (out.loadRefused)
            ++m_report.stats.refused;
        for (Emission &e : out.emitted)
            pending.push_back(std::move(e));
        for (ChatLine &line : out.chat)
            m_report.chat.push_back(std::move(line));
        for (RezRequest &rez : out.rez) {
            const bool scripted = !rez.script.empty();
            if (liveObjects >= limits.maxObjects
                || (scripted && liveScripts >= limits.maxScripts)) {
                ++m_report.stats.refused;
                continue;
            }
            Object child;
            child.id = nextId++;
            child.owner = run.object->owner;
            child.parent = run.id;
            child.name = std::move(rez.name);
            child.position = clampToRegion(rez.position, region);
            child.rotation = rez.rotation;
            child.scale = rez.scale;
            child.colour = rez.colour;
            child.text = std::move(rez.text);
            child.permissions = run.object->permissions;
            if (scripted) {
                child.script = ScriptInfo::make(std::move(rez.script), 1, run.object->owner, {});
                ++liveScripts;
            }
            ++liveObjects;
            ++m_report.stats.rezzed;
            Emission e;
            e.id = hashWords(n, RezSalt, child.id);
            e.kind = EventKind::ObjectRez;
            e.target = run.id;
            e.source = child.id;
            e.args = { ScriptValue(static_cast<std::int64_t>(child.id)) };
            pending.push_back(std::move(e));
            child.finalize();
            const ObjectId childId = child.id;
            children.emplace_back(childId, std::make_shared<const Object>(std::move(child)));
        }
        for (ObjectId id : out.derez)
            derez.insert(id);
    }
    // Deletions after all writes: a derezzed object's own write in the same tick does not
    // bring it back.
    ObjectChanges changes = std::move(writes);
    std::move(children.begin(), children.end(), std::back_inserter(changes));
    if (!derez.empty()) {
        ObjectChanges merged;
        merged.reserve(changes.size() + derez.size());
        auto write = changes.begin();
        for (ObjectId id : derez) {
            while (write != changes.end() && write->first < id)
                merged.push_back(std::move(*write++));
            if (write != changes.end() && write->first == id) {
                ++write;
                merged.emplace_back(id, nullptr);
                ++m_report.stats.derezzed;
            } else if (m_world->objects.find(id)) {
                merged.emplace_back(id, nullptr);
                ++m_report.stats.derezzed;
            }
        }
        std::move(write, changes.end(), std::back_inserter(merged));
        changes = std::move(merged);
    }
    if (nextId != m_world->nextObjectId) {
        auto next = std::make_shared<WorldState>(*m_world);
        next->nextObjectId = nextId;
        m_world = std::move(next);
    }
    // Own writes were finalized by their workers, children above.
    commitObjects(changes);

    m_pending = std::move(pending);
    Writer out;
    for (const Emission &e : m_pending)
        e.encode(out);
    m_pendingHash = hashBytes(out.bytes(), 0x9e4d);
}

void TickEngine::chatToAvatars()
{
    std::vector<HeardChat> &heard = m_report.heard;
    if (m_world->avatars.size() == 0)
        return;
    for (const ChatLine &line : m_report.chat) {
        if (line.channel != 0)
            continue;
        const Fixed radius = chatRangeMetres(line.range);
        m_world->avatars.forEach([&](AvatarId id, const Avatar &avatar) {
            if (line.range == ChatRange::Region
                || SpatialIndex::withinDistance(avatar.position, line.position, radius))
                heard.push_back(HeardChat { id, line });
        });
    }
    std::stable_sort(heard.begin(), heard.end(),
        [](const HeardChat &a, const HeardChat &b) { return a.avatar < b.avatar; });
}

std::uint64_t TickEngine::computeHash() const
{
    Writer region;
    m_world->region.encode(region);
    std::uint64_t h = hashBytes(region.bytes(), 0x4e610u);
    h = hashCombine(h, m_world->tick);
    h = hashCombine(h, m_world->nextObjectId);
    h = hashCombine(h, m_world->objectHashSum);
    h = hashCombine(h, m_world->avatarHashSum);
    h = hashCombine(h, m_vmHashSum);
    h = hashCombine(h, m_pendingHash);
    return h;
}

std::vector<ScriptRevision> TickEngine::scriptHistory(ObjectId object) const
{
    const Object *o = m_world->objects.find(object);
    if (!o || !o->script)
        return {};
    std::vector<ScriptRevision> all = o->script->history;
    all.push_back(ScriptRevision { o->script->revision, 0, o->script->author, o->script->source });
    return all;
}

std::uint64_t TickEngine::scriptHash(ObjectId object) const
{
    auto it = m_scripts.find(object);
    return it != m_scripts.end() && it->second.vm ? it->second.vm->stateHash() : 0;
}

} // namespace metatopia::sim
