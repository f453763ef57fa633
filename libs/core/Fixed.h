// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

// libs/core is the deterministic foundation every other library stands on: the Fixed number
// type and its math (FixedMath.h), vectors and quaternions (FVec3.h, FQuat.h), typed ids (Id.h),
// events and their canonical order (Event.h, EventOrder.h), state hashing (StateHash.h) and the
// CBOR codec of these types (CoreCbor.h). Nothing here uses floating point in computation, the
// wall clock or addresses, so every replica computes the same bits.
//
// Fixed: the number type of the deterministic world. Q32.32 in an int64 (range about ±2.1e9,
// resolution 2^-32 ≈ 2.3e-10). Every replica on every machine and compiler computes the same bits,
// which floats cannot promise, so world state, physics results entering the sim and Lua's "float"
// subtype are all Fixed.
//
// Defined results (no NaN, no infinity, no undefined behaviour):
// - + - * wrap around in two's complement like Lua integers; checkedAdd/checkedSub/checkedMul report
//   overflow instead.
// - * and / round to nearest (ties away from zero). A quotient that does not fit wraps like *.
// - x / 0 saturates: max() for x > 0, min() for x < 0, 0 for 0; checkedDiv reports it instead.
// - Conversions from integers wrap modulo 2^32 in the integer part; toInt truncates toward zero,
//   floor/ceil round as named (ceil wraps at the top of the range like +).
// - abs(min()) and -min() are min() (two's complement wrap, like Lua integers).
// Deterministic functions (sqrt, sin, exp, ...) live in core/FixedMath.h.

// <cstddef> before <compare>: moc (Qt 6.4) fails to parse <concepts> when it comes first.
#include <cstddef>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

namespace metatopia {

struct FixedParseResult;

class Fixed
{
public:
    static constexpr int FractionBits = 32;
    static constexpr std::int64_t RawOne = std::int64_t(1) << FractionBits;
    // Buffer size that always holds toString() / toChars() (the output itself is at most 22
    // characters: sign, 10 integer digits, point, 10 fraction digits).
    static constexpr std::size_t MaxChars = 44;

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
    // Exact rational n/d rounded to nearest (ties away from zero), wrapping when out of range;
    // d == 0 follows the division rule.
    static constexpr Fixed fromRatio(std::int64_t n, std::int64_t d) noexcept
    {
        if (d == 0)
            return n > 0 ? max() : n < 0 ? min() : zero();
        const unsigned __int128 un = static_cast<unsigned __int128>(magnitude(n)) << FractionBits;
        const std::uint64_t ud = magnitude(d);
        unsigned __int128 q = un / ud;
        const std::uint64_t r = static_cast<std::uint64_t>(un - q * ud);
        q += r >= ud - r ? 1 : 0;
        const std::uint64_t q64 = static_cast<std::uint64_t>(q);
        return fromRaw(static_cast<std::int64_t>(((n < 0) != (d < 0)) ? 0 - q64 : q64));
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
        if (m_raw >= 0)
            return m_raw >> FractionBits;
        const std::uint64_t magnitude = 0 - static_cast<std::uint64_t>(m_raw);
        return -static_cast<std::int64_t>(magnitude >> FractionBits);
    }
    // Only for display and tests at the edge of the system: never feeds back into state.
    constexpr double toDouble() const noexcept { return double(m_raw) / double(RawOne); }
    // Rounds to nearest (ties away from zero); saturates out of range; NaN gives 0. For inputs
    // from outside the deterministic core (Bullet, UI).
    static Fixed fromDouble(double value) noexcept;

