// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

// State hashing for divergence detection. ContentHasher turns an entry's content (Fixed, vectors,
// strings, ids...) into a 64-bit XXH3 hash from an explicit little-endian byte encoding, so the
// result depends on the values only (not on CBOR, padding, endianness or addresses). StateHash
// combines (domain, id, content hash) entries into one 64-bit value that is independent of
// insertion order and can be updated from a delta in O(changes): it is the sum modulo 2^64 of
// one mixed hash per entry.

#include "core/FQuat.h"
#include "core/FVec3.h"
#include "core/Fixed.h"
#include "core/Id.h"

#include <QByteArray>
#include <QString>

#include <cstdint>
#include <string>
#include <string_view>

namespace metatopia {

class ContentHasher
{
public:
    ContentHasher &add(std::uint64_t v);
    ContentHasher &add(std::int64_t v) { return add(static_cast<std::uint64_t>(v)); }
    ContentHasher &add(bool v) { return add(std::uint64_t(v ? 1 : 0)); }
    ContentHasher &add(Fixed v) { return add(v.raw()); }
    ContentHasher &add(FVec3 v) { return add(v.x).add(v.y).add(v.z); }
    ContentHasher &add(FQuat q) { return add(q.w).add(q.x).add(q.y).add(q.z); }
    template<typename Tag>
    ContentHasher &add(Id<Tag> id)
    {
        return add(id.value());
    }
    // Length-prefixed, so ("ab", "c") and ("a", "bc") differ.
    ContentHasher &add(std::string_view bytes);
    ContentHasher &add(const QByteArray &bytes) { return add(std::string_view(bytes.constData(), std::size_t(bytes.size()))); }
    // As UTF-8.
    ContentHasher &add(const QString &text) { return add(text.toUtf8()); }
    ContentHasher &add(const char *text) { return add(std::string_view(text)); }

    std::uint64_t finish() const noexcept;

private:
    std::string m_bytes;
};

class StateHash
{
public:
    // The mixed hash of one entry; what insert/erase add and subtract.
    static std::uint64_t entry(std::uint64_t domain, std::uint64_t id, std::uint64_t content) noexcept;

    void insert(std::uint64_t domain, std::uint64_t id, std::uint64_t content) noexcept
    {
        m_value += entry(domain, id, content);
        ++m_count;
    }
    void erase(std::uint64_t domain, std::uint64_t id, std::uint64_t content) noexcept
    {
        m_value -= entry(domain, id, content);
        --m_count;
    }
    void update(std::uint64_t domain, std::uint64_t id, std::uint64_t oldContent,
                std::uint64_t newContent) noexcept
    {
        m_value += entry(domain, id, newContent) - entry(domain, id, oldContent);
    }

    template<typename Tag>
    void insert(Id<Tag> id, std::uint64_t content) noexcept
    {
        insert(Id<Tag>::Domain, id.value(), content);
    }
    template<typename Tag>
    void erase(Id<Tag> id, std::uint64_t content) noexcept
    {
        erase(Id<Tag>::Domain, id.value(), content);
    }
    template<typename Tag>
    void update(Id<Tag> id, std::uint64_t oldContent, std::uint64_t newContent) noexcept
    {
        update(Id<Tag>::Domain, id.value(), oldContent, newContent);
    }

    // Includes the entry count so that the empty set and a set whose entries cancel differ.
    std::uint64_t value() const noexcept;
    std::uint64_t count() const noexcept { return m_count; }

    friend bool operator==(const StateHash &, const StateHash &) = default;

private:
    std::uint64_t m_value = 0;
    std::uint64_t m_count = 0;
};

} // namespace metatopia
