// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "core/FVec3.h"

#include "core/FixedMath.h"

namespace metatopia {

namespace {

using u128 = unsigned __int128;

u128 square(Fixed f)
{
    const std::uint64_t m = f.raw() < 0 ? 0 - static_cast<std::uint64_t>(f.raw())
                                        : static_cast<std::uint64_t>(f.raw());
    return u128(m) * m;
}

// Rounded sqrt of a sum of squares at scale 2^-64, as a raw Q32.32 magnitude (may exceed int64).
std::uint64_t rootOfSquares(u128 n)
{
    const std::uint64_t r = fmath::isqrt(n);
    return r + ((n - u128(r) * r > r) ? 1 : 0);
}

// (c / len) as Fixed, both raw, len > 0, |c| ≤ len: rounded to nearest.
Fixed unitComponent(std::int64_t c, std::uint64_t len)
{
    const std::uint64_t m = c < 0 ? 0 - static_cast<std::uint64_t>(c) : static_cast<std::uint64_t>(c);
    const u128 n = u128(m) << 32;
    u128 q = n / len;
    const u128 rest = n - q * len;
    if (rest >= len - rest)
        ++q;
    const std::int64_t v = static_cast<std::int64_t>(q);
    return Fixed::fromRaw(c < 0 ? -v : v);
}

} // namespace

Fixed FVec3::length() const noexcept
{
    // Three squares of at most 2^126 each fit in an unsigned 128-bit sum.
    const std::uint64_t r = rootOfSquares(square(x) + square(y) + square(z));
    return r > std::uint64_t(INT64_MAX) ? Fixed::max() : Fixed::fromRaw(std::int64_t(r));
}

FVec3 FVec3::normalized() const noexcept
{
    const std::uint64_t len = rootOfSquares(square(x) + square(y) + square(z));
    if (len == 0)
        return {};
    return {unitComponent(x.raw(), len), unitComponent(y.raw(), len), unitComponent(z.raw(), len)};
}

} // namespace metatopia