    constexpr Fixed floor() const noexcept { return fromRaw(m_raw & ~(RawOne - 1)); }
    constexpr Fixed ceil() const noexcept
    {
        return fromRaw(static_cast<std::int64_t>(
            (static_cast<std::uint64_t>(m_raw) + static_cast<std::uint64_t>(RawOne - 1))
            & ~static_cast<std::uint64_t>(RawOne - 1)));
    }
    // Half away from zero; wraps like + at the top of the range.
    Fixed round() const noexcept;
    constexpr Fixed abs() const noexcept { return m_raw < 0 ? -*this : *this; }
    constexpr bool isInteger() const noexcept { return (m_raw & (RawOne - 1)) == 0; }
    // Fraction part in [0, 1): x - floor(x).
    constexpr Fixed fract() const noexcept { return fromRaw(m_raw & (RawOne - 1)); }

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
        const __int128 p = static_cast<__int128>(a.m_raw) * b.m_raw;
        // Round half away from zero without a branch: for p < 0, -((-p + h) >> 32) equals
        // (p + h - 1) >> 32 with an arithmetic shift.
        const __int128 half = static_cast<__int128>(1) << (FractionBits - 1);
        const __int128 r = (p + half - (p < 0 ? 1 : 0)) >> FractionBits;
        return fromRaw(static_cast<std::int64_t>(static_cast<unsigned __int128>(r)));
    }
    friend constexpr Fixed operator/(Fixed a, Fixed b) noexcept
    {
        if (b.m_raw == 0)
            return a.m_raw > 0 ? max() : a.m_raw < 0 ? min() : zero();
        const bool negative = (a.m_raw < 0) != (b.m_raw < 0);
        const std::uint64_t q = divideMagnitudes(magnitude(a.m_raw), magnitude(b.m_raw));
        return fromRaw(static_cast<std::int64_t>(negative ? 0 - q : q));
    }
    // Lua's float modulo: a - floor(a/b)*b computed exactly; the result has the sign of b (or is
    // 0); b == 0 gives 0.
    friend Fixed mod(Fixed a, Fixed b) noexcept;
    // floor(a/b) of the exact quotient (Lua's //), not of the rounded one: 2.9999999999 stays 2.
    // b == 0 follows the division rule; a quotient beyond the range wraps like fromInt.
    // a == floorDiv(a, b) * b + mod(a, b) whenever nothing wraps.
    friend Fixed floorDiv(Fixed a, Fixed b) noexcept;

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
    // nullopt for b == 0 and for a quotient out of range.
    static std::optional<Fixed> checkedDiv(Fixed a, Fixed b) noexcept;

    // Shortest decimal that parses back to exactly this value ("1.5", "-0.1", "3"). Never uses
    // an exponent; at most MaxChars characters.
    std::string toString() const;
    // Decimal with exactly `digits` (clamped to 0..400) digits after the point, correctly rounded
    // half away from zero (for "%.Nf"). Like printf, a negative value that rounds to zero keeps
    // its sign ("-0.00").
    std::string toString(int digits) const;
    // toString() into a caller's buffer of at least MaxChars bytes (no terminating NUL); returns
    // the length. For Lua's lua_number2str, which must not allocate.
    std::size_t toChars(char *buffer) const noexcept;

    enum class ParseStatus : std::uint8_t { Ok, Malformed, OutOfRange };
    using ParseResult = FixedParseResult;
    // Parses [+-]digits[.digits][(e|E)[+-]digits] and [+-]0x hexdigits[.hexdigits][(p|P)[+-]digits]
    // (binary exponent, as in C and Lua); rounds to nearest, ties away from zero. nullopt on
    // malformed input (including surrounding spaces, "inf", "nan") or a value out of range.
    static constexpr std::optional<Fixed> parse(std::string_view text) noexcept;
    // strtod-like: skips leading whitespace and parses the longest valid prefix. Out of range
    // reports OutOfRange with the length of the number.
    static constexpr ParseResult parsePrefix(std::string_view text) noexcept;

private:
    static constexpr std::uint64_t magnitude(std::int64_t v) noexcept
    {
        return v < 0 ? 0 - static_cast<std::uint64_t>(v) : static_cast<std::uint64_t>(v);
    }
    // round((ua << 32) / ub) modulo 2^64, ties away from zero; ub != 0.
    static constexpr std::uint64_t divideMagnitudes(std::uint64_t ua, std::uint64_t ub) noexcept
    {
        if (ua < (std::uint64_t(1) << 32)) {
            // The shifted dividend fits in 64 bits: one plain division.
            const std::uint64_t n = ua << FractionBits;
            const std::uint64_t q = n / ub;
            const std::uint64_t r = n - q * ub;
            return q + (r >= ub - r ? 1 : 0);
        }
#if defined(__x86_64__)
        // Same integer result as the generic path, but one divq instead of a libgcc call. divq
        // traps when the quotient needs more than 64 bits, hence the guard.
        if (!std::is_constant_evaluated() && (ua >> (64 - FractionBits)) < ub) {
            std::uint64_t q;
            std::uint64_t r;
            asm("divq %4"
                : "=a"(q), "=d"(r)
                : "a"(ua << FractionBits), "d"(ua >> (64 - FractionBits)), "rm"(ub)
                : "cc");
            return q + (r >= ub - r ? 1 : 0);
        }
#endif
        const unsigned __int128 n = static_cast<unsigned __int128>(ua) << FractionBits;
        const unsigned __int128 q = n / ub;
        const std::uint64_t r = static_cast<std::uint64_t>(n - q * ub);
        return static_cast<std::uint64_t>(q) + (r >= ub - r ? 1 : 0);
    }

