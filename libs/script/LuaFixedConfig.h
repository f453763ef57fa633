// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

// Forced-include configuration of Lua 5.4 (compiled as C++20, see libs/script/CMakeLists.txt):
// makes Lua's float subtype our Q32.32 fixed point and closes Lua's non-deterministic corners.
// Lua's own files are never modified; everything happens through the configuration macros Lua
// offers (luaconf.h, llimits.h) and the handful below that we redefine after including them.
//
// lua_Number is LuaNumber, a trivial wrapper around Fixed's raw int64 that adds what Lua's code
// expects of a number type: construction from C integers (cast_num), comparisons with literals,
// and arithmetic that raises a Lua error instead of overflowing (there is no inf or NaN).

#ifndef LUA_CORE
#define LUA_CORE
#endif
#ifndef LUA_LIB
#define LUA_LIB
#endif

#include <cctype>
#include <climits>
#include <cmath> // before HUGE_VAL is redefined below
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <type_traits>

#include "core/Fixed.h"

#include "luaconf.h"

struct lua_State;

namespace metatopia::script {

// Raises a Lua error in L or, when Lua's code has no lua_State at hand (L is null), in the Lua
// thread currently running on this OS thread (see LuaRuntime.cpp). Returns `fallback` only when
// no Lua thread runs at all (never inside a ScriptVm).
[[gnu::cold]] std::int64_t numberError(lua_State *L, const char *what, std::int64_t fallback);
bool consumeFoldFailure() noexcept;

struct LuaNumber
{
    std::int64_t raw;

    LuaNumber() = default;
    constexpr LuaNumber(Fixed f) noexcept
        : raw(f.raw())
    {
    }
    // Lua's cast_num: integers outside Fixed's range are an error, not a silent wrap.
    template<class T>
        requires std::is_integral_v<T>
    constexpr LuaNumber(T v)
        : raw(fromInteger(v))
    {
    }
    // IEEE conversions by bit manipulation (no float arithmetic): string.pack/unpack "f" and
    // "d", and Lua's HUGE_VAL comparisons.
    explicit LuaNumber(double v) noexcept;
    explicit LuaNumber(float v) noexcept;
    explicit operator double() const noexcept;
    explicit operator float() const noexcept;

    static constexpr LuaNumber fromRaw(std::int64_t r) noexcept
    {
        LuaNumber n;
        n.raw = r;
        return n;
    }
    constexpr Fixed fixed() const noexcept { return Fixed::fromRaw(raw); }
    static constexpr LuaNumber huge() noexcept { return fromRaw(INT64_MAX); }

    template<class T>
    static constexpr std::int64_t fromInteger(T v)
    {
        if constexpr (std::is_signed_v<T>) {
            const auto w = static_cast<long long>(v);
            if (w >= -(1LL << 31) && w < (1LL << 31)) [[likely]]
                return static_cast<std::int64_t>(static_cast<std::uint64_t>(w) << 32);
            return outOfRange(w < 0);
        } else {
            const auto w = static_cast<unsigned long long>(v);
            if (w < (1ULL << 31)) [[likely]]
                return static_cast<std::int64_t>(w << 32);
            return outOfRange(false);
        }
    }
    static std::int64_t outOfRange(bool negative);

    constexpr LuaNumber operator-() const noexcept
    {
        return fromRaw(static_cast<std::int64_t>(0 - static_cast<std::uint64_t>(raw)));
    }
    friend constexpr bool operator==(LuaNumber a, LuaNumber b) noexcept { return a.raw == b.raw; }
    friend constexpr auto operator<=>(LuaNumber a, LuaNumber b) noexcept { return a.raw <=> b.raw; }

