// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <QByteArray>
#include <QtGlobal>

#include <compare>
#include <optional>
#include <vector>

namespace metatopia::cluster {

// Identifies one client action across resends: the client numbers its actions 1, 2, 3, ...
struct ActionKey
{
    quint64 clientId = 0;
    quint64 seq = 0;
    auto operator<=>(const ActionKey &) const = default;
};

struct Action
{
    ActionKey key;
    QByteArray payload; // opaque to the cluster; the sim decodes it
    bool operator==(const Action &) const = default;
};

// The actions gathered for one proposal, in the order they will be applied. The encoding is fixed
// little-endian binary so every replica decodes the same bytes identically:
//   u8 version (1), u32 count, then per action: u64 clientId, u64 seq, u32 length, payload.
struct ActionBatch
{
    static constexpr quint8 Version = 1;
    static constexpr quint32 MaxActions = 1u << 20;
    static constexpr quint32 MaxPayload = 1u << 20;

    std::vector<Action> actions;

    QByteArray encode() const;
    // nullopt if the bytes are not a well-formed batch (truncated, trailing bytes, limits
    // exceeded).
    static std::optional<ActionBatch> decode(const QByteArray &bytes);
};

} // namespace metatopia::cluster
