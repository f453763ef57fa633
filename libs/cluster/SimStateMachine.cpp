// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "cluster/SimStateMachine.h"

#include "sim/Codec.h"
#include "sim/Hash.h"

#include <QElapsedTimer>
#include <QFile>
#include <QtEndian>

#include <cstring>

namespace metatopia::cluster {

namespace {

constexpr quint32 SnapshotMagic = 0x534d5331; // "SMS1"

void putU64(QByteArray &out, quint64 value)
{
    char bytes[8];
    qToLittleEndian(value, bytes);
    out.append(bytes, 8);
}

quint64 getU64(const QByteArray &in, qsizetype at)
{
    return qFromLittleEndian<quint64>(in.constData() + at);
}

} // namespace

QByteArray TickEntry::encode() const
{
    QByteArray out;
    out.reserve(25 + actions.size());
    out.append(char(Version));
    putU64(out, tick);
    putU64(out, hashTick);
    putU64(out, hash);
    out.append(actions);
    return out;
}

std::optional<TickEntry> TickEntry::decode(const QByteArray &bytes)
{
    if (bytes.size() < 25 || quint8(bytes[0]) != Version)
        return std::nullopt;
    TickEntry entry;
    entry.tick = getU64(bytes, 1);
    entry.hashTick = getU64(bytes, 9);
    entry.hash = getU64(bytes, 17);
    entry.actions = bytes.mid(25);
    return entry;
}

SimStateMachine::SimStateMachine(SimStateMachineOptions options)
    : m_options(std::move(options))
    , m_engine(std::make_unique<sim::TickEngine>(m_options.engine))
{
    publish(0, 0);
}

SimStateMachine::~SimStateMachine() = default;

QByteArray SimStateMachine::encodeAction(const sim::InputAction &action)
{
    sim::TickBatch one;
    one.inputs.push_back(sim::Input { 0, action });
    const std::string bytes = one.encode();
    return QByteArray(bytes.data(), qsizetype(bytes.size()));
}

std::optional<sim::InputAction> SimStateMachine::decodeAction(const QByteArray &payload)
{
    try {
        sim::TickBatch one
            = sim::TickBatch::decode(std::string_view(payload.constData(), size_t(payload.size())));
        if (one.inputs.size() != 1)
            return std::nullopt;
        return std::move(one.inputs.front().action);
    } catch (const sim::CodecError &) {
        return std::nullopt;
    }
}

quint64 SimStateMachine::seedFor(quint64 clusterId, quint64 tick)
{
    return sim::hashWords(0x6d657461746f7069ull, clusterId, tick);
}

void SimStateMachine::apply(quint64 index, const QByteArray &batch)
{
    const std::optional<TickEntry> entry = TickEntry::decode(batch);
    std::optional<ActionBatch> actions;
    if (entry)
        actions = ActionBatch::decode(entry->actions);
    if (!actions) {
        // Identical on every replica: a no-op, not a tick.
        std::lock_guard lock(m_mutex);
        ++m_view.malformed;
        m_view.index = index;
        return;
    }

    // The proposer's hash for a tick we executed too: ours must be the same.
    if (entry->hashTick != 0) {
        std::lock_guard lock(m_mutex);
        const auto own = m_hashes.find(entry->hashTick);
        if (own != m_hashes.end() && own->second != entry->hash) {
            ++m_view.divergences;
            if (!m_view.firstDivergence)
                m_view.firstDivergence = Divergence { entry->hashTick, own->second, entry->hash };
        }
    }

    sim::TickBatch tick;
    tick.tick = m_engine->tick() + 1;
    tick.seed = seedFor(m_options.clusterId, tick.tick);
    quint64 fresh = 0;
    quint64 duplicates = 0;
    for (const Action &action : actions->actions) {
        if (m_deduper.accept(action.key) != ActionDeduper::Verdict::Fresh) {
            ++duplicates;
            continue;
        }
        // Counted as applied even when the sim cannot decode it: the action was consumed, and a
        // resend must not be tried again.
        ++fresh;
        if (std::optional<sim::InputAction> input = decodeAction(action.payload))
            tick.inputs.push_back(sim::Input { tick.inputs.size() + 1, std::move(*input) });
    }
    if (m_options.faultAtTick != 0 && tick.tick == m_options.faultAtTick) {
        sim::CreateObject stray;
        stray.name = "injected-fault";
        tick.inputs.push_back(sim::Input { tick.inputs.size() + 1, std::move(stray) });
    }

    QElapsedTimer timer;
    timer.start();
    m_engine->step(tick);
    const qint64 ns = timer.nsecsElapsed();
    {
        std::lock_guard lock(m_mutex);
        m_view.actionsApplied += fresh;
        m_view.duplicates += duplicates;
    }
    remember(index, m_engine->tick(), m_engine->stateHash());
    publish(index, ns);
}

QByteArray SimStateMachine::snapshot()
{
    const QString path = m_scratch.filePath(QStringLiteral("snapshot.sqlite"));
    if (const auto error = m_engine->saveSnapshot(path)) {
        qWarning("sim snapshot failed: %s", error->c_str());
        return {};
    }
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    const QByteArray world = file.readAll();
    file.close();
    QFile::remove(path);

    const QByteArray deduper = m_deduper.serialize();
    QByteArray out;
    char magic[4];
    qToLittleEndian(SnapshotMagic, magic);
    out.append(magic, 4);
    putU64(out, quint64(deduper.size()));
    out.append(deduper);
    out.append(world);
    return out;
}

bool SimStateMachine::restore(const QByteArray &snapshot)
{
    if (snapshot.size() < 12 || qFromLittleEndian<quint32>(snapshot.constData()) != SnapshotMagic)
        return false;
    const quint64 deduperSize = getU64(snapshot, 4);
    if (deduperSize > quint64(snapshot.size() - 12))
        return false;
    std::optional<ActionDeduper> deduper
        = ActionDeduper::deserialize(snapshot.mid(12, qsizetype(deduperSize)));
    if (!deduper)
        return false;

    const QString path = m_scratch.filePath(QStringLiteral("restore.sqlite"));
    {
        QFile file(path);
        if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate))
            return false;
        const QByteArray world = snapshot.mid(12 + qsizetype(deduperSize));
        if (file.write(world) != world.size())
            return false;
    }
    std::string error;
    std::unique_ptr<sim::TickEngine> engine
        = sim::TickEngine::loadSnapshot(path, m_options.engine.threads, &error);
    QFile::remove(path);
    if (!engine) {
        qWarning("sim snapshot restore failed: %s", error.c_str());
        return false;
    }
    m_engine = std::move(engine);
    m_deduper = std::move(*deduper);
    {
        // Hashes of ticks before the snapshot belong to a history this replica no longer has.
        std::lock_guard lock(m_mutex);
        m_hashes.clear();
        m_ticks.clear();
    }
    remember(0, m_engine->tick(), m_engine->stateHash());
    publish(m_view.index, 0);
    return true;
}

