// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

// libs/sim: the deterministic sim of one region. TickEngine turns S(n-1) and the agreed batch B(n)
// into S(n):
//   1. apply the batch's world changes (avatars, admin actions, physics, script edits) in input-id
//      order: script edits take effect here, at the tick boundary;
//   2. route the events of the batch, the events scripts queued in tick n-1 and the due timers to
//      scripts (by target, by channel and radius); each script's inbox is sorted by the canonical
//      key hash(tick seed, script id, event id) and capped (excess counted as overflow);
//   3. run the scripts with work on a thread pool; each reads S(n) and writes only its own object
//      and its own result slot, so nothing depends on threads or scheduling (a worker also
//      settles its script's memory and VM hash as order-free sums, and prefetches the next
//      script's VM: ten thousand VMs do not fit in the caches);
//   4. merge the slots with output in script-id order: own writes, queued events (for n+1),
//      rez/derez;
//   5. update the derived indices and the incremental state hash from the changes alone.
// Nothing here reads the wall clock (except to report durations), thread ids or addresses.

#include "sim/Events.h"
#include "sim/Input.h"
#include "sim/SpatialIndex.h"
#include "sim/World.h"

#include <QString>

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

namespace metatopia::sim {

class WorkerPool;
class ScriptContext;

struct TickStats
{
    std::uint64_t tick = 0;
    std::uint64_t hash = 0;
    std::uint32_t objects = 0;
    std::uint32_t avatars = 0;
    std::uint32_t scripts = 0;
    std::uint32_t scriptsRun = 0;
    std::uint32_t eventsDelivered = 0;
    std::uint32_t eventsDroppedIn = 0; // inbox over maxEventsInPerScript
    std::uint32_t eventsDroppedOut = 0; // a script queued more than maxEventsOutPerScript
    std::uint32_t scriptErrors = 0; // scripts suspended this tick
    std::uint32_t objectsChanged = 0;
    std::uint32_t rezzed = 0;
    std::uint32_t derezzed = 0;
    std::uint32_t refused = 0; // creations, rezzes, loads refused by region limits
    std::uint64_t scriptMemory = 0;
    // Wall-clock durations for monitoring only; never part of the state or the hash.
    std::int64_t applyNs = 0;
    std::int64_t routeNs = 0;
    std::int64_t runNs = 0;
    std::int64_t mergeNs = 0;
    // CPU time on the tick's critical path: the calling thread's outside the parallel phase
    // plus the busiest thread's inside it. What the tick takes on otherwise idle cores; unlike
    // the wall times above it does not grow when other processes take the CPU.
    std::int64_t criticalCpuNs = 0;
    std::int64_t parallelCpuNs = 0; // of which the busiest thread in the parallel phase
    std::int64_t parallelTotalCpuNs = 0; // all threads together in the parallel phase
};

struct TickReport
{
    TickStats stats;
    std::vector<ScriptProblem> problems;
    std::vector<ChatLine> chat;
    // Channel-0 lines of `chat` as each avatar in range hears them: sorted by avatar, then in
    // the order of `chat`.
    std::vector<HeardChat> heard;
};

struct EngineConfig
{
    RegionConfig region;
    int threads = 1;
};

class TickEngine
{
public:
    explicit TickEngine(EngineConfig config);
    ~TickEngine();
    TickEngine(const TickEngine &) = delete;
    TickEngine &operator=(const TickEngine &) = delete;

    // Runs tick batch.tick, which must be tick() + 1.
    const TickReport &step(const TickBatch &batch);

    std::uint64_t tick() const noexcept { return m_world->tick; }
    // The state hash after tick(): world, script VMs and queued events.
    std::uint64_t stateHash() const noexcept { return m_hash; }
    // S(tick()): immutable, safe to keep and read from any thread.
    std::shared_ptr<const WorldState> state() const noexcept { return m_world; }
    const TickReport &lastReport() const noexcept { return m_report; }
    const RegionConfig &region() const noexcept { return m_world->region; }
    int threads() const;
    // Uses only the first `threads` of the configured threads from the next tick on (results
    // never depend on it): what bench_sim alternates to compare 1 and 2 threads on one world.
    void setThreads(int threads);

