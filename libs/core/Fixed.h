// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

// Fixed: the number type of the deterministic world. Q32.32 in an int64 (range about ±2.1e9,
// resolution 2^-32 ≈ 2.3e-10). Every replica on every machine and compiler computes the same bits,
// which floats cannot promise, so world state, physics results entering the sim and Lua's "float"
// subtype are all Fixed.
//
// Defined results (no NaN, no infinity, no undefined behaviour):
// - + - * wrap around in two's complement like Lua integers; checkedAdd/checkedSub/checkedMul report
//   overflow instead.
// - * and / round to nearest (ties away from zero).
// - x / 0 saturates: max() for x > 0, min() for x < 0, 0 for 0; checkedDiv reports it instead.
// - Conversions from integers wrap modulo 2^32 in the integer part; toInt truncates toward zero,
//   floor/ceil round as named.

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace metatopia {

class Fixed
{
public:
    static constexpr int FractionBits = 32;
    static constexpr std::int64_t RawOne = std::int64_t(1) << FractionBits;

    // Defaulted so that Fixed stays trivial: Lua keeps it in a union next to integers.
    Fixed() = default;

    static constexpr Fixed fromRaw(std::int64_t raw) noexcept
    {
        Fixed f;
        f.m_raw = raw;
        return f;
    }
    static constexpr Fixed fromInt(std::int64_t value) noexcept
    {
        return fromRaw(static_cast<std::int64_t>(static_cast<std::uint64_t>(value) << FractionBits));
    }
    // Exact rational n/d rounded to nearest; d == 0 follows the division rule.
    static constexpr Fixed fromRatio(std::int64_t n, std::int64_t d) noexcept
    {
        return fromInt(n) / fromInt(d);
    }
    static constexpr Fixed zero() noexcept { return fromRaw(0); }
    static constexpr Fixed one() noexcept { return fromRaw(RawOne); }
    static constexpr Fixed max() noexcept { return fromRaw(INT64_MAX); }
    static constexpr Fixed min() noexcept { return fromRaw(INT64_MIN); }
    static constexpr Fixed epsilon() noexcept { return fromRaw(1); }

    constexpr std::int64_t raw() const noexcept { return m_raw; }

    // Truncates toward zero, like a C cast.
    constexpr std::int64_t toInt() const noexcept
    {
        return m_raw >= 0 ? (m_raw >> FractionBits) : -((-(m_raw + 1) + 1) >> FractionBits);
    }
    // Only for display and tests at the edge of the system: never feeds back into state.
    constexpr double toDouble() const noexcept { return double(m_raw) / double(RawOne); }
    // Rounds to nearest; for inputs from outside the deterministic core (Bullet, UI).
    static Fixed fromDouble(double value) noexcept;

    constexpr Fixed floor() const noexcept { return fromRaw(m_raw & ~(RawOne - 1)); }
    constexpr Fixed ceil() const noexcept
    {
        return fromRaw(static_cast<std::int64_t>(
            (static_cast<std::uint64_t>(m_raw) + static_cast<std::uint64_t>(RawOne - 1))
            & ~static_cast<std::uint64_t>(RawOne - 1)));
    }
    // Half away from zero.
    Fixed round() const noexcept;
    constexpr Fixed abs() const noexcept { return m_raw < 0 ? -*this : *this; }
    constexpr bool isInteger() const noexcept { return (m_raw & (RawOne - 1)) == 0; }

    constexpr Fixed operator-() const noexcept
    {
        return fromRaw(static_cast<std::int64_t>(0 - static_cast<std::uint64_t>(m_raw)));
    }
    constexpr Fixed operator+() const noexcept { return *this; }

    friend constexpr Fixed operator+(Fixed a, Fixed b) noexcept
    {
        return fromRaw(static_cast<std::int64_t>(static_cast<std::uint64_t>(a.m_raw)
                                                 + static_cast<std::uint64_t>(b.m_raw)));
    }
    friend constexpr Fixed operator-(Fixed a, Fixed b) noexcept
    {
        return fromRaw(static_cast<std::int64_t>(static_cast<std::uint64_t>(a.m_raw)
                                                 - static_cast<std::uint64_t>(b.m_raw)));
    }
    friend constexpr Fixed operator*(Fixed a, Fixed b) noexcept
    {
        __int128 p = static_cast<__int128>(a.m_raw) * b.m_raw;
        // Round half away from zero.
        const __int128 half = static_cast<__int128>(1) << (FractionBits - 1);
        p = p >= 0 ? (p + half) >> FractionBits : -((-p + half) >> FractionBits);
        return fromRaw(static_cast<std::int64_t>(static_cast<unsigned __int128>(p)));
    }
    friend constexpr Fixed operator/(Fixed a, Fixed b) noexcept
    {
        if (b.m_raw == 0)
            return a.m_raw > 0 ? max() : a.m_raw < 0 ? min() : zero();
        __int128 n = static_cast<__int128>(a.m_raw) * RawOne;
        const __int128 d = b.m_raw;
        const bool negative = (n < 0) != (d < 0);
        const unsigned __int128 un = n < 0 ? -static_cast<unsigned __int128>(n) : n;
        const unsigned __int128 ud = d < 0 ? -static_cast<unsigned __int128>(d) : d;
        unsigned __int128 q = (un + ud / 2) / ud;
        __int128 s = negative ? -static_cast<__int128>(q) : static_cast<__int128>(q);
        return fromRaw(static_cast<std::int64_t>(static_cast<unsigned __int128>(s)));
    }
    // Lua's float modulo: a - floor(a/b)*b, result has the sign of b; b == 0 gives 0.
    friend Fixed mod(Fixed a, Fixed b) noexcept;

    constexpr Fixed &operator+=(Fixed o) noexcept { return *this = *this + o; }
    constexpr Fixed &operator-=(Fixed o) noexcept { return *this = *this - o; }
    constexpr Fixed &operator*=(Fixed o) noexcept { return *this = *this * o; }
    constexpr Fixed &operator/=(Fixed o) noexcept { return *this = *this / o; }

    friend constexpr bool operator==(Fixed a, Fixed b) noexcept { return a.m_raw == b.m_raw; }
    friend constexpr std::strong_ordering operator<=>(Fixed a, Fixed b) noexcept
    {
        return a.m_raw <=> b.m_raw;
    }

    static std::optional<Fixed> checkedAdd(Fixed a, Fixed b) noexcept;
    static std::optional<Fixed> checkedSub(Fixed a, Fixed b) noexcept;
    static std::optional<Fixed> checkedMul(Fixed a, Fixed b) noexcept;
    static std::optional<Fixed> checkedDiv(Fixed a, Fixed b) noexcept;

    // Shortest decimal that parses back to exactly this value ("1.5", "-0.1", "3").
    std::string toString() const;
    // Decimal with exactly `digits` digits after the point, correctly rounded (for "%.Nf").
    std::string toString(int digits) const;
    // Parses [+-]digits[.digits][e[+-]digits] and 0x hex forms; rounds to nearest. nullopt on
    // malformed input or a value out of range.
    static std::optional<Fixed> parse(std::string_view text) noexcept;

private:
    std::int64_t m_raw;
};

namespace literals {
// 1.5_fix: the user-defined literal Lua's l_mathop(1.0) pastes into (see libs/script).
consteval Fixed operator""_fix(unsigned long long value)
{
    return Fixed::fromInt(static_cast<std::int64_t>(value));
}
Fixed operator""_fix(long double value);
} // namespace literals

} // namespace metatopia
