// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "core/FQuat.h"

#include "core/FixedMath.h"

namespace metatopia {

namespace {

using u128 = unsigned __int128;

std::uint64_t magnitude(Fixed f)
{
    return f.raw() < 0 ? 0 - static_cast<std::uint64_t>(f.raw()) : static_cast<std::uint64_t>(f.raw());
}

u128 squares(FQuat q)
{
    // Four squares of at most 2^126 each: 2^128 at worst, which only min() in all four reaches;
    // that wraps to 0 and normalises to identity, a defined result for a meaningless input.
    u128 s = 0;
    for (const Fixed c : {q.w, q.x, q.y, q.z})
        s += u128(magnitude(c)) * magnitude(c);
    return s;
}

std::uint64_t roundedRoot(u128 n)
{
    const std::uint64_t r = fmath::isqrt(n);
    return r + ((n - u128(r) * r > r) ? 1 : 0);
}

Fixed divideByLength(Fixed c, std::uint64_t len)
{
    const u128 n = u128(magnitude(c)) << 32;
    u128 q = n / len;
    const u128 rest = n - q * len;
    if (rest >= len - rest)
        ++q;
    const std::int64_t v = static_cast<std::int64_t>(q);
    return Fixed::fromRaw(c.raw() < 0 ? -v : v);
}

Fixed half(Fixed a)
{
    // Exact halving of the raw value (arithmetic shift rounds toward -infinity by at most 2^-33).
    return Fixed::fromRaw(a.raw() >> 1);
}

} // namespace

FQuat FQuat::fromAxisAngle(FVec3 axis, Fixed angle) noexcept
{
    const FVec3 n = axis.normalized();
    if (n == FVec3::zero())
        return identity();
    const auto [s, c] = fmath::sinCos(half(angle));
    return {c, n.x * s, n.y * s, n.z * s};
}

FQuat FQuat::fromEuler(FEuler a) noexcept
{
    const auto [sr, cr] = fmath::sinCos(half(a.roll));
    const auto [sp, cp] = fmath::sinCos(half(a.pitch));
    const auto [sy, cy] = fmath::sinCos(half(a.yaw));
    const FQuat roll{cr, sr, Fixed::zero(), Fixed::zero()};
    const FQuat pitch{cp, Fixed::zero(), sp, Fixed::zero()};
    const FQuat yaw{cy, Fixed::zero(), Fixed::zero(), sy};
    return yaw * pitch * roll;
}

FEuler FQuat::toEuler() const noexcept
{
    using detail::product;
    using detail::roundProductSum;
    const Fixed two = Fixed::fromInt(2);
    // sin(pitch) = 2(wy - zx)
    const Fixed sinPitch = two * roundProductSum(product(w, y) - product(z, x));
    FEuler e;
    if (sinPitch >= Fixed::one() || sinPitch <= -Fixed::one()) {
        // Gimbal lock: only yaw - roll is defined; put it all in yaw (2·atan2(z, w) for both signs
        // of pitch), folded back into [-π, π].
        e.pitch = sinPitch > Fixed::zero() ? fmath::halfPi() : -fmath::halfPi();
        e.roll = Fixed::zero();
        e.yaw = two * fmath::atan2(z, w);
        if (e.yaw > fmath::pi())
            e.yaw -= fmath::twoPi();
        else if (e.yaw < -fmath::pi())
            e.yaw += fmath::twoPi();
        return e;
    }
    e.pitch = fmath::asin(sinPitch);
    e.roll = fmath::atan2(two * roundProductSum(product(w, x) + product(y, z)),
                          Fixed::one() - two * roundProductSum(product(x, x) + product(y, y)));
    e.yaw = fmath::atan2(two * roundProductSum(product(w, z) + product(x, y)),
                         Fixed::one() - two * roundProductSum(product(y, y) + product(z, z)));
    return e;
}

Fixed FQuat::length() const noexcept
{
    const std::uint64_t r = roundedRoot(squares(*this));
    return r > std::uint64_t(INT64_MAX) ? Fixed::max() : Fixed::fromRaw(std::int64_t(r));
}

FQuat FQuat::normalized() const noexcept
{
    const std::uint64_t len = roundedRoot(squares(*this));
    if (len == 0)
        return identity();
    return {divideByLength(w, len), divideByLength(x, len), divideByLength(y, len),
            divideByLength(z, len)};
}

FQuat nlerp(FQuat a, FQuat b, Fixed t) noexcept
{
    if (dot(a, b) < Fixed::zero())
        b = {-b.w, -b.x, -b.y, -b.z};
    const FQuat mixed{a.w + (b.w - a.w) * t, a.x + (b.x - a.x) * t, a.y + (b.y - a.y) * t,
                      a.z + (b.z - a.z) * t};
    return mixed.normalized();
}

} // namespace metatopia
