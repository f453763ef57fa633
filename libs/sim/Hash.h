// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

// Hash helpers of the sim: 64-bit hashes of canonical bytes (sim/Codec.h) and of small tuples.

#include <cstdint>
#include <string_view>

namespace metatopia::sim {

std::uint64_t hashBytes(std::string_view bytes, std::uint64_t seed = 0);

// Order-dependent combination of 64-bit words (a, then b).
std::uint64_t hashCombine(std::uint64_t a, std::uint64_t b);

inline std::uint64_t hashWords(std::uint64_t a, std::uint64_t b, std::uint64_t c)
{
    return hashCombine(hashCombine(a, b), c);
}

} // namespace metatopia::sim
