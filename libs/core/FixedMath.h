// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

// Deterministic elementary functions on Fixed, computed with integers only (no float or double
// anywhere), so every replica gets the same bits. Internally they work with 64 fraction bits and
// round once at the end, so most results are within one ulp (2^-32) of the exact value of the
// exact input. Bounds below are absolute, in ulps of 2^-32, measured against long double by
// tests/core/FixedMathTest.cpp. Outside a function's domain the result is defined and listed.
// Lua's math library (libs/script) builds on these.

#include "core/Fixed.h"

#include <cstdint>
#include <utility>

namespace metatopia::fmath {

// Constants, correctly rounded to Q32.32.
constexpr Fixed pi() noexcept { return Fixed::fromRaw(13493037705); }
constexpr Fixed halfPi() noexcept { return Fixed::fromRaw(6746518852); }
constexpr Fixed twoPi() noexcept { return Fixed::fromRaw(26986075409); }
constexpr Fixed e() noexcept { return Fixed::fromRaw(11674931555); }

// floor(sqrt(n)) for any 128-bit n; the building block of sqrt and vector lengths.
std::uint64_t isqrt(unsigned __int128 n) noexcept;

// Correctly rounded (≤ 0.5 ulp). sqrt(x) for x < 0 is 0.
Fixed sqrt(Fixed x) noexcept;
// sqrt(a² + b²) without intermediate overflow, correctly rounded; saturates at max().
Fixed hypot(Fixed a, Fixed b) noexcept;

// Radians, any input: the argument is reduced with a 96-bit 1/(2π), so large angles stay exact.
// ≤ 1 ulp (measured: 0.5 ulp, i.e. correctly rounded but for results within 2^-27 ulp of a tie).
Fixed sin(Fixed x) noexcept;
Fixed cos(Fixed x) noexcept;
// {sin x, cos x} for the price of one.
std::pair<Fixed, Fixed> sinCos(Fixed x) noexcept;
// ≤ 1 ulp + 2^-28·tan²(x) ulp (the input's own rounding dominates near ±π/2). Saturates at
// max()/min() where |tan x| ≥ 2^31.
Fixed tan(Fixed x) noexcept;

// ≤ 1 ulp. asin/acos clamp their argument to [-1, 1] (asin(2) = π/2, acos(-2) = π).
Fixed asin(Fixed x) noexcept;
Fixed acos(Fixed x) noexcept;
Fixed atan(Fixed x) noexcept;
// Angle of (x, y) in [-π, π], ≤ 1 ulp. atan2(0, 0) = 0; atan2(0, x < 0) = π.
Fixed atan2(Fixed y, Fixed x) noexcept;

// ≤ 1 ulp + 2^-60·e^x relative (≤ 2 ulp over the whole range; measured 0.5 ulp for x ≤ 10). Saturates at max() for
// x ≥ ln(2^31) ≈ 21.49; results below 2^-33 are 0.
Fixed exp(Fixed x) noexcept;
// 2^x, ≤ 1 ulp + 2^-61·2^x relative; saturates like exp.
Fixed exp2(Fixed x) noexcept;
// ≤ 1 ulp. For x ≤ 0 they return min() (standing in for -infinity).
Fixed log(Fixed x) noexcept;
Fixed log2(Fixed x) noexcept;
Fixed log10(Fixed x) noexcept;
// x^y.
// - y == 0 gives 1 (also for x == 0); x == 0 gives 0 for y > 0 and max() for y < 0.
// - Integer y: binary powering with a 64-bit mantissa, relative error ≤ 2^-58, exact when the
//   mantissas stay within 64 bits (3^2 == 9); negative x allowed.
// - y == 0.5 is sqrt (correctly rounded).
// - Other y: 2^(y·log2 x); relative error ≤ 2^-58·(2 + |y·log2 x|) (in practice ≤ 1 ulp for results
//   below 2^8; 12.5 ulp measured for results near 2^31). Negative x gives 0 (the real result does
//   not exist).
// Results beyond the range saturate at max()/min(); results below 2^-33 are 0.
Fixed pow(Fixed x, Fixed y) noexcept;

} // namespace metatopia::fmath
