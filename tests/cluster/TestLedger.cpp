// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "TestLedger.h"

#include <QtEndian>

namespace metatopia::cluster::test {

namespace {

quint64 fnv(quint64 hash, const char *data, qsizetype size)
{
    for (qsizetype i = 0; i < size; ++i) {
        hash ^= quint8(data[i]);
        hash *= 0x100000001b3ull;
    }
    return hash;
}

quint64 fnv64(quint64 hash, quint64 value)
{
    char bytes[8];
    qToLittleEndian(value, bytes);
    return fnv(hash, bytes, 8);
}

void put64(QByteArray &out, quint64 value)
{
    char bytes[8];
    qToLittleEndian(value, bytes);
    out.append(bytes, 8);
}

bool get64(const QByteArray &in, qsizetype &pos, quint64 &value)
{
    if (in.size() - pos < 8)
        return false;
    value = qFromLittleEndian<quint64>(in.constData() + pos);
    pos += 8;
    return true;
}

} // namespace

void TestLedger::apply(quint64 index, const QByteArray &bytes)
{
    m_lastIndex = index;
    ++m_batches;
    if (m_faultAt != 0 && index >= m_faultAt && !m_faulted) {
        m_faulted = true;
        m_hash = fnv64(m_hash, 0xbadull);
    }
    applyActions(bytes);
    m_hashHistory[index] = m_hash;
    while (m_hashHistory.size() > HashHistory)
        m_hashHistory.erase(m_hashHistory.begin());
}

void TestLedger::applyActions(const QByteArray &bytes)
{
    const auto batch = ActionBatch::decode(bytes);
    if (!batch)
        return;
    for (const Action &action : batch->actions) {
        if (m_deduper.accept(action.key) != ActionDeduper::Verdict::Fresh) {
            ++m_duplicates;
            continue;
        }
        m_order.push_back(action.key);
        m_hash = fnv64(m_hash, action.key.clientId);
        m_hash = fnv64(m_hash, action.key.seq);
        m_hash = fnv(m_hash, action.payload.constData(), action.payload.size());
    }
}

TestLedger::Summary TestLedger::summary() const
{
    return { m_hash, m_order.size(), m_duplicates, m_batches, m_lastIndex };
}

// hash, duplicates, batches, lastIndex, order count, order pairs, deduper length, deduper bytes.
QByteArray TestLedger::snapshot()
{
    QByteArray out;
    put64(out, m_hash);
    put64(out, m_duplicates);
    put64(out, m_batches);
    put64(out, m_lastIndex);
    put64(out, m_order.size());
    for (const ActionKey &key : m_order) {
        put64(out, key.clientId);
        put64(out, key.seq);
    }
    const QByteArray deduper = m_deduper.serialize();
    put64(out, quint64(deduper.size()));
    out.append(deduper);
    return out;
}

bool TestLedger::restore(const QByteArray &bytes)
{
    qsizetype pos = 0;
    quint64 hash = 0, duplicates = 0, batches = 0, lastIndex = 0, count = 0, dedupeSize = 0;
    if (!get64(bytes, pos, hash) || !get64(bytes, pos, duplicates) || !get64(bytes, pos, batches)
        || !get64(bytes, pos, lastIndex) || !get64(bytes, pos, count)
        || count > quint64(bytes.size()) / 16)
        return false;
    std::vector<ActionKey> order;
    order.reserve(count);
    for (quint64 i = 0; i < count; ++i) {
        ActionKey key;
        if (!get64(bytes, pos, key.clientId) || !get64(bytes, pos, key.seq))
            return false;
        order.push_back(key);
    }
    if (!get64(bytes, pos, dedupeSize) || dedupeSize != quint64(bytes.size() - pos))
        return false;
    auto deduper = ActionDeduper::deserialize(bytes.mid(pos));
    if (!deduper)
        return false;
    m_hash = hash;
    m_duplicates = duplicates;
    m_batches = batches;
    m_lastIndex = lastIndex;
    m_order = std::move(order);
    m_deduper = std::move(*deduper);
    m_hashHistory.clear();
    return true;
}

} // namespace metatopia::cluster::test
