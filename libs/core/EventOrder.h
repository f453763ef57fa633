// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

// The canonical order in which one target (a script, an object) receives its events in a tick:
// sorted by XXH3_64(targetId ‖ eventId, seed = the tick's seed), ties broken by event id. Every
// replica computes the same order, it never depends on arrival order, and it differs per target
// and per tick so that no script can rely on another's order or on id order. Event ids are
// assumed unique within a tick.

#include "core/Event.h"
#include "core/Id.h"

#include <algorithm>
#include <cstdint>
#include <span>
#include <vector>

namespace metatopia {

// The sort key of event `eventId` for `targetId` in the tick seeded with `tickSeed`.
std::uint64_t eventOrderKey(std::uint64_t tickSeed, std::uint64_t targetId, EventId eventId) noexcept;

// Sorts any range of items in canonical order for one target; `idOf(item)` gives the EventId.
template<typename Item, typename IdOf>
void sortCanonical(std::vector<Item> &items, std::uint64_t targetId, std::uint64_t tickSeed,
                   IdOf idOf)
{
    std::vector<std::pair<std::uint64_t, std::size_t>> keys;
    keys.reserve(items.size());
    for (std::size_t i = 0; i < items.size(); ++i)
        keys.emplace_back(eventOrderKey(tickSeed, targetId, idOf(items[i])), i);
    std::sort(keys.begin(), keys.end(), [&](const auto &a, const auto &b) {
        if (a.first != b.first)
            return a.first < b.first;
        return idOf(items[a.second]) < idOf(items[b.second]);
    });
    std::vector<Item> sorted;
    sorted.reserve(items.size());
    for (const auto &k : keys)
        sorted.push_back(std::move(items[k.second]));
    items = std::move(sorted);
}

inline void sortCanonical(std::vector<Event> &events, std::uint64_t targetId, std::uint64_t tickSeed)
{
    sortCanonical(events, targetId, tickSeed, [](const Event &e) { return e.id; });
}

inline void sortCanonical(std::vector<EventId> &ids, std::uint64_t targetId, std::uint64_t tickSeed)
{
    sortCanonical(ids, targetId, tickSeed, [](EventId id) { return id; });
}

} // namespace metatopia