    std::int64_t m_raw;
};

struct FixedParseResult
{
    Fixed value;
    std::size_t length; // characters consumed (0 when malformed)
    Fixed::ParseStatus status;
};

constexpr Fixed::ParseResult Fixed::parsePrefix(std::string_view s) noexcept
{
    const std::size_t n = s.size();
    std::size_t i = 0;
    const auto isSpace = [](char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
    };
    const auto isDigit = [](char c) { return c >= '0' && c <= '9'; };
    const auto hexValue = [](char c) -> int {
        if (c >= '0' && c <= '9')
            return c - '0';
        if (c >= 'a' && c <= 'f')
            return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
            return c - 'A' + 10;
        return -1;
    };
    // Parses an optionally signed decimal exponent at s[j], clamped far beyond any useful value.
    // Returns false (and consumes nothing) when there is no digit.
    const auto exponent = [&](std::size_t &j, std::int64_t &value) {
        std::size_t k = j + 1;
        bool negativeExp = false;
        if (k < n && (s[k] == '+' || s[k] == '-')) {
            negativeExp = s[k] == '-';
            ++k;
        }
        if (k >= n || !isDigit(s[k]))
            return false;
        std::int64_t e = 0;
        for (; k < n && isDigit(s[k]); ++k) {
            if (e < 1000000)
                e = e * 10 + (s[k] - '0');
        }
        value = negativeExp ? -e : e;
        j = k;
        return true;
    };

    while (i < n && isSpace(s[i]))
        ++i;
    bool negative = false;
    if (i < n && (s[i] == '+' || s[i] == '-')) {
        negative = s[i] == '-';
        ++i;
    }
    const std::uint64_t limit = negative ? std::uint64_t(1) << 63 : (std::uint64_t(1) << 63) - 1;
    const auto finish = [&](std::uint64_t mag, bool inRange, std::size_t end) {
        if (!inRange || mag > limit)
            return ParseResult{zero(), end, ParseStatus::OutOfRange};
        return ParseResult{fromRaw(static_cast<std::int64_t>(negative ? 0 - mag : mag)), end,
                           ParseStatus::Ok};
    };

    if (i + 1 < n && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X')) {
        std::size_t j = i + 2;
        std::uint64_t mantissa = 0; // at most 15 significant hex digits (60 bits)
        int significant = 0;
        std::int64_t exp2 = 0;
        bool anyDigit = false;
        for (; j < n && hexValue(s[j]) >= 0; ++j) {
            anyDigit = true;
            if (significant < 15) {
                mantissa = mantissa * 16 + std::uint64_t(hexValue(s[j]));
                significant += mantissa != 0 ? 1 : 0;
            } else {
                exp2 += 4; // dropped digit below the kept ones cannot decide ties-away rounding
            }
        }
        if (j < n && s[j] == '.') {
            ++j;
            for (; j < n && hexValue(s[j]) >= 0; ++j) {
                anyDigit = true;
                if (significant < 15) {
                    mantissa = mantissa * 16 + std::uint64_t(hexValue(s[j]));
                    significant += mantissa != 0 ? 1 : 0;
                    exp2 -= 4;
                }
            }
        }
        if (!anyDigit) // "0x" alone: strtod reads the "0"
            return finish(0, true, i + 1);
        std::int64_t e = 0;
        if (j < n && (s[j] == 'p' || s[j] == 'P') && exponent(j, e))
            exp2 += e;
        if (mantissa == 0)
            return finish(0, true, j);
        const std::int64_t shift = exp2 + FractionBits;
        if (shift >= 0) {
            if (shift >= 64 || mantissa > (limit >> shift))
                return finish(0, false, j);
            return finish(mantissa << shift, true, j);
        }
        const std::int64_t t = -shift;
        if (t >= 64)
            return finish(0, true, j);
        return finish((mantissa >> t) + ((mantissa >> (t - 1)) & 1), true, j);
    }

    // Decimal: locate the mantissa's digits, then read the integer part exactly and the first
    // 33 fraction digits, which decide round-to-nearest-ties-away (every midpoint between two
    // multiples of 2^-32 has at most 33 decimal places, and ties round up in magnitude).
    const std::size_t intBegin = i;
    while (i < n && isDigit(s[i]))
        ++i;
    const std::size_t intEnd = i;
    std::size_t fracBegin = i;
    std::size_t fracEnd = i;
    if (i < n && s[i] == '.') {
        fracBegin = ++i;
        while (i < n && isDigit(s[i]))
            ++i;
        fracEnd = i;
    }
    const std::int64_t intCount = std::int64_t(intEnd - intBegin);
    const std::int64_t count = intCount + std::int64_t(fracEnd - fracBegin);
    if (count == 0)
        return ParseResult{zero(), 0, ParseStatus::Malformed};
    std::int64_t e = 0;
    if (i < n && (s[i] == 'e' || s[i] == 'E'))
        exponent(i, e);
    const auto digit = [&](std::int64_t k) -> std::uint64_t {
        if (k < 0 || k >= count)
            return 0;
        return std::uint64_t(k < intCount ? s[intBegin + std::size_t(k)]
                                          : s[fracBegin + std::size_t(k - intCount)])
            - '0';
    };
    const std::int64_t point = intCount + e; // digits [0, point) form the integer part
    std::uint64_t integer = 0;
    const std::uint64_t integerLimit = std::uint64_t(1) << 31;
    for (std::int64_t k = 0; k < point; ++k) {
        if (k >= count && integer == 0)
            break; // only zeros remain
        integer = integer * 10 + digit(k);
        if (integer > integerLimit)
            return finish(0, false, i);
    }
    constexpr unsigned __int128 five33 = [] {
        unsigned __int128 p = 1;
        for (int k = 0; k < 33; ++k)
            p *= 5;
        return p;
    }();
    unsigned __int128 fraction = 0;
    if (point < count) {
        for (std::int64_t k = point; k < point + 33; ++k)
            fraction = fraction * 10 + digit(k);
    }
    // fraction / 10^33 * 2^32 == fraction / (2 * 5^33)
    const unsigned __int128 divisor = 2 * five33;
    std::uint64_t low = static_cast<std::uint64_t>(fraction / divisor);
    if (fraction % divisor >= five33)
        ++low;
    return finish((integer << FractionBits) + low, true, i);
}

