// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

// Strongly typed 64-bit ids: an ObjectId cannot be passed where a ScriptId is expected. 0 is
// "no id". Ids order by value (ordered containers give the same order on every replica) and hash
// with a fixed mixer (never address- or run-dependent).

#include <QHashFunctions>

#include <compare>
#include <cstdint>
#include <functional>

namespace metatopia {

template<typename Tag>
class Id
{
public:
    using Value = std::uint64_t;
    // Separates id spaces in state hashes (ObjectId 5 and ScriptId 5 are different entries).
    static constexpr std::uint64_t Domain = Tag::Domain;

    constexpr Id() noexcept = default;
    constexpr explicit Id(std::uint64_t value) noexcept
        : m_value(value)
    {
    }

    constexpr std::uint64_t value() const noexcept { return m_value; }
    constexpr bool isValid() const noexcept { return m_value != 0; }
    constexpr explicit operator bool() const noexcept { return isValid(); }

    friend constexpr bool operator==(Id a, Id b) noexcept = default;
    friend constexpr std::strong_ordering operator<=>(Id a, Id b) noexcept = default;

private:
    std::uint64_t m_value = 0;
};

// splitmix64's finaliser: a fixed bijective mixer for hash tables.
constexpr std::uint64_t mixId(std::uint64_t v) noexcept
{
    v ^= v >> 30;
    v *= 0xbf58476d1ce4e5b9u;
    v ^= v >> 27;
    v *= 0x94d049bb133111ebu;
    v ^= v >> 31;
    return v;
}

template<typename Tag>
size_t qHash(Id<Tag> id, size_t seed = 0) noexcept
{
    return size_t(mixId(id.value() ^ seed));
}

struct ObjectIdTag { static constexpr std::uint64_t Domain = 1; };
struct ScriptIdTag { static constexpr std::uint64_t Domain = 2; };
struct AvatarIdTag { static constexpr std::uint64_t Domain = 3; };
struct AccountIdTag { static constexpr std::uint64_t Domain = 4; };
struct EventIdTag { static constexpr std::uint64_t Domain = 5; };
struct RegionIdTag { static constexpr std::uint64_t Domain = 6; };
struct ClientIdTag { static constexpr std::uint64_t Domain = 7; };
struct ChannelIdTag { static constexpr std::uint64_t Domain = 8; };

using ObjectId = Id<ObjectIdTag>;
using ScriptId = Id<ScriptIdTag>;
using AvatarId = Id<AvatarIdTag>;
using AccountId = Id<AccountIdTag>;
using EventId = Id<EventIdTag>;
using RegionId = Id<RegionIdTag>;
using ClientId = Id<ClientIdTag>;
using ChannelId = Id<ChannelIdTag>;

} // namespace metatopia

template<typename Tag>
struct std::hash<metatopia::Id<Tag>>
{
    size_t operator()(metatopia::Id<Tag> id) const noexcept
    {
        return size_t(metatopia::mixId(id.value()));
    }
};
