// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "core/Fixed.h"

#include <algorithm>
#include <cmath>

namespace metatopia {

namespace {

using u128 = unsigned __int128;

constexpr u128 pow10(int n)
{
    u128 p = 1;
    for (int k = 0; k < n; ++k)
        p *= 10;
    return p;
}

constexpr u128 pow5(int n)
{
    u128 p = 1;
    for (int k = 0; k < n; ++k)
        p *= 5;
    return p;
}

// Powers of ten and five up to the 32 decimal places of an exact 2^-32 fraction.
struct Powers
{
    u128 ten[33];
    u128 five[33];
};
constexpr Powers powers = [] {
    Powers p{};
    for (int k = 0; k <= 32; ++k) {
        p.ten[k] = pow10(k);
        p.five[k] = pow5(k);
    }
    return p;
}();

std::uint64_t magnitudeOf(std::int64_t raw)
{
    return raw < 0 ? 0 - static_cast<std::uint64_t>(raw) : static_cast<std::uint64_t>(raw);
}

// Writes the decimal digits of v; returns the count.
std::size_t writeUnsigned(char *out, std::uint64_t v)
{
    char tmp[20];
    std::size_t n = 0;
    do {
        tmp[n++] = char('0' + v % 10);
        v /= 10;
    } while (v != 0);
    for (std::size_t k = 0; k < n; ++k)
        out[k] = tmp[n - 1 - k];
    return n;
}

// Writes v as exactly `width` digits with leading zeros.
void writePadded(char *out, std::uint64_t v, int width)
{
    for (int k = width - 1; k >= 0; --k) {
        out[k] = char('0' + int(v % 10));
        v /= 10;
    }
}

void writePadded(char *out, u128 v, int width)
{
    if (v >> 64 == 0) {
        writePadded(out, std::uint64_t(v), width);
        return;
    }
    for (int k = width - 1; k >= 0; --k) {
        out[k] = char('0' + int(v % 10));
        v /= 10;
    }
}

} // namespace

Fixed Fixed::fromDouble(double value) noexcept
{
    if (std::isnan(value))
        return zero();
    const double scaled = value * 4294967296.0; // exact: a power of two
    if (scaled >= 9223372036854775808.0)
        return max();
    if (scaled <= -9223372036854775808.0)
        return min();
    return fromRaw(std::llround(scaled));
}

Fixed Fixed::round() const noexcept
{
    constexpr std::uint64_t half = std::uint64_t(1) << (FractionBits - 1);
    constexpr std::uint64_t mask = ~static_cast<std::uint64_t>(RawOne - 1);
    if (m_raw >= 0)
        return fromRaw(static_cast<std::int64_t>((static_cast<std::uint64_t>(m_raw) + half) & mask));
    const std::uint64_t rounded = (magnitudeOf(m_raw) + half) & mask;
    return fromRaw(static_cast<std::int64_t>(0 - rounded));
}

Fixed mod(Fixed a, Fixed b) noexcept
{
    // Both are integers in units of 2^-32, so the remainder is exact. -1 is special-cased because
    // INT64_MIN % -1 is undefined.
    if (b.m_raw == 0 || b.m_raw == -1)
        return Fixed::zero();
    std::int64_t m = a.m_raw % b.m_raw;
    if (m != 0 && ((m ^ b.m_raw) < 0))
        m += b.m_raw;
    return Fixed::fromRaw(m);
}

Fixed floorDiv(Fixed a, Fixed b) noexcept
{
    if (b.m_raw == 0)
        return a.m_raw > 0 ? Fixed::max() : a.m_raw < 0 ? Fixed::min() : Fixed::zero();
    if (b.m_raw == -1) // INT64_MIN / -1 is undefined; the quotient is -a_raw
        return Fixed::fromInt(static_cast<std::int64_t>(0 - static_cast<std::uint64_t>(a.m_raw)));
    // a/b == a_raw/b_raw: integer floor division of the raw values.
    std::int64_t q = a.m_raw / b.m_raw;
    if ((a.m_raw % b.m_raw != 0) && ((a.m_raw < 0) != (b.m_raw < 0)))
        --q;
    return Fixed::fromInt(q);
}

std::optional<Fixed> Fixed::checkedAdd(Fixed a, Fixed b) noexcept
{
    std::int64_t r;
    if (__builtin_add_overflow(a.m_raw, b.m_raw, &r))
        return std::nullopt;
    return fromRaw(r);
}

std::optional<Fixed> Fixed::checkedSub(Fixed a, Fixed b) noexcept
{
    std::int64_t r;
    if (__builtin_sub_overflow(a.m_raw, b.m_raw, &r))
        return std::nullopt;
    return fromRaw(r);
}

std::optional<Fixed> Fixed::checkedMul(Fixed a, Fixed b) noexcept
{
    const __int128 p = static_cast<__int128>(a.m_raw) * b.m_raw;
    const __int128 half = static_cast<__int128>(1) << (FractionBits - 1);
    const __int128 r = (p + half - (p < 0 ? 1 : 0)) >> FractionBits;
    if (r > INT64_MAX || r < INT64_MIN)
        return std::nullopt;
    return fromRaw(static_cast<std::int64_t>(r));
}

std::optional<Fixed> Fixed::checkedDiv(Fixed a, Fixed b) noexcept
{
    if (b.m_raw == 0)
        return std::nullopt;
    const bool negative = (a.m_raw < 0) != (b.m_raw < 0);
    const std::uint64_t ua = magnitudeOf(a.m_raw);
    const std::uint64_t ub = magnitudeOf(b.m_raw);
    const u128 n = static_cast<u128>(ua) << FractionBits;
    u128 q = n / ub;
    const std::uint64_t r = static_cast<std::uint64_t>(n - q * ub);
    q += r >= ub - r ? 1 : 0;
    const u128 limit = negative ? u128(1) << 63 : (u128(1) << 63) - 1;
    if (q > limit)
        return std::nullopt;
    const std::uint64_t q64 = static_cast<std::uint64_t>(q);
    return fromRaw(static_cast<std::int64_t>(negative ? 0 - q64 : q64));
}

std::size_t Fixed::toChars(char *buffer) const noexcept
{
    std::size_t length = 0;
    if (m_raw < 0)
        buffer[length++] = '-';
    const std::uint64_t mag = magnitudeOf(m_raw);
    length += writeUnsigned(buffer + length, mag >> FractionBits);
    const std::uint64_t frac = mag & std::uint64_t(RawOne - 1);
    if (frac == 0)
        return length;
    // The rounding interval around frac is 2^-32 ≈ 2.3e-10 wide, so some decimal with at most 10
    // places reads back as frac; try 1, 2, ... places, taking the closest candidate each time
    // (if it does not read back, no other decimal with that many places does).
    std::uint64_t scale = 1;
    for (int digits = 1; digits <= 10; ++digits) {
        scale *= 10;
        const u128 exact = u128(frac) * scale; // frac / 2^32 · 10^digits, at scale 2^32
        const std::uint64_t candidate = std::uint64_t((exact + (u128(1) << 31)) >> 32);
        // parse() reads candidate / 10^digits back as frac iff
        // frac - ½ ≤ candidate · 2^32 / 10^digits < frac + ½ (ties round up in magnitude).
        const u128 twice = u128(candidate) << 33;
        if (2 * exact <= twice + scale && twice < 2 * exact + scale) {
            buffer[length++] = '.';
            writePadded(buffer + length, candidate, digits);
            return length + std::size_t(digits);
        }
    }
    return length; // unreachable: 10 places always suffice
}

std::string Fixed::toString() const
{
    char buffer[MaxChars];
    return std::string(buffer, toChars(buffer));
}

std::string Fixed::toString(int digits) const
{
    digits = std::clamp(digits, 0, 400);
    std::string out;
    out.reserve(std::size_t(digits) + 13);
    if (m_raw < 0)
        out += '-';
    const std::uint64_t mag = magnitudeOf(m_raw);
    std::uint64_t integer = mag >> FractionBits;
    const u128 exact = u128(mag & std::uint64_t(RawOne - 1)) * powers.five[32];
    const int kept = std::min(digits, 32);
    const u128 divisor = powers.ten[32 - kept];
    u128 fraction = exact / divisor;
    const u128 rest = exact - fraction * divisor;
    if (divisor > 1 && rest >= divisor - rest)
        ++fraction;
    if (fraction == powers.ten[kept]) {
        fraction = 0;
        ++integer;
    }
    char buffer[20];
    out.append(buffer, writeUnsigned(buffer, integer));
    if (digits > 0) {
        out += '.';
        char places[32];
        writePadded(places, fraction, kept);
        out.append(places, std::size_t(kept));
        out.append(std::size_t(digits - kept), '0');
    }
    return out;
}

} // namespace metatopia
