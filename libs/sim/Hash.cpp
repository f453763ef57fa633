// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "sim/Hash.h"

#include <xxhash.h>

namespace metatopia::sim {

std::uint64_t hashBytes(std::string_view bytes, std::uint64_t seed)
{
    return XXH3_64bits_withSeed(bytes.data(), bytes.size(), seed);
}

std::uint64_t hashCombine(std::uint64_t a, std::uint64_t b)
{
    unsigned char buffer[16];
    for (int i = 0; i < 8; ++i) {
        buffer[i] = static_cast<unsigned char>(a >> (8 * i));
        buffer[8 + i] = static_cast<unsigned char>(b >> (8 * i));
    }
    return XXH3_64bits(buffer, sizeof buffer);
}

} // namespace metatopia::sim
