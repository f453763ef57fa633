// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "core/StateHash.h"

#include <xxhash.h>

namespace metatopia {

namespace {

// Explicit little-endian bytes so the hash is the same on every architecture.
void putLittleEndian(unsigned char *out, std::uint64_t v)
{
    for (int i = 0; i < 8; ++i)
        out[i] = static_cast<unsigned char>(v >> (8 * i));
}

constexpr std::uint64_t EntrySeed = 0x6d657461746f7069u; // "metatopi"
constexpr std::uint64_t ContentSeed = 0x636f6e74656e7431u; // "content1"

} // namespace

ContentHasher &ContentHasher::add(std::uint64_t v)
{
    unsigned char b[8];
    putLittleEndian(b, v);
    m_bytes.append(reinterpret_cast<const char *>(b), 8);
    return *this;
}

ContentHasher &ContentHasher::add(std::string_view bytes)
{
    add(std::uint64_t(bytes.size()));
    m_bytes.append(bytes);
    return *this;
}

std::uint64_t ContentHasher::finish() const noexcept
{
    return XXH3_64bits_withSeed(m_bytes.data(), m_bytes.size(), ContentSeed);
}

std::uint64_t StateHash::entry(std::uint64_t domain, std::uint64_t id, std::uint64_t content) noexcept
{
    unsigned char b[24];
    putLittleEndian(b, domain);
    putLittleEndian(b + 8, id);
    putLittleEndian(b + 16, content);
    return XXH3_64bits_withSeed(b, sizeof b, EntrySeed);
}

std::uint64_t StateHash::value() const noexcept
{
    unsigned char b[16];
    putLittleEndian(b, m_value);
    putLittleEndian(b + 8, m_count);
    return XXH3_64bits_withSeed(b, sizeof b, EntrySeed);
}

} // namespace metatopia
