// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "cluster/ActionBatch.h"

#include <QtEndian>

namespace metatopia::cluster {

namespace {

template<typename T> void put(QByteArray &out, T value)
{
    char bytes[sizeof(T)];
    qToLittleEndian(value, bytes);
    out.append(bytes, qsizetype(sizeof(T)));
}

class Reader
{
public:
    explicit Reader(const QByteArray &bytes)
        : m_bytes(bytes)
    { }

    template<typename T> bool get(T &value)
    {
        if (m_bytes.size() - m_pos < qsizetype(sizeof(T)))
            return false;
        value = qFromLittleEndian<T>(m_bytes.constData() + m_pos);
        m_pos += qsizetype(sizeof(T));
        return true;
    }

    bool bytes(quint32 length, QByteArray &out)
    {
        if (m_bytes.size() - m_pos < qsizetype(length))
            return false;
        out = m_bytes.mid(m_pos, qsizetype(length));
        m_pos += qsizetype(length);
        return true;
    }

    bool atEnd() const { return m_pos == m_bytes.size(); }

private:
    const QByteArray &m_bytes;
    qsizetype m_pos = 0;
};

} // namespace

QByteArray ActionBatch::encode() const
{
    QByteArray out;
    qsizetype size = 5;
    for (const Action &action : actions)
        size += 20 + action.payload.size();
    out.reserve(size);
    put<quint8>(out, Version);
    put<quint32>(out, quint32(actions.size()));
    for (const Action &action : actions) {
        put<quint64>(out, action.key.clientId);
        put<quint64>(out, action.key.seq);
        put<quint32>(out, quint32(action.payload.size()));
        out.append(action.payload);
    }
    return out;
}

std::optional<ActionBatch> ActionBatch::decode(const QByteArray &bytes)
{
    Reader reader(bytes);
    quint8 version = 0;
    quint32 count = 0;
    if (!reader.get(version) || version != Version || !reader.get(count) || count > MaxActions)
        return std::nullopt;
    // Each action needs at least 20 bytes: reject counts the input cannot hold before reserving.
    if (qsizetype(count) * 20 > bytes.size())
        return std::nullopt;
    ActionBatch batch;
    batch.actions.reserve(count);
    for (quint32 i = 0; i < count; ++i) {
        Action action;
        quint32 length = 0;
        if (!reader.get(action.key.clientId) || !reader.get(action.key.seq) || !reader.get(length)
            || length > MaxPayload || !reader.bytes(length, action.payload))
            return std::nullopt;
        batch.actions.push_back(std::move(action));
    }
    if (!reader.atEnd())
        return std::nullopt;
    return batch;
}

} // namespace metatopia::cluster