    // The operators Lua's own code uses outside luai_num* (f += 1 in luaV_flttointns, r + r*q
    // in luaK_numberK, k + b/1024 in collectgarbage): checked like luai_num*.
    friend LuaNumber operator+(LuaNumber a, LuaNumber b);
    friend LuaNumber operator-(LuaNumber a, LuaNumber b);
    friend LuaNumber operator*(LuaNumber a, LuaNumber b);
    friend LuaNumber operator/(LuaNumber a, LuaNumber b);
    // Only Lua's luaV_flttointns uses +=, as "f += 1" to turn a floor into a ceiling. At the top
    // of the range that ceiling (2^31) is an integer but no Fixed: keep the floor and let
    // lua_numbertointeger add the carry.
    LuaNumber &operator+=(LuaNumber o)
    {
        std::int64_t r;
        if (__builtin_add_overflow(raw, o.raw, &r)) [[unlikely]]
            setCeilCarry();
        else
            raw = r;
        return *this;
    }
    static void setCeilCarry() noexcept;
    static std::int64_t consumeCeilCarry() noexcept;
};

// Checked arithmetic for luai_num*: an overflow or a division by zero raises a Lua error.
inline LuaNumber numAdd(lua_State *L, LuaNumber a, LuaNumber b)
{
    std::int64_t r;
    if (__builtin_add_overflow(a.raw, b.raw, &r)) [[unlikely]]
        r = numberError(L, "number overflow in '+' (beyond the fixed-point range)", r);
    return LuaNumber::fromRaw(r);
}
inline LuaNumber numSub(lua_State *L, LuaNumber a, LuaNumber b)
{
    std::int64_t r;
    if (__builtin_sub_overflow(a.raw, b.raw, &r)) [[unlikely]]
        r = numberError(L, "number overflow in '-' (beyond the fixed-point range)", r);
    return LuaNumber::fromRaw(r);
}
inline LuaNumber numMul(lua_State *L, LuaNumber a, LuaNumber b)
{
    // Rounds half away from zero like Fixed's operator*.
    const __int128 p = static_cast<__int128>(a.raw) * b.raw;
    const __int128 r = (p + (static_cast<__int128>(1) << 31) - (p < 0 ? 1 : 0)) >> 32;
    if (r > INT64_MAX || r < INT64_MIN) [[unlikely]]
        return LuaNumber::fromRaw(
            numberError(L, "number overflow in '*' (beyond the fixed-point range)", 0));
    return LuaNumber::fromRaw(static_cast<std::int64_t>(r));
}
LuaNumber numDivSlow(lua_State *L, LuaNumber a, LuaNumber b);
inline LuaNumber numDiv(lua_State *L, LuaNumber a, LuaNumber b)
{
    const std::uint64_t ua = a.raw < 0 ? 0 - static_cast<std::uint64_t>(a.raw) : a.raw;
    const std::uint64_t ub = b.raw < 0 ? 0 - static_cast<std::uint64_t>(b.raw) : b.raw;
    if (ua < (std::uint64_t(1) << 31) && ub != 0) [[likely]] {
        // The shifted dividend fits in 63 bits: one 64-bit division, rounded like Fixed's /.
        const std::uint64_t n = ua << 32;
        const std::uint64_t q = n / ub;
        const std::uint64_t r = n - q * ub;
        const std::uint64_t m = q + (r >= ub - r ? 1 : 0);
        const bool negative = (a.raw < 0) != (b.raw < 0);
        if (m <= static_cast<std::uint64_t>(INT64_MAX)) [[likely]]
            return LuaNumber::fromRaw(negative ? -static_cast<std::int64_t>(m)
                                               : static_cast<std::int64_t>(m));
    }
    return numDivSlow(L, a, b);
}
LuaNumber numIDiv(lua_State *L, LuaNumber a, LuaNumber b);
LuaNumber numMod(lua_State *L, LuaNumber a, LuaNumber b);
LuaNumber numPow(lua_State *L, LuaNumber a, LuaNumber b);
inline LuaNumber numUnm(lua_State *L, LuaNumber a)
{
    if (a.raw == INT64_MIN) [[unlikely]]
        return LuaNumber::fromRaw(
            numberError(L, "number overflow in unary '-' (beyond the fixed-point range)", a.raw));
    return -a;
}

// l_mathop(op) pastes "_fx": these are the float functions Lua's core calls.
constexpr LuaNumber floor_fx(LuaNumber x) noexcept
{
    return LuaNumber::fromRaw(x.raw & ~((std::int64_t(1) << 32) - 1));
}
constexpr LuaNumber fabs_fx(LuaNumber x) noexcept
{
    return x.raw < 0 ? -x : x;
}
constexpr LuaNumber ldexp_fx(LuaNumber x, int e) noexcept
{
    if (e >= 0)
        return LuaNumber::fromRaw(static_cast<std::int64_t>(static_cast<std::uint64_t>(x.raw) << e));
    return LuaNumber::fromRaw(e <= -63 ? (x.raw < 0 ? -1 : 0) : x.raw >> -e);
}

// Formatting and parsing (LuaRuntime.cpp): deterministic, locale-free, no floating point.
int numberToString(char *buffer, std::size_t size, LuaNumber n);
int numberToHex(char *buffer, std::size_t size, const char *format, LuaNumber n);
LuaNumber stringToNumber(const char *text, char **end);
int pointerToString(char *buffer, std::size_t size, const void *p);
unsigned int pointerHashOf(const void *p);
template<class P>
inline unsigned int pointerHash(P p)
{
    return pointerHashOf(reinterpret_cast<const void *>(p));
}
inline int hashNumber(LuaNumber n)
{
    const auto u = static_cast<std::uint64_t>(n.raw);
    return static_cast<int>(static_cast<unsigned int>(u ^ (u >> 32)) & INT_MAX);
}

// l_sprintf: Lua formats every item through it, one value at a time.
int formatNumber(char *buffer, std::size_t size, const char *format, LuaNumber n);
inline int luaSprintf(char *buffer, std::size_t size, const char *format, LuaNumber n)
{
    return formatNumber(buffer, size, format, n);
}
inline int luaSprintf(char *buffer, std::size_t size, const char *format, const void *p)
{
    // Only "%p" (string.format) reaches here with a pointer: show the VM-local identity.
    if (std::strchr(format, 's') != nullptr)
        return std::snprintf(buffer, size, format, static_cast<const char *>(p));
    char id[32];
    pointerToString(id, sizeof id, p);
    char fmt[40];
    std::snprintf(fmt, sizeof fmt, "%.*ss", static_cast<int>(std::strlen(format) - 1), format);
    return std::snprintf(buffer, size, fmt, id);
}
template<class T>
    requires(!std::is_same_v<std::decay_t<T>, LuaNumber> && !std::is_pointer_v<std::decay_t<T>>)
inline int luaSprintf(char *buffer, std::size_t size, const char *format, T value)
{
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    return std::snprintf(buffer, size, format, value);
#pragma GCC diagnostic pop
}
inline int luaSprintf(char *buffer, std::size_t size, const char *format, const char *s)
{
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    return std::snprintf(buffer, size, format, s);
#pragma GCC diagnostic pop
}
inline int luaSprintf(char *buffer, std::size_t size, const char *format, char *s)
{
    return luaSprintf(buffer, size, format, static_cast<const char *>(s));
}

// Pattern matching and other loops inside C library functions charge the instruction budget.
void chargeSteps(std::int64_t steps);

// The instruction budget of the running call (see LuaVmConfig.h).
extern thread_local std::int64_t t_instructionsLeft __attribute__((tls_model("initial-exec")));
[[gnu::cold]] bool instructionBudgetExhausted(lua_State *L, const unsigned int *pc);
inline bool instructionTick(lua_State *L, const unsigned int *pc)
{
    if (--t_instructionsLeft >= 0) [[likely]]
        return false;
    return instructionBudgetExhausted(L, pc);
}

namespace literals {
// l_mathop(1.0) pastes into 1.0_fx: converted while compiling, never at run time.
consteval LuaNumber operator""_fx(long double v)
{
    const long double scaled = v * 4294967296.0L;
    const long double rounded = scaled < 0 ? scaled - 0.5L : scaled + 0.5L;
    return LuaNumber::fromRaw(static_cast<std::int64_t>(rounded));
}
consteval LuaNumber operator""_fx(unsigned long long v)
{
    return LuaNumber::fromRaw(static_cast<std::int64_t>(v << 32));
}
} // namespace literals

} // namespace metatopia::script

