// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "core/FixedMath.h"

#include <array>

namespace metatopia::fmath {

namespace {

using u128 = unsigned __int128;
using i128 = __int128;

constexpr u128 U128(std::uint64_t hi, std::uint64_t lo) { return (u128(hi) << 64) | lo; }

// High-precision constants (computed offline with 100-digit decimal arithmetic).
constexpr u128 PiQ64 = U128(0x3, 0x243f6a8885a308d3); // π · 2^64
constexpr u128 HalfPiQ64 = U128(0x1, 0x921fb54442d1846a); // π/2 · 2^64
constexpr std::uint64_t Ln2Q64 = 12786308645202655660u; // ln 2 · 2^64
constexpr std::int64_t Log2eQ62 = 6653256548922161246; // log2 e · 2^62
constexpr u128 Log2eQ88 = U128(0x1715476, 0x52b82fe1777d0ffe); // log2 e · 2^88
constexpr std::int64_t Log10eQ63 = 4005659580146785381; // log10 e · 2^63
constexpr std::uint64_t Sqrt2Q63 = 13043817825332782212u; // √2 · 2^63
// 2^96 / (2π): turns = x_raw · this / 2^64 (mod 2^64) is x in units of 2^-64 turn.
constexpr std::uint64_t TurnsHi = 0x28be60db;
constexpr std::uint64_t TurnsLo = 0x9391054a7f09d5f4;
// 2^(j/8) · 2^63
constexpr std::array<std::uint64_t, 8> Exp2EighthsQ63 = {
    9223372036854775808u,  10058158527438640871u, 10968499650544839023u, 11961233684655323370u,
    13043817825332782212u, 14224384202002324189u, 15511800964685064948u, 16915738899553466671u};
// atan(k/16) · 2^64
constexpr std::array<std::uint64_t, 17> AtanSixteenthsQ64 = {
    0x0,
    0xffaaddb967ef4e3,
    0x1fd5ba9aac2f6dc6,
    0x2f72f6979cb6044d,
    0x3eb6ebf25901bac5,
    0x4d89dcdc1faf2f35,
    0x5bd86507937bc23a,
    0x6993bb0f308ff2db,
    0x76b19c1586ed3da3,
    0x832bf4a6d9867e2a,
    0x8f005d5ef7f59f9b,
    0x9a2f80e671bdda20,
    0xa4bc7d1934f70924,
    0xaeac4c38b4d8c080,
    0xb8053e2bc2319e74,
    0xc0ce85b8ac526641,
    0xc90fdaa22168c235,
};

// round(2^64 / d) for a series coefficient.
constexpr u128 reciprocalQ64(u128 d) { return ((u128(1) << 64) + d / 2) / d; }

template<int N, typename F>
constexpr std::array<u128, N> table(F f)
{
    std::array<u128, N> t{};
    for (int k = 0; k < N; ++k)
        t[std::size_t(k)] = f(k);
    return t;
}

constexpr u128 factorial(int n)
{
    u128 f = 1;
    for (int k = 2; k <= n; ++k)
        f *= u128(k);
    return f;
}

// 1/n! (exp), 1/(2k+1)! (sin), 1/(2k)! (cos), 1/(2k+1) (atan, atanh), all · 2^64.
constexpr auto ExpCoeff = table<13>([](int n) { return reciprocalQ64(factorial(n)); });
constexpr auto SinCoeff = table<10>([](int k) { return reciprocalQ64(factorial(2 * k + 1)); });
constexpr auto CosCoeff = table<10>([](int k) { return reciprocalQ64(factorial(2 * k)); });
constexpr auto OddCoeff = table<13>([](int k) { return reciprocalQ64(u128(2 * k + 1)); });

int clz64(std::uint64_t v) { return __builtin_clzll(v); }
int clz128(u128 v)
{
    const std::uint64_t hi = std::uint64_t(v >> 64);
    return hi != 0 ? clz64(hi) : 64 + clz64(std::uint64_t(v));
}

std::uint64_t magnitude(std::int64_t v)
{
    return v < 0 ? 0 - static_cast<std::uint64_t>(v) : static_cast<std::uint64_t>(v);
}

// floor(n / d) when the quotient fits in 64 bits.
std::uint64_t divide(u128 n, std::uint64_t d)
{
#if defined(__x86_64__)
    std::uint64_t q;
    std::uint64_t r;
    asm("divq %4" : "=a"(q), "=d"(r) : "a"(std::uint64_t(n)), "d"(std::uint64_t(n >> 64)), "rm"(d) : "cc");
    return q;
#else
    return std::uint64_t(n / d);
#endif
}

// A signed value at scale 2^-64 rounded to a Fixed, half away from zero, wrapping.
Fixed roundQ64(i128 v)
{
    const i128 half = i128(1) << 31;
    const i128 r = (v + half - (v < 0 ? 1 : 0)) >> 32;
    return Fixed::fromRaw(static_cast<std::int64_t>(static_cast<u128>(r)));
}

// m · 2^-shift rounded half up, for shift ≥ 0 (m < 2^64 so shift ≥ 65 gives 0).
std::uint64_t shiftRound(std::uint64_t m, int shift)
{
    if (shift == 0)
        return m;
    if (shift > 64)
        return 0;
    const std::uint64_t q = shift == 64 ? 0 : m >> shift;
    return q + ((m >> (shift - 1)) & 1);
}

// 1/sqrt seed: index i = top 8 bits of a normalised m in [2^62, 2^64), value ≈ 1/sqrt((i+½)/256)
// in Q2.14. Built with integer square roots at compile time.
constexpr std::uint64_t isqrtConst(std::uint64_t n)
{
    std::uint64_t r = 0;
    for (int bit = 31; bit >= 0; --bit) {
        const std::uint64_t c = r | (std::uint64_t(1) << bit);
        if (c * c <= n)
            r = c;
    }
    return r;
}
constexpr auto RsqrtSeed = [] {
    std::array<std::uint16_t, 192> t{};
    for (std::uint64_t i = 64; i < 256; ++i)
        t[i - 64] = std::uint16_t(isqrtConst((std::uint64_t(1) << 37) / (2 * i + 1)));
    return t;
}();

// --- exp2 core --------------------------------------------------------------------------------

// 2^(f / 2^64) for f in [0, 2^64), as a mantissa in [2^63, 2^64) (Q1.63).
std::uint64_t exp2Fraction(std::uint64_t f)
{
    const std::uint64_t j = f >> 61;
    const std::uint64_t r = f & ((std::uint64_t(1) << 61) - 1); // [0, 1/8) in Q64
    const std::uint64_t z = std::uint64_t((u128(r) * Ln2Q64) >> 64); // r·ln2 < 0.087
    u128 acc = ExpCoeff[12];
    for (int n = 11; n >= 0; --n)
        acc = ExpCoeff[std::size_t(n)] + ((acc * z) >> 64);
    // acc = e^z in Q64, in [1, 1.091): multiply by 2^(j/8).
    const std::uint64_t t = Exp2EighthsQ63[j];
    const std::uint64_t low = std::uint64_t(acc - (u128(1) << 64));
    const u128 m = u128(t) + ((u128(t) * low + (u128(1) << 63)) >> 64);
    return m >= (u128(1) << 64) ? ~std::uint64_t(0) : std::uint64_t(m);
}

// mantissa (Q1.63) · 2^exponent as a Fixed raw value; saturates at max().
Fixed scaleMantissa(std::uint64_t mantissa, std::int64_t exponent)
{
    // raw = mantissa · 2^(exponent - 63 + 32)
    const std::int64_t shift = 31 - exponent;
    if (shift <= 0)
        return Fixed::max();
    if (shift > 64)
        return Fixed::zero();
    return Fixed::fromRaw(static_cast<std::int64_t>(shiftRound(mantissa, int(shift))));
}

// --- log core ---------------------------------------------------------------------------------

// ln(mag · 2^-32) for mag > 0, in Q64.
i128 lnQ64(std::uint64_t mag, i128 *log2Out = nullptr)
{
    const int c = clz64(mag);
    const std::uint64_t v = mag << c; // value v/2^63 in [1, 2)
    std::int64_t e2 = 31 - c;
    // s = (w - 1)/(w + 1) with w = v or v/2 so that w is in [√½, √2]: |s| ≤ 0.1716.
    std::uint64_t num;
    u128 den;
    bool negative;
    if (v > Sqrt2Q63) {
        num = (std::uint64_t(0) - v); // 2^64 - v: (v/2 - 1) · 2^64, negated
        den = u128(v) + (u128(1) << 64);
        negative = true;
        ++e2;
    } else {
        num = v - (std::uint64_t(1) << 63);
        den = u128(v) + (u128(1) << 63);
        negative = false;
    }
    const u128 s = (u128(num) << 64) / den; // < 2^61.5
    const u128 s2 = (s * s) >> 64;
    // ln w = 2 atanh s = 2s · Σ s^2k / (2k+1)
    u128 acc = OddCoeff[12];
    for (int k = 11; k >= 0; --k)
        acc = OddCoeff[std::size_t(k)] + ((acc * s2) >> 64);
    const i128 lnw = i128((s * acc) >> 63);
    const i128 signedLnw = negative ? -lnw : lnw;
    if (log2Out)
        *log2Out = (i128(e2) << 64) + ((signedLnw * Log2eQ62) >> 62);
    return i128(e2) * i128(Ln2Q64) + signedLnw;
}

// --- atan core --------------------------------------------------------------------------------

// atan(t / 2^64) for t in [0, 2^64], in Q64.
u128 atanQ64(u128 t)
{
    const std::uint64_t k = std::uint64_t((t + (u128(1) << 59)) >> 60); // nearest sixteenth
    // u = (t - k/16) / (1 + t·k/16), computed exactly at scale 2^68 before the division.
    const i128 num68 = i128(t << 4) - i128(u128(k) << 64);
    const u128 den68 = (u128(1) << 68) + t * k;
    const u128 unum = num68 < 0 ? u128(-num68) : u128(num68);
    const u128 u = (unum << 64) / den68; // ≤ 2^59
    const u128 u2 = (u * u) >> 64;
    // atan u = u · Σ (-1)^k u^2k / (2k+1); |u| ≤ 1/32 so six terms reach 2^-68.
    i128 acc = i128(OddCoeff[6]);
    for (int j = 5; j >= 0; --j)
        acc = i128(OddCoeff[std::size_t(j)]) - ((acc * i128(u2)) >> 64);
    const u128 a = (u * u128(acc)) >> 64;
    const u128 base = AtanSixteenthsQ64[k];
    return num68 < 0 ? base - a : base + a;
}

// Angle of (x, y) in Q64 from magnitudes at any common scale and the signs.
i128 atan2Q64(u128 ay, u128 ax, bool yNegative, bool xNegative)
{
    if (ax == 0 && ay == 0)
        return 0;
    const bool steep = ay > ax;
    const u128 lo = steep ? ax : ay;
    const u128 hi = steep ? ay : ax;
    u128 t;
    if (lo == hi) {
        t = u128(1) << 64;
    } else if (hi >> 64 == 0) {
        t = divide(lo << 64, std::uint64_t(hi));
    } else {
        // Magnitudes above 2^64 only come from callers at Q64; drop bits to keep the division
        // in 128 bits (the ratio keeps 63+ significant bits).
        const int drop = 64 - clz128(hi);
        t = divide((lo >> drop) << 64, std::uint64_t(hi >> drop));
    }
    i128 a = i128(atanQ64(t));
    if (steep)
        a = i128(HalfPiQ64) - a;
    if (xNegative)
        a = i128(PiQ64) - a;
    return yNegative ? -a : a;
}

// --- sin/cos core -----------------------------------------------------------------------------

struct SinCosQ64
{
    i128 s;
    i128 c;
};

SinCosQ64 sinCosQ64(Fixed x)
{
    const std::uint64_t mag = magnitude(x.raw());
    std::uint64_t turns = mag * TurnsHi + std::uint64_t((u128(mag) * TurnsLo) >> 64);
    if (x.raw() < 0)
        turns = 0 - turns;
    const unsigned quadrant = unsigned(turns >> 62);
    const std::uint64_t f = turns & ((std::uint64_t(1) << 62) - 1);
    const bool upper = f >= (std::uint64_t(1) << 61);
    const std::uint64_t g = upper ? (std::uint64_t(1) << 62) - f : f;
    const u128 theta = (u128(g) * HalfPiQ64) >> 62; // [0, π/4] in Q64
    const u128 z = (theta * theta) >> 64;
    u128 sacc = SinCoeff[9];
    for (int k = 8; k >= 0; --k)
        sacc = SinCoeff[std::size_t(k)] - ((sacc * z) >> 64);
    u128 cacc = CosCoeff[9];
    for (int k = 8; k >= 0; --k)
        cacc = CosCoeff[std::size_t(k)] - ((cacc * z) >> 64);
    const i128 sinTheta = i128((theta * sacc) >> 64);
    const i128 cosTheta = i128(cacc);
    const i128 sinPhi = upper ? cosTheta : sinTheta;
    const i128 cosPhi = upper ? sinTheta : cosTheta;
    switch (quadrant) {
    case 0:
        return {sinPhi, cosPhi};
    case 1:
        return {cosPhi, -sinPhi};
    case 2:
        return {-sinPhi, -cosPhi};
    default:
        return {-cosPhi, sinPhi};
    }
}

// --- extended precision for pow ---------------------------------------------------------------

// m · 2^e with m in [2^63, 2^64).
struct Ext
{
    std::uint64_t m;
    std::int64_t e;
};

Ext extFromMagnitude(std::uint64_t mag)
{
    const int c = clz64(mag);
    return {mag << c, -32 - c};
}

Ext extMul(Ext a, Ext b)
{
    const u128 p = u128(a.m) * b.m;
    Ext r;
    if (p >> 127) {
        const u128 q = (p >> 64) + ((p >> 63) & 1);
        r = {std::uint64_t(q), a.e + b.e + 64};
        if (q >> 64)
            r = {std::uint64_t(1) << 63, r.e + 1};
    } else {
        const u128 q = (p >> 63) + ((p >> 62) & 1);
        r = {std::uint64_t(q), a.e + b.e + 63};
        if (q >> 64)
            r = {std::uint64_t(1) << 63, r.e + 1};
    }
    return r;
}

Ext extReciprocal(Ext a)
{
    if (a.m == std::uint64_t(1) << 63)
        return {a.m, -a.e - 126};
    // 2^127 / m is in (2^63, 2^64).
    const u128 n = u128(1) << 127;
    std::uint64_t q = divide(n, a.m);
    const std::uint64_t rem = std::uint64_t(n - u128(q) * a.m);
    if (rem >= a.m - rem)
        ++q; // cannot wrap: q < 2^64 - 1 here
    return {q, -127 - a.e};
}

Fixed extToFixed(Ext v, bool negative)
{
    // raw = m · 2^(e + 32)
    const std::int64_t shift = -(v.e + 32);
    std::uint64_t mag;
    if (shift <= 0) {
        if (shift == 0 && negative && v.m == std::uint64_t(1) << 63)
            return Fixed::min();
        return negative ? Fixed::min() : Fixed::max();
    }
    mag = shift > 64 ? 0 : shiftRound(v.m, int(shift));
    if (mag > std::uint64_t(INT64_MAX))
        return negative ? Fixed::min() : Fixed::max();
    return Fixed::fromRaw(negative ? -static_cast<std::int64_t>(mag) : static_cast<std::int64_t>(mag));
}

} // namespace

std::uint64_t isqrt(unsigned __int128 n) noexcept
{
    if (n == 0)
        return 0;
    const int shift = clz128(n) & ~1;
    const u128 big = n << shift; // [2^126, 2^128)
    const std::uint64_t m = std::uint64_t(big >> 64); // [2^62, 2^64), u = m / 2^64
    // y ≈ 1/sqrt(u) in Q2.62: a table seed good to 2^-8, then three Newton steps
    // y ← y·(3 - u·y²)/2, each squaring the relative error.
    std::uint64_t y = std::uint64_t(RsqrtSeed[(m >> 56) - 64]) << 48;
    for (int k = 0; k < 3; ++k) {
        const std::uint64_t uy = std::uint64_t((u128(m) * y) >> 64); // u·y ≈ sqrt(u), Q2.62
        const std::uint64_t uyy = std::uint64_t((u128(uy) * y) >> 62); // u·y² ≈ 1, Q2.62
        const std::uint64_t corr = (std::uint64_t(3) << 62) - uyy;
        y = std::uint64_t((u128(y) * corr) >> 63);
    }
    // sqrt(big) = sqrt(u) · 2^64 ≈ u·y · 2^64, good to a few dozen units.
    u128 r0 = (u128(m) * y) >> 62;
    if (r0 >> 64)
        r0 = ~std::uint64_t(0);
    std::uint64_t r = std::uint64_t(r0);
    // One Newton step on the exact remainder, r += (big - r²) / (2r), with 1/(2r) ≈ y·2^-127 taken
    // from the reciprocal root we already have instead of a division.
    const i128 remainder = i128(big - u128(r) * r); // exact: |big - r²| < 2^72
    const i128 step = ((remainder >> 16) * i128(y)) >> 111;
    const i128 next = i128(r) + step;
    r = next > i128(~std::uint64_t(0)) ? ~std::uint64_t(0) : next < 0 ? 0 : std::uint64_t(next);
    // Final exact correction: the Newton step leaves r within a unit or two.
    for (int k = 0; k < 3 && u128(r) * r > big; ++k)
        --r;
    for (int k = 0; k < 3 && r != ~std::uint64_t(0) && u128(r + 1) * (r + 1) <= big; ++k)
        ++r;
    return r >> (shift / 2);
}

Fixed sqrt(Fixed x) noexcept
{
    if (x.raw() <= 0)
        return Fixed::zero();
    const u128 n = u128(std::uint64_t(x.raw())) << 32;
    const std::uint64_t r = isqrt(n);
    // Round to nearest: (r + ½)² = r² + r + ¼, so round up when n - r² > r.
    return Fixed::fromRaw(std::int64_t(r + ((n - u128(r) * r > r) ? 1 : 0)));
}

Fixed hypot(Fixed a, Fixed b) noexcept
{
    const u128 ua = magnitude(a.raw());
    const u128 ub = magnitude(b.raw());
    const u128 n = ua * ua + ub * ub; // < 2^127
    const std::uint64_t r = isqrt(n);
    const std::uint64_t rounded = r + ((n - u128(r) * r > r) ? 1 : 0);
    return rounded > std::uint64_t(INT64_MAX) ? Fixed::max()
                                              : Fixed::fromRaw(std::int64_t(rounded));
}

Fixed sin(Fixed x) noexcept
{
    return roundQ64(sinCosQ64(x).s);
}

Fixed cos(Fixed x) noexcept
{
    return roundQ64(sinCosQ64(x).c);
}

std::pair<Fixed, Fixed> sinCos(Fixed x) noexcept
{
    const SinCosQ64 sc = sinCosQ64(x);
    return {roundQ64(sc.s), roundQ64(sc.c)};
}

Fixed tan(Fixed x) noexcept
{
    const SinCosQ64 sc = sinCosQ64(x);
    const bool negative = (sc.s < 0) != (sc.c < 0);
    const u128 s = sc.s < 0 ? u128(-sc.s) : u128(sc.s);
    const u128 c = sc.c < 0 ? u128(-sc.c) : u128(sc.c);
    if (c == 0 || (s >> 31) >= c)
        return negative ? Fixed::min() : Fixed::max();
    // s·2^32 / c, rounded; both ≤ 2^64 so the numerator fits.
    const u128 n = s << 32;
    u128 q = n / c;
    const u128 rest = n - q * c;
    if (rest >= c - rest)
        ++q;
    if (q > u128(INT64_MAX))
        return negative ? Fixed::min() : Fixed::max();
    return Fixed::fromRaw(negative ? -std::int64_t(q) : std::int64_t(q));
}

Fixed atan2(Fixed y, Fixed x) noexcept
{
    return roundQ64(atan2Q64(magnitude(y.raw()), magnitude(x.raw()), y.raw() < 0, x.raw() < 0));
}

Fixed atan(Fixed x) noexcept
{
    return roundQ64(atan2Q64(magnitude(x.raw()), u128(1) << 32, x.raw() < 0, false));
}

namespace {

// For |x| < 1: |x| and sqrt(1 - x²), both in Q64.
std::pair<u128, u128> asinLegs(Fixed x)
{
    const u128 ax = u128(magnitude(x.raw())) << 32; // < 2^64
    const u128 x2 = ax * ax >> 64; // x² in Q64, exact to 2^-64
    if (x2 == 0)
        return {ax, u128(1) << 64}; // x == 0: 1 - x² = 1, whose root isqrt cannot return
    const u128 rest = (u128(1) << 64) - x2; // 1 - x²
    const u128 s = isqrt(rest << 64);
    return {ax, s};
}

} // namespace

Fixed asin(Fixed x) noexcept
{
    if (x.raw() >= Fixed::RawOne)
        return halfPi();
    if (x.raw() <= -Fixed::RawOne)
        return -halfPi();
    const auto [ax, s] = asinLegs(x);
    return roundQ64(atan2Q64(ax, s, x.raw() < 0, false));
}

Fixed acos(Fixed x) noexcept
{
    if (x.raw() >= Fixed::RawOne)
        return Fixed::zero();
    if (x.raw() <= -Fixed::RawOne)
        return pi();
    const auto [ax, s] = asinLegs(x);
    return roundQ64(atan2Q64(s, ax, false, x.raw() < 0));
}

Fixed exp(Fixed x) noexcept
{
    if (x.raw() > 22 * Fixed::RawOne)
        return Fixed::max();
    if (x.raw() < -24 * Fixed::RawOne)
        return Fixed::zero();
    // x · log2 e at scale 2^-120, then 2^t = 2^floor(t) · 2^frac(t).
    const i128 t = i128(x.raw()) * i128(Log2eQ88);
    const std::int64_t whole = std::int64_t(t >> 120);
    const std::uint64_t fraction = std::uint64_t(u128(t) >> 56);
    return scaleMantissa(exp2Fraction(fraction), whole);
}

Fixed exp2(Fixed x) noexcept
{
    const std::int64_t whole = x.raw() >> 32;
    if (whole >= 31)
        return Fixed::max();
    if (whole < -40)
        return Fixed::zero();
    const std::uint64_t fraction = std::uint64_t(x.raw()) << 32;
    return scaleMantissa(exp2Fraction(fraction), whole);
}

Fixed log(Fixed x) noexcept
{
    if (x.raw() <= 0)
        return Fixed::min();
    return roundQ64(lnQ64(std::uint64_t(x.raw())));
}

Fixed log2(Fixed x) noexcept
{
    if (x.raw() <= 0)
        return Fixed::min();
    i128 l2 = 0;
    lnQ64(std::uint64_t(x.raw()), &l2);
    return roundQ64(l2);
}

Fixed log10(Fixed x) noexcept
{
    if (x.raw() <= 0)
        return Fixed::min();
    // ln x at scale 2^-56 (|ln x| < 23 keeps the product in 128 bits), times log10 e at 2^-63.
    const i128 ln56 = lnQ64(std::uint64_t(x.raw())) >> 8;
    return roundQ64((ln56 * Log10eQ63) >> 55);
}

Fixed pow(Fixed x, Fixed y) noexcept
{
    if (y.raw() == 0)
        return Fixed::one();
    if (x.raw() == 0)
        return y.raw() > 0 ? Fixed::zero() : Fixed::max();
    if (y == Fixed::one())
        return x;
    if (y.isInteger()) {
        std::uint64_t n = magnitude(y.toInt());
        const bool negative = x.raw() < 0 && (n & 1);
        Ext base = extFromMagnitude(magnitude(x.raw()));
        Ext result{std::uint64_t(1) << 63, -63};
        while (n != 0) {
            if (n & 1)
                result = extMul(result, base);
            n >>= 1;
            if (n != 0)
                base = extMul(base, base);
        }
        if (y.raw() < 0)
            result = extReciprocal(result);
        return extToFixed(result, negative);
    }
    if (x.raw() < 0)
        return Fixed::zero();
    if (y.raw() == Fixed::RawOne / 2)
        return sqrt(x); // common in scripts (x^0.5), and correctly rounded this way
    i128 l2 = 0; // log2 x in Q64, |l2| ≤ 32·2^64
    lnQ64(std::uint64_t(x.raw()), &l2);
    // t = y · log2 x in Q64 from y (Q32) times l2 split into 32-bit halves.
    const i128 high = l2 >> 32;
    const std::uint64_t low = std::uint64_t(l2) & 0xffffffffu;
    const i128 t = i128(y.raw()) * high + ((i128(y.raw()) * i128(low)) >> 32);
    if (t >= (i128(31) << 64))
        return Fixed::max();
    if (t < -(i128(40) << 64))
        return Fixed::zero();
    const std::int64_t whole = std::int64_t(t >> 64);
    return scaleMantissa(exp2Fraction(std::uint64_t(u128(t))), whole);
}

} // namespace metatopia::fmath
