// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include "cluster/ActionBatch.h"
#include "cluster/ActionDeduper.h"
#include "cluster/ReplicatedStateMachine.h"
#include "sim/Input.h"
#include "sim/TickEngine.h"

#include <QByteArray>
#include <QTemporaryDir>

#include <map>
#include <memory>
#include <mutex>
#include <optional>

namespace metatopia::cluster {

// One raft log entry of a sim cluster: the leader's proposal for one tick. Every committed entry
// is exactly one tick, numbered by the replicas themselves (their engine's tick + 1), so an entry
// an old leader left in the log and a new leader's entry both simply become ticks: nothing can
// make a replica skip or repeat a tick. `tick` is the proposer's guess, kept for diagnosis.
// The proposer also publishes its state hash after `hashTick`; every replica compares its own.
// Encoding, little-endian: u8 version (1), u64 tick, u64 hashTick, u64 hash, then an ActionBatch.
struct TickEntry
{
    static constexpr quint8 Version = 1;
    quint64 tick = 0;
    quint64 hashTick = 0; // 0: no hash published
    quint64 hash = 0;
    QByteArray actions; // ActionBatch bytes

    QByteArray encode() const;
    static std::optional<TickEntry> decode(const QByteArray &bytes);
};

struct SimStateMachineOptions
{
    quint64 clusterId = 1; // mixed into every tick seed
    sim::EngineConfig engine;
    size_t hashHistory = 4096; // ticks whose hash is kept for the divergence check
    // Test-only fault: at this tick, add a stray object on this replica only (0: never).
    quint64 faultAtTick = 0;
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
    // The tick a log index became (recent entries only).
    std::optional<quint64> tickOfIndex(quint64 index) const;
    // This replica's state hash after `tick` (recent ticks only).
    std::optional<quint64> hashAt(quint64 tick) const;

private:
    void publish(quint64 index, qint64 tickNs);
    void remember(quint64 index, quint64 tick, quint64 hash);

    SimStateMachineOptions m_options;
    std::unique_ptr<sim::TickEngine> m_engine;
    ActionDeduper m_deduper;
    QTemporaryDir m_scratch; // snapshot files: the sim serialises to SQLite

    mutable std::mutex m_mutex; // guards everything below
    View m_view;
    std::map<quint64, quint64> m_hashes; // tick -> hash
    std::map<quint64, quint64> m_ticks; // log index -> tick
};

} // namespace metatopia::cluster
