// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

// FVec3: a position, velocity or direction in the deterministic world, three Fixed components.
// Sums of products (dot, cross, lengths) are accumulated exactly in 128 bits and rounded once,
// so they are more accurate than chaining Fixed operations and identical on every replica.
// Overflow wraps like Fixed's own + - *; lengths saturate at Fixed::max().

#include "core/Fixed.h"

namespace metatopia {

namespace detail {
// Σ a_i·b_i (each at scale 2^-64) rounded to Fixed like operator*: half away from zero, wrapping.
// The sum is kept modulo 2^128 so that out-of-range inputs wrap instead of being undefined.
constexpr Fixed roundProductSum(unsigned __int128 sum) noexcept
{
    const __int128 s = static_cast<__int128>(sum);
    const __int128 half = static_cast<__int128>(1) << 31;
    const __int128 r = (s + half - (s < 0 ? 1 : 0)) >> 32;
    return Fixed::fromRaw(static_cast<std::int64_t>(static_cast<unsigned __int128>(r)));
}
constexpr unsigned __int128 product(Fixed a, Fixed b) noexcept
{
    return static_cast<unsigned __int128>(static_cast<__int128>(a.raw()) * b.raw());
}
} // namespace detail

struct FVec3
{
    Fixed x = Fixed::zero();
    Fixed y = Fixed::zero();
    Fixed z = Fixed::zero();

    static constexpr FVec3 zero() noexcept { return {}; }
    static constexpr FVec3 unitX() noexcept { return {Fixed::one(), Fixed::zero(), Fixed::zero()}; }
    static constexpr FVec3 unitY() noexcept { return {Fixed::zero(), Fixed::one(), Fixed::zero()}; }
    static constexpr FVec3 unitZ() noexcept { return {Fixed::zero(), Fixed::zero(), Fixed::one()}; }

    friend constexpr FVec3 operator+(FVec3 a, FVec3 b) noexcept
    {
        return {a.x + b.x, a.y + b.y, a.z + b.z};
    }
    friend constexpr FVec3 operator-(FVec3 a, FVec3 b) noexcept
    {
        return {a.x - b.x, a.y - b.y, a.z - b.z};
    }
    constexpr FVec3 operator-() const noexcept { return {-x, -y, -z}; }
    friend constexpr FVec3 operator*(FVec3 v, Fixed s) noexcept { return {v.x * s, v.y * s, v.z * s}; }
    friend constexpr FVec3 operator*(Fixed s, FVec3 v) noexcept { return v * s; }
    // Division by zero follows Fixed: components saturate.
    friend constexpr FVec3 operator/(FVec3 v, Fixed s) noexcept { return {v.x / s, v.y / s, v.z / s}; }
    constexpr FVec3 &operator+=(FVec3 o) noexcept { return *this = *this + o; }
    constexpr FVec3 &operator-=(FVec3 o) noexcept { return *this = *this - o; }
    constexpr FVec3 &operator*=(Fixed s) noexcept { return *this = *this * s; }
    friend constexpr bool operator==(FVec3 a, FVec3 b) noexcept = default;

    friend constexpr Fixed dot(FVec3 a, FVec3 b) noexcept
    {
        using detail::product;
        return detail::roundProductSum(product(a.x, b.x) + product(a.y, b.y) + product(a.z, b.z));
    }
    friend constexpr FVec3 cross(FVec3 a, FVec3 b) noexcept
    {
        using detail::product;
        return {detail::roundProductSum(product(a.y, b.z) - product(a.z, b.y)),
                detail::roundProductSum(product(a.z, b.x) - product(a.x, b.z)),
                detail::roundProductSum(product(a.x, b.y) - product(a.y, b.x))};
    }
    constexpr Fixed lengthSquared() const noexcept { return dot(*this, *this); }
    // Correctly rounded, no intermediate overflow; saturates at Fixed::max().
    Fixed length() const noexcept;
    // Unit vector in the same direction (each component within one ulp); the zero vector stays
    // zero.
    FVec3 normalized() const noexcept;

    friend Fixed distance(FVec3 a, FVec3 b) noexcept { return (a - b).length(); }
    friend constexpr Fixed distanceSquared(FVec3 a, FVec3 b) noexcept
    {
        return (a - b).lengthSquared();
    }
    // a + (b - a)·t; t outside [0, 1] extrapolates.
    friend constexpr FVec3 lerp(FVec3 a, FVec3 b, Fixed t) noexcept { return a + (b - a) * t; }
};

} // namespace metatopia