constexpr std::optional<Fixed> Fixed::parse(std::string_view text) noexcept
{
    if (text.empty() || text.front() == ' ' || (text.front() >= '\t' && text.front() <= '\r'))
        return std::nullopt;
    const ParseResult r = parsePrefix(text);
    if (r.status != ParseStatus::Ok || r.length != text.size())
        return std::nullopt;
    return r.value;
}

namespace literals {
// 1.5_fix: the user-defined literal Lua's l_mathop(1.0) pastes into (see libs/script).
consteval Fixed operator""_fix(unsigned long long value)
{
    return Fixed::fromInt(static_cast<std::int64_t>(value));
}
// Floating literals are parsed from their spelling at compile time, so 0.1_fix is the Fixed
// nearest to one tenth (a long double parameter would round twice). A literal out of range or
// malformed is a compile error.
template<char... Chars>
consteval Fixed operator""_fix()
{
    constexpr char spelled[] = {Chars...};
    char text[sizeof...(Chars)] = {};
    std::size_t length = 0;
    for (const char c : spelled) {
        if (c != '\'') // digit separators
            text[length++] = c;
    }
    const auto result = Fixed::parse(std::string_view(text, length));
    if (!result)
        throw "invalid or out-of-range Fixed literal";
    return *result;
}
} // namespace literals

} // namespace metatopia
