// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

// FQuat: an orientation in the deterministic world, a unit quaternion w + xi + yj + zk of Fixed.
// Products accumulate exactly in 128 bits and round once per component. Rotation composes like
// matrices: (a * b).rotate(v) == a.rotate(b.rotate(v)) up to rounding. Euler angles use the
// Z-up aerospace convention: roll about X, then pitch about Y, then yaw about Z
// (q = yaw · pitch · roll), in radians.

#include "core/FVec3.h"

namespace metatopia {

struct FEuler
{
    Fixed roll = Fixed::zero();
    Fixed pitch = Fixed::zero();
    Fixed yaw = Fixed::zero();
    friend constexpr bool operator==(const FEuler &, const FEuler &) noexcept = default;
};

struct FQuat
{
    Fixed w = Fixed::one();
    Fixed x = Fixed::zero();
    Fixed y = Fixed::zero();
    Fixed z = Fixed::zero();

    static constexpr FQuat identity() noexcept { return {}; }
    // Rotation by `angle` radians around `axis` (normalised here; a zero axis gives identity).
    static FQuat fromAxisAngle(FVec3 axis, Fixed angle) noexcept;
    static FQuat fromEuler(FEuler angles) noexcept;
    // Roll and yaw in [-π, π], pitch in [-π/2, π/2]; at pitch ±π/2 (gimbal lock) roll is 0.
    FEuler toEuler() const noexcept;

    constexpr FVec3 vector() const noexcept { return {x, y, z}; }
    constexpr FQuat conjugate() const noexcept { return {w, -x, -y, -z}; }
    friend constexpr Fixed dot(FQuat a, FQuat b) noexcept
    {
        using detail::product;
        return detail::roundProductSum(product(a.w, b.w) + product(a.x, b.x) + product(a.y, b.y)
                                       + product(a.z, b.z));
    }
    constexpr Fixed lengthSquared() const noexcept { return dot(*this, *this); }
    Fixed length() const noexcept;
    // Unit quaternion (components within one ulp); the zero quaternion becomes identity.
    FQuat normalized() const noexcept;

    // Hamilton product: apply b first, then a.
    friend constexpr FQuat operator*(FQuat a, FQuat b) noexcept
    {
        using detail::product;
        using detail::roundProductSum;
        return {roundProductSum(product(a.w, b.w) - product(a.x, b.x) - product(a.y, b.y)
                                - product(a.z, b.z)),
                roundProductSum(product(a.w, b.x) + product(a.x, b.w) + product(a.y, b.z)
                                - product(a.z, b.y)),
                roundProductSum(product(a.w, b.y) - product(a.x, b.z) + product(a.y, b.w)
                                + product(a.z, b.x)),
                roundProductSum(product(a.w, b.z) + product(a.x, b.y) - product(a.y, b.x)
                                + product(a.z, b.w))};
    }
    constexpr FQuat &operator*=(FQuat o) noexcept { return *this = *this * o; }
    friend constexpr bool operator==(FQuat a, FQuat b) noexcept = default;

    // q v q* for a unit q, via v + 2w(u×v) + 2u×(u×v) with u = (x, y, z).
    constexpr FVec3 rotate(FVec3 v) const noexcept
    {
        const FVec3 u = vector();
        const FVec3 t = cross(u, v) * Fixed::fromInt(2);
        return v + t * w + cross(u, t);
    }

    // Normalised linear interpolation along the shorter arc: cheap, deterministic, and smooth
    // enough for animation between nearby orientations.
    friend FQuat nlerp(FQuat a, FQuat b, Fixed t) noexcept;
};

} // namespace metatopia
