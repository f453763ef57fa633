// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "cluster/ActionDeduper.h"

#include <QtEndian>

namespace metatopia::cluster {

ActionDeduper::Verdict ActionDeduper::accept(const ActionKey &key)
{
    Client &client = m_clients[key.clientId];
    if (key.seq <= client.floor || client.above.contains(key.seq))
        return Verdict::Duplicate;
    if (key.seq - client.floor > Window) {
        if (client.floor == 0 && client.above.empty())
            m_clients.erase(key.clientId);
        return Verdict::OutOfWindow;
    }
    client.above.insert(key.seq);
    while (!client.above.empty() && *client.above.begin() == client.floor + 1) {
        client.above.erase(client.above.begin());
        ++client.floor;
    }
    return Verdict::Fresh;
}

bool ActionDeduper::wasApplied(const ActionKey &key) const
{
    const auto it = m_clients.find(key.clientId);
    if (it == m_clients.end())
        return false;
    return key.seq <= it->second.floor || it->second.above.contains(key.seq);
}

quint64 ActionDeduper::floor(quint64 clientId) const
{
    const auto it = m_clients.find(clientId);
    return it == m_clients.end() ? 0 : it->second.floor;
}

namespace {

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

// u64 clients, then per client (ascending id): u64 id, u64 floor, u64 n, n x u64 seq (ascending).
QByteArray ActionDeduper::serialize() const
{
    QByteArray out;
    put64(out, m_clients.size());
    for (const auto &[id, client] : m_clients) {
        put64(out, id);
        put64(out, client.floor);
        put64(out, client.above.size());
        for (quint64 seq : client.above)
            put64(out, seq);
    }
    return out;
}

std::optional<ActionDeduper> ActionDeduper::deserialize(const QByteArray &bytes)
{
    ActionDeduper result;
    qsizetype pos = 0;
    quint64 clients = 0;
    if (!get64(bytes, pos, clients) || clients > quint64(bytes.size()) / 24)
        return std::nullopt;
    for (quint64 i = 0; i < clients; ++i) {
        quint64 id = 0;
        quint64 n = 0;
        Client client;
        if (!get64(bytes, pos, id) || !get64(bytes, pos, client.floor) || !get64(bytes, pos, n)
            || n > Window || result.m_clients.contains(id))
            return std::nullopt;
        for (quint64 j = 0; j < n; ++j) {
            quint64 seq = 0;
            if (!get64(bytes, pos, seq) || seq <= client.floor + 1 || seq - client.floor > Window)
                return std::nullopt;
            client.above.insert(seq);
        }
        if (client.above.size() != n)
            return std::nullopt;
        result.m_clients.emplace(id, std::move(client));
    }
    if (pos != bytes.size())
        return std::nullopt;
    return result;
}

} // namespace metatopia::cluster