using namespace metatopia::script::literals;
using metatopia::script::fabs_fx;
using metatopia::script::floor_fx;
using metatopia::script::ldexp_fx;
// Some of Lua's functions use luai_num* without a lua_State in scope (floatforloop): there
// this null L is found and the error goes to the running thread.
inline constexpr lua_State *L = nullptr;

// --- The number type -----------------------------------------------------------------------------
#undef LUA_NUMBER
#define LUA_NUMBER metatopia::script::LuaNumber
#undef LUAI_UACNUMBER
#define LUAI_UACNUMBER metatopia::script::LuaNumber
#undef LUA_NUMBER_FRMLEN
#define LUA_NUMBER_FRMLEN ""
#undef LUA_NUMBER_FMT
#define LUA_NUMBER_FMT "%.14g"
#undef LUAI_NUMFFORMAT
// Lua's "fits in a float" tests use the mantissa size; integers up to 2^30 convert exactly.
#define METATOPIA_FIX_MANT_DIG 30
#define METATOPIA_FIX_MAX_10_EXP 10
#undef l_floatatt
#define l_floatatt(n) (METATOPIA_FIX_##n)
#undef l_mathop
#define l_mathop(op) op##_fx
#undef l_floor
#define l_floor(x) (metatopia::script::floor_fx(x))
#undef lua_number2str
#define lua_number2str(s, sz, n) metatopia::script::numberToString((s), (sz), (n))
#undef lua_number2strx
#define lua_number2strx(L, b, sz, f, n) ((void)(L), metatopia::script::numberToHex((b), (sz), (f), (n)))
#undef lua_str2number
#define lua_str2number(s, p) metatopia::script::stringToNumber((s), (p))
#undef lua_strx2number
#define lua_strx2number(s, p) metatopia::script::stringToNumber((s), (p))
#undef lua_numbertointeger
// Every Fixed floor fits in an int64.
#define lua_numbertointeger(n, p) \
    (*(p) = static_cast<LUA_INTEGER>((n).raw >> 32) + metatopia::script::LuaNumber::consumeCeilCarry(), 1)
