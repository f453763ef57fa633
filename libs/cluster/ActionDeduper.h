// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include "cluster/ActionBatch.h"

#include <QByteArray>

#include <map>
#include <optional>
#include <set>

namespace metatopia::cluster {

// Part of the replicated state: remembers which (clientId, seq) were applied so a resent action
// (after a failover, or replayed by a hostile client) is applied at most once. Runs identically on
// every replica, so it uses ordered containers only and serialises into snapshots.
//
// Per client it keeps a floor (every seq <= floor was applied) and the applied seqs above it; with
// clients numbering their actions 1, 2, 3, ... the set stays small. A seq more than Window above
// the floor is refused, which bounds the memory a client can make every replica hold.
class ActionDeduper
{
public:
    static constexpr quint64 Window = 1u << 16;

    enum class Verdict
    {
        Fresh,
        Duplicate,
        OutOfWindow
    };

    // Records the action as applied if it is fresh. Deterministic: same calls, same answers.
    Verdict accept(const ActionKey &key);
    bool wasApplied(const ActionKey &key) const;
    quint64 floor(quint64 clientId) const;
    size_t clientCount() const { return m_clients.size(); }

    QByteArray serialize() const;
    static std::optional<ActionDeduper> deserialize(const QByteArray &bytes);
    bool operator==(const ActionDeduper &) const = default;

private:
    struct Client
    {
        quint64 floor = 0;
        std::set<quint64> above;
        bool operator==(const Client &) const = default;
    };
    std::map<quint64, Client> m_clients;
};

} // namespace metatopia::cluster
