// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "core/EventOrder.h"

#include <xxhash.h>

namespace metatopia {

std::uint64_t eventOrderKey(std::uint64_t tickSeed, std::uint64_t targetId, EventId eventId) noexcept
{
    // Explicit little-endian bytes so the key is the same on every architecture.
    unsigned char b[16];
    for (int i = 0; i < 8; ++i) {
        b[i] = static_cast<unsigned char>(targetId >> (8 * i));
        b[8 + i] = static_cast<unsigned char>(eventId.value() >> (8 * i));
    }
    return XXH3_64bits_withSeed(b, sizeof b, tickSeed);
}

} // namespace metatopia
