// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "cluster/SimStateMachine.h"

#include "sim/Codec.h"
#include "sim/Hash.h"

#include <QElapsedTimer>
#include <QFile>
#include <QtEndian>

#include <algorithm>

#include <cstring>

namespace metatopia::cluster {

namespace {

constexpr quint32 SnapshotMagicV1 = 0x534d5331; // "SMS1": deduper, world
constexpr quint32 SnapshotMagic = 0x534d5332; // "SMS2": state index, deduper, directory, world

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

void putU32(QByteArray &out, quint32 value)
{
    char bytes[4];
    qToLittleEndian(value, bytes);
    out.append(bytes, 4);
}

quint32 getU32(const QByteArray &in, qsizetype at)
{
    return qFromLittleEndian<quint32>(in.constData() + at);
}

} // namespace

QByteArray TickEntry::encode() const
{
    const bool extended = !reports.empty() || !members.empty();
    QByteArray out;
    out.reserve(33 + qsizetype(reports.size()) * 24 + actions.size());
    out.append(char(extended ? VersionWithReports : Version));
    putU64(out, tick);
    putU64(out, hashTick);
    putU64(out, hash);
    if (extended) {
        putU32(out, quint32(reports.size()));
        for (const HashReport &report : reports) {
            putU64(out, report.replica);
            putU64(out, report.tick);
            putU64(out, report.hash);
        }
        putU32(out, quint32(members.size()));
        for (const MemberChange &member : members) {
            putU64(out, member.id);
            const QByteArray address = member.clientAddress.toUtf8();
            out.append(char(address.isEmpty() ? 0 : 1));
            putU32(out, quint32(address.size()));
            out.append(address);
        }
    }
    out.append(actions);
    return out;
}

std::optional<TickEntry> TickEntry::decode(const QByteArray &bytes)
{
    if (bytes.size() < 25)
        return std::nullopt;
    const quint8 version = quint8(bytes[0]);
    if (version != Version && version != VersionWithReports)
        return std::nullopt;
    TickEntry entry;
    entry.tick = getU64(bytes, 1);
    entry.hashTick = getU64(bytes, 9);
    entry.hash = getU64(bytes, 17);
    qsizetype at = 25;
    if (version == VersionWithReports) {
        auto has = [&](qsizetype n) { return bytes.size() - at >= n; };
        if (!has(4))
            return std::nullopt;
        const quint32 reports = getU32(bytes, at);
        at += 4;
        if (reports > MaxReports || !has(qsizetype(reports) * 24))
            return std::nullopt;
        entry.reports.reserve(reports);
        for (quint32 i = 0; i < reports; ++i, at += 24)
            entry.reports.push_back(
                HashReport { getU64(bytes, at), getU64(bytes, at + 8), getU64(bytes, at + 16) });
        if (!has(4))
            return std::nullopt;
        const quint32 members = getU32(bytes, at);
        at += 4;
        if (members > MaxMembers)
            return std::nullopt;
        for (quint32 i = 0; i < members; ++i) {
            if (!has(13))
                return std::nullopt;
            MemberChange member;
            member.id = getU64(bytes, at);
            const bool present = bytes[at + 8] != 0;
            const quint32 length = getU32(bytes, at + 9);
            at += 13;
            if (length > 1024 || !has(qsizetype(length)) || present != (length > 0))
                return std::nullopt;
            member.clientAddress = QString::fromUtf8(bytes.mid(at, qsizetype(length)));
            at += qsizetype(length);
            entry.members.push_back(std::move(member));
        }
    }
    entry.actions = bytes.mid(at);
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
    if (index <= m_skipUntil)
        return; // already in the state a resync installed
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

    if (!entry->members.empty()) {
        std::lock_guard lock(m_mutex);
        for (const MemberChange &member : entry->members) {
            if (member.clientAddress.isEmpty())
                m_directory.erase(member.id);
            else
                m_directory[member.id] = member.clientAddress;
        }
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
    const sim::TickReport &report = m_engine->step(tick);
    const qint64 ns = timer.nsecsElapsed();
    keepHeard(m_engine->tick(), report.heard);
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
    putU32(out, SnapshotMagic);
    {
        std::lock_guard lock(m_mutex);
        putU64(out, m_view.index);
    }
    putU64(out, quint64(deduper.size()));
    out.append(deduper);
    std::map<quint64, QString> directory;
    {
        std::lock_guard lock(m_mutex);
        directory = m_directory;
    }
    putU32(out, quint32(directory.size()));
    for (const auto &[id, address] : directory) {
        const QByteArray bytes = address.toUtf8();
        putU64(out, id);
        putU32(out, quint32(bytes.size()));
        out.append(bytes);
    }
    out.append(world);
    return out;
}

bool SimStateMachine::restore(const QByteArray &snapshot)
{
    quint64 stateIndex = 0;
    if (!restoreState(snapshot, &stateIndex))
        return false;
    // The snapshot may have been taken after a resync, ahead of the index raft files it under.
    m_skipUntil = stateIndex;
    publish(stateIndex != 0 ? stateIndex : m_view.index, 0);
    return true;
}

bool SimStateMachine::install(quint64 index, const QByteArray &snapshot, QString *error)
{
    const quint64 applied = view().index;
    if (index < applied) {
        if (error)
            *error = QStringLiteral("snapshot at index %1 is behind this replica (%2)")
                         .arg(index)
                         .arg(applied);
        return false;
    }
    quint64 stateIndex = 0;
    if (!restoreState(snapshot, &stateIndex)) {
        if (error)
            *error = QStringLiteral("corrupt snapshot");
        return false;
    }
    m_skipUntil = qMax(index, stateIndex);
    publish(m_skipUntil, 0);
    return true;
}

bool SimStateMachine::restoreState(const QByteArray &snapshot, quint64 *stateIndex)
{
    if (snapshot.size() < 12)
        return false;
    const quint32 magic = getU32(snapshot, 0);
    if (magic != SnapshotMagic && magic != SnapshotMagicV1)
        return false;
    qsizetype at = 4;
    *stateIndex = 0;
    if (magic == SnapshotMagic) {
        if (snapshot.size() < 20)
            return false;
        *stateIndex = getU64(snapshot, 4);
        at = 12;
    }
    const quint64 deduperSize = getU64(snapshot, at);
    at += 8;
    if (deduperSize > quint64(snapshot.size() - at))
        return false;
    std::optional<ActionDeduper> deduper
        = ActionDeduper::deserialize(snapshot.mid(at, qsizetype(deduperSize)));
    if (!deduper)
        return false;
    at += qsizetype(deduperSize);
    std::map<quint64, QString> directory;
    if (magic == SnapshotMagic) {
        if (snapshot.size() - at < 4)
            return false;
        const quint32 count = getU32(snapshot, at);
        at += 4;
        if (count > TickEntry::MaxMembers)
            return false;
        for (quint32 i = 0; i < count; ++i) {
            if (snapshot.size() - at < 12)
                return false;
            const quint64 id = getU64(snapshot, at);
            const quint32 length = getU32(snapshot, at + 8);
            at += 12;
            if (length > 1024 || snapshot.size() - at < qsizetype(length))
                return false;
            directory[id] = QString::fromUtf8(snapshot.mid(at, qsizetype(length)));
            at += qsizetype(length);
        }
    }

    const QString path = m_scratch.filePath(QStringLiteral("restore.sqlite"));
    {
        QFile file(path);
        if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate))
            return false;
        const QByteArray world = snapshot.mid(at);
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
        m_worlds.clear();
        m_directory = std::move(directory);
        // Nothing is known of what was heard before the restored state.
        m_heard.clear();
        m_heardLines = 0;
        m_heardFloor = m_engine->tick();
    }
    remember(0, m_engine->tick(), m_engine->stateHash());
    return true;
}