#undef l_sprintf
#define l_sprintf(s, sz, f, i) metatopia::script::luaSprintf((s), (sz), (f), (i))
#undef lua_pointer2str
#define lua_pointer2str(buff, sz, p) metatopia::script::pointerToString((buff), (sz), (p))
#undef lua_getlocaledecpoint
#define lua_getlocaledecpoint() '.'
#define l_hashfloat(n) metatopia::script::hashNumber(n)

#define luai_numadd(L, a, b) metatopia::script::numAdd((L), (a), (b))
#define luai_numsub(L, a, b) metatopia::script::numSub((L), (a), (b))
#define luai_nummul(L, a, b) metatopia::script::numMul((L), (a), (b))
#define luai_numdiv(L, a, b) metatopia::script::numDiv((L), (a), (b))
#define luai_numidiv(L, a, b) metatopia::script::numIDiv((L), (a), (b))
#define luai_nummod(L, a, b, m) { (m) = metatopia::script::numMod((L), (a), (b)); }
#define luai_numpow(L, a, b) metatopia::script::numPow((L), (a), (b))
#define luai_numunm(L, a) metatopia::script::numUnm((L), (a))
#define luai_numeq(a, b) ((a) == (b))
#define luai_numlt(a, b) ((a) < (b))
#define luai_numle(a, b) ((a) <= (b))
#define luai_numgt(a, b) ((a) > (b))
#define luai_numge(a, b) ((a) >= (b))
// There is no NaN. While a chunk is compiled, an arithmetic error in constant folding marks the
// result "not a number" instead, so Lua leaves the expression to run time, where the error is
// raised at its line (and can be caught) rather than failing the whole chunk.
#define luai_numisnan(a) ((void)(a), metatopia::script::consumeFoldFailure())

// There is no infinity: Lua's HUGE_VAL tests (string.format "%q") see math.huge.
#undef HUGE_VAL
#define HUGE_VAL (metatopia::script::LuaNumber::huge())

// --- Determinism ---------------------------------------------------------------------------------
// String hashes must not depend on time or addresses.
#define luai_makeseed(L) ((void)(L), 0x4d657461u)
// Per-thread identities and the running-thread bookkeeping (LuaRuntime.cpp).
namespace metatopia::script {
void onThreadCreated(lua_State *L, lua_State *L1);
void onResume(lua_State *L);
} // namespace metatopia::script
#define luai_userstatethread(L, L1) metatopia::script::onThreadCreated((L), (L1))
#define luai_userstateresume(L, n) metatopia::script::onResume(L)

#include "lua.h"
#include "llimits.h"

// Tables keyed by tables/functions hash by the object's identity number instead of its address.
#undef point2uint
#define point2uint(p) metatopia::script::pointerHash(p)
