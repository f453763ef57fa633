// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include "cluster/ActionBatch.h"
#include "cluster/ActionDeduper.h"
#include "cluster/ReplicatedStateMachine.h"
#include "sim/Input.h"
#include "sim/TickEngine.h"

#include <QByteArray>
#include <QString>
#include <QTemporaryDir>

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

namespace metatopia::cluster {

// One raft log entry of a sim cluster: the leader's proposal for one tick. Every committed entry
// is exactly one tick, numbered by the replicas themselves (their engine's tick + 1), so an entry
// an old leader left in the log and a new leader's entry both simply become ticks: nothing can
// make a replica skip or repeat a tick. `tick` is the proposer's guess, kept for diagnosis.
// Besides the client actions an entry carries what the replicas must agree on about each other:
// state hashes the replicas reported for ticks they executed (the majority-vote divergence check
// reads them from the log, so every replica judges from the same reports) and changes to the
// member directory (which client gateway address belongs to which raft id).
// Encoding, little-endian: u8 version, u64 tick, u64 hashTick, u64 hash; version 2 then has
// u32 count + reports (u64 replica, u64 tick, u64 hash), u32 count + member changes (u64 id,
// u8 present, u32 length, client address UTF-8); then an ActionBatch. Version 1 (no reports, no
// members) is written when both lists are empty and is always accepted.
struct HashReport
{
    quint64 replica = 0;
    quint64 tick = 0;
    quint64 hash = 0;
    bool operator==(const HashReport &) const = default;
};

struct MemberChange
{
    quint64 id = 0;
    QString clientAddress; // empty: the member was removed
    bool operator==(const MemberChange &) const = default;
};

struct TickEntry
{
    static constexpr quint8 Version = 1;
    static constexpr quint8 VersionWithReports = 2;
    static constexpr quint32 MaxReports = 1u << 16;
    static constexpr quint32 MaxMembers = 1024;
    quint64 tick = 0;
    quint64 hashTick = 0; // 0: no hash published
    quint64 hash = 0;
    std::vector<HashReport> reports;
    std::vector<MemberChange> members;
    QByteArray actions; // ActionBatch bytes

    QByteArray encode() const;
    static std::optional<TickEntry> decode(const QByteArray &bytes);
};

struct SimStateMachineOptions
{
    quint64 clusterId = 1; // mixed into every tick seed
    sim::EngineConfig engine;
    size_t hashHistory = 4096; // ticks whose hash is kept for the divergence check
    // Ticks whose whole world is kept (structurally shared, so cheap) to compare object by object
    // with another replica after a divergence.
    size_t worldHistory = 256;
    // Test-only fault: at this tick, add a stray object on this replica only (0: never).
    quint64 faultAtTick = 0;
    // Public chat heard by avatars (TickReport::heard) is kept for the gateway for this many
    // ticks, and at most maxHeardLines lines in all (the oldest ticks go first): enough for a
    // gateway thread that falls a few seconds behind the raft thread.
    size_t heardHistory = 1024;
    size_t maxHeardLines = 16384;
};

// The sim as raft's replicated state: each committed TickEntry becomes TickBatch n (seed derived
// from the cluster id and n, client actions after the replicated ActionDeduper, input ids in log
// order) and is stepped through the TickEngine. Runs on the raft thread (see
// ReplicatedStateMachine); what other threads may read is published behind a mutex.
class SimStateMachine final : public ReplicatedStateMachine
{
public:
    explicit SimStateMachine(SimStateMachineOptions options);
    ~SimStateMachine() override;

    void apply(quint64 index, const QByteArray &batch) override;
    QByteArray snapshot() override;
    bool restore(const QByteArray &snapshot) override;

    // An action payload as carried in ActionBatch: one sim input in the sim's own codec.
    static QByteArray encodeAction(const sim::InputAction &action);
    static std::optional<sim::InputAction> decodeAction(const QByteArray &payload);
    static quint64 seedFor(quint64 clusterId, quint64 tick);

    struct Divergence
    {
        quint64 tick = 0;
        quint64 ownHash = 0;
        quint64 leaderHash = 0;
    };

    // Published after every apply/restore; safe from any thread.
    struct View
    {
        quint64 index = 0; // last applied log index
        quint64 tick = 0;
        quint64 hash = 0;
        std::shared_ptr<const sim::WorldState> world;
        quint64 actionsApplied = 0;
        quint64 duplicates = 0;
        quint64 malformed = 0;
        qint64 lastTickNs = 0; // wall time of the last step, monitoring only
        quint64 divergences = 0;
        std::optional<Divergence> firstDivergence;
    };
    View view() const;
    // The member directory as replicated through the log (raft id -> client gateway address).
    std::map<quint64, QString> directory() const;
    // S(tick) if it is recent enough to be kept (see worldHistory).
    std::shared_ptr<const sim::WorldState> worldAt(quint64 tick) const;

    // Resync of a diverged replica (raft thread only, like apply): the state of a healthy replica
    // after its log index `index`, as snapshot() wrote it. Refused (false, state untouched) when
    // this replica already applied past `index`; otherwise the state is replaced and the entries
    // up to `index` that raft still delivers are skipped, since the snapshot contains them.
    bool install(quint64 index, const QByteArray &snapshot, QString *error = nullptr);
    // The tick a log index became (recent entries only).
    std::optional<quint64> tickOfIndex(quint64 index) const;
    // This replica's state hash after `tick` (recent ticks only).
    std::optional<quint64> hashAt(quint64 tick) const;

    // What one avatar heard in ticks after `afterTick` up to `upToTick`, in tick order (and in
    // the engine's order within a tick). Identical on every replica, since each applies every
    // tick. `missedTicks`: how many ticks of that span are no longer kept (too old, or before a
    // restore), so their lines, if there were any, cannot be given.
    struct HeardLines
    {
        std::vector<std::pair<quint64, sim::ChatLine>> lines; // (tick, line)
        quint64 missedTicks = 0;
    };
    HeardLines heardBy(sim::AvatarId avatar, quint64 afterTick, quint64 upToTick) const;

private:
    void publish(quint64 index, qint64 tickNs);
    void remember(quint64 index, quint64 tick, quint64 hash);
    void keepHeard(quint64 tick, const std::vector<sim::HeardChat> &heard);
    bool restoreState(const QByteArray &snapshot, quint64 *stateIndex);

    SimStateMachineOptions m_options;
    std::unique_ptr<sim::TickEngine> m_engine;
    ActionDeduper m_deduper;
    QTemporaryDir m_scratch; // snapshot files: the sim serialises to SQLite

    mutable std::mutex m_mutex; // guards everything below
    View m_view;
    std::map<quint64, quint64> m_hashes; // tick -> hash
    std::map<quint64, quint64> m_ticks; // log index -> tick
    std::map<quint64, std::shared_ptr<const sim::WorldState>> m_worlds; // tick -> S(tick)
    std::map<quint64, QString> m_directory;
    // tick -> the heard lines of that tick (sorted by avatar, as the engine leaves them); ticks
    // where nobody heard anything are not stored. Ticks up to m_heardFloor are not known.
    std::map<quint64, std::vector<sim::HeardChat>> m_heard;
    size_t m_heardLines = 0;
    quint64 m_heardFloor = 0;
    // Entries up to this index are already in the state (it came from a resync snapshot taken
    // after them): raft delivers them again, they are skipped.
    quint64 m_skipUntil = 0;
};

} // namespace metatopia::cluster