void SimStateMachine::remember(quint64 index, quint64 tick, quint64 hash)
{
    std::lock_guard lock(m_mutex);
    m_hashes[tick] = hash;
    while (m_hashes.size() > m_options.hashHistory)
        m_hashes.erase(m_hashes.begin());
    if (m_options.worldHistory > 0) {
        m_worlds[tick] = m_engine->state();
        while (m_worlds.size() > m_options.worldHistory)
            m_worlds.erase(m_worlds.begin());
    }
    if (index != 0) {
        m_ticks[index] = tick;
        while (m_ticks.size() > m_options.hashHistory)
            m_ticks.erase(m_ticks.begin());
    }
}

void SimStateMachine::keepHeard(quint64 tick, const std::vector<sim::HeardChat> &heard)
{
    std::lock_guard lock(m_mutex);
    if (!heard.empty()) {
        m_heard[tick] = heard;
        m_heardLines += heard.size();
    }
    auto dropOldest = [this] {
        m_heardFloor = qMax(m_heardFloor, m_heard.begin()->first);
        m_heardLines -= m_heard.begin()->second.size();
        m_heard.erase(m_heard.begin());
    };
    while (!m_heard.empty() && m_heard.begin()->first + m_options.heardHistory <= tick)
        dropOldest();
    while (m_heard.size() > 1 && m_heardLines > m_options.maxHeardLines)
        dropOldest();
    if (tick > m_options.heardHistory)
        m_heardFloor = qMax(m_heardFloor, tick - m_options.heardHistory);
}

SimStateMachine::HeardLines SimStateMachine::heardBy(
    sim::AvatarId avatar, quint64 afterTick, quint64 upToTick) const
{
    HeardLines out;
    if (upToTick <= afterTick)
        return out;
    std::lock_guard lock(m_mutex);
    if (afterTick < m_heardFloor)
        out.missedTicks = qMin(m_heardFloor, upToTick) - afterTick;
    for (auto it = m_heard.upper_bound(afterTick); it != m_heard.end() && it->first <= upToTick;
         ++it) {
        const std::vector<sim::HeardChat> &heard = it->second;
        auto first = std::lower_bound(heard.begin(), heard.end(), avatar,
            [](const sim::HeardChat &h, sim::AvatarId id) { return h.avatar < id; });
        for (; first != heard.end() && first->avatar == avatar; ++first)
            out.lines.emplace_back(it->first, first->line);
    }
    return out;
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

std::map<quint64, QString> SimStateMachine::directory() const
{
    std::lock_guard lock(m_mutex);
    return m_directory;
}

std::shared_ptr<const sim::WorldState> SimStateMachine::worldAt(quint64 tick) const
{
    std::lock_guard lock(m_mutex);
    const auto it = m_worlds.find(tick);
    return it == m_worlds.end() ? nullptr : it->second;
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