void SimStateMachine::remember(quint64 index, quint64 tick, quint64 hash)
{
    std::lock_guard lock(m_mutex);
    m_hashes[tick] = hash;
    while (m_hashes.size() > m_options.hashHistory)
        m_hashes.erase(m_hashes.begin());
    if (index != 0) {
        m_ticks[index] = tick;
        while (m_ticks.size() > m_options.hashHistory)
            m_ticks.erase(m_ticks.begin());
    }
}

void SimStateMachine::publish(quint64 index, qint64 tickNs)
{
    std::lock_guard lock(m_mutex);
    m_view.index = index;
    m_view.tick = m_engine->tick();
    m_view.hash = m_engine->stateHash();
    m_view.world = m_engine->state();
    if (tickNs != 0)
        m_view.lastTickNs = tickNs;
}

SimStateMachine::View SimStateMachine::view() const
{
    std::lock_guard lock(m_mutex);
    return m_view;
}

std::optional<quint64> SimStateMachine::tickOfIndex(quint64 index) const
{
    std::lock_guard lock(m_mutex);
    const auto it = m_ticks.find(index);
    if (it == m_ticks.end())
        return std::nullopt;
    return it->second;
}

std::optional<quint64> SimStateMachine::hashAt(quint64 tick) const
{
    std::lock_guard lock(m_mutex);
    const auto it = m_hashes.find(tick);
    if (it == m_hashes.end())
        return std::nullopt;
    return it->second;
}

} // namespace metatopia::cluster