    // The current source and every earlier revision of an object's script (copyleft: readable
    // by anyone). Empty when the object has no script and never had one.
    std::vector<ScriptRevision> scriptHistory(ObjectId object) const;

    // VM state hash of a scripted object (0 when it has no VM).
    std::uint64_t scriptHash(ObjectId object) const;

    // Snapshot of S(tick()) with script VMs and queued events into an SQLite file.
    std::optional<std::string> saveSnapshot(const QString &path) const;
    // A sim that continues exactly where the saved one stopped.
    static std::unique_ptr<TickEngine> loadSnapshot(
        const QString &path, int threads, std::string *error);

private:
    struct ScriptSlot
    {
        std::unique_ptr<ScriptVm> vm;
        std::uint64_t hash = 0; // hashCombine(id, vm->stateHash()) when last hashed, 0 before
        std::size_t memory = 0;
        bool dirty = false; // ran since it was last hashed
    };
    using Overlay = std::map<ObjectId, std::optional<Object>>; // nullopt: deleted
    struct Run;

    const Object *lookup(const Overlay &overlay, ObjectId id) const;
    void applyInputs(const TickBatch &batch, std::vector<Emission> &emissions);
    using ObjectChanges = std::vector<PersistentMap<Object>::Change>;
    // Finalizes the overlay's objects and commits them.
    void commitObjects(Overlay &overlay);
    // Commits new versions of objects (null: deleted), sorted by id, already finalized. Drops
    // from `changes` those that change nothing.
    void commitObjects(ObjectChanges &changes);
    void commitAvatars(std::map<AvatarId, std::optional<Avatar>> &changes);
    void indexObject(const Object *before, const Object *after);
    void rebuildIndices();
    // Fills m_runs; returns how many of them this tick has.
    std::size_t route(const TickBatch &batch, std::vector<Emission> &fresh);
    void runScripts(std::span<Run> runs, const TickBatch &batch);
    void orderInbox(Run &run, const TickBatch &batch) const;
    void settle(Run &run, std::uint64_t &memoryDelta, std::uint64_t &hashDelta) const;
    void merge(std::span<Run> runs);
    void chatToAvatars();
    void dropScript(ObjectId id);
    std::uint64_t computeHash() const;
    ScriptLimits scriptLimits() const;
    static std::uint64_t canonicalKey(std::uint64_t seed, ObjectId script, std::uint64_t event);

    friend class ScriptContext;
    friend class SnapshotIo;

    std::shared_ptr<const WorldState> m_world;
    std::vector<std::uint64_t> m_timerIntervals; // route()'s scratch, kept for its capacity
    std::unique_ptr<WorkerPool> m_pool;
    std::map<ObjectId, ScriptSlot> m_scripts;
    // VMs that ran since they were last hashed, by hash slot (id % vmHashInterval). Entries of
    // dropped or already hashed VMs are skipped when their slot comes up (ScriptSlot::dirty).
    std::vector<std::vector<ObjectId>> m_dirtyVms;
    void markVmDirty(ObjectId id);
    std::uint32_t hashSlotOf(ObjectId id) const;
    std::uint64_t m_vmHashSum = 0;
    std::uint64_t m_scriptMemory = 0;
    std::vector<Emission> m_pending; // queued in tick(), delivered in tick() + 1
    std::uint64_t m_pendingHash = 0;
    std::uint64_t m_hash = 0;
    TickReport m_report;

    // Derived from the world, rebuilt on restore, updated from changes.
    SpatialIndex m_objectsNear;
    std::map<std::int64_t, std::set<ObjectId>> m_listeners;
    // Firing tick -> objects whose timer may fire then. An entry is checked against the
    // object's timer rule when its tick comes (stale ones, left by changed rules or deleted
    // objects, are dropped then), so changing a timer never searches the buckets.
    std::map<std::uint64_t, std::vector<ObjectId>> m_timers;
    std::uint64_t m_timerBase = 0; // timer keys are the first firing after this tick
    Emission m_timerEvent; // what every due timer delivers
    std::vector<Run> m_runs; // reused from tick to tick
    std::vector<const Emission *> m_inbox; // this tick's events, grouped by script
    std::set<ObjectId> m_needsLoad;
    std::uint32_t m_scriptCount = 0;
};

} // namespace metatopia::sim
