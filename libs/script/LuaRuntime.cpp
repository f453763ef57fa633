// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "script/LuaRuntime.h"

#include "lauxlib.h"
#include "ldebug.h"
#include "lstate.h"

#include <sys/mman.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <string>
#include <string_view>

namespace metatopia::script {

namespace {

thread_local LuaRunContext *t_context = nullptr;
thread_local bool t_ceilCarry = false;
} // namespace

thread_local std::int64_t t_instructionsLeft __attribute__((tls_model("initial-exec"))) =
    INT64_MAX / 2;

namespace {

using u128 = unsigned __int128;

std::uint64_t magnitude(std::int64_t v) noexcept
{
    return v < 0 ? 0 - static_cast<std::uint64_t>(v) : static_cast<std::uint64_t>(v);
}

} // namespace

void LuaNumber::setCeilCarry() noexcept
{
    t_ceilCarry = true;
}

std::int64_t LuaNumber::consumeCeilCarry() noexcept
{
    if (!t_ceilCarry) [[likely]]
        return 0;
    t_ceilCarry = false;
    return 1;
}

LuaRunContext *currentContext() noexcept
{
    return t_context;
}

LuaRunScope::LuaRunScope(LuaRunContext &context, lua_State *L) noexcept
    : m_previous(t_context)
    , m_previousThread(context.current)
{
    t_context = &context;
    context.current = L;
}

LuaRunScope::~LuaRunScope()
{
    t_context->current = m_previousThread;
    t_context = m_previous;
}

LuaThreadRestore::LuaThreadRestore() noexcept
    : m_thread(t_context ? t_context->current : nullptr)
{
}

LuaThreadRestore::~LuaThreadRestore()
{
    if (t_context)
        t_context->current = m_thread;
}

void onResume(lua_State *L)
{
    if (t_context)
        t_context->current = L;
}

void onThreadCreated(lua_State *, lua_State *L1)
{
    // The thread's identity lives in its LUA_EXTRASPACE, right before the lua_State, where
    // pointerHash() looks for every object's identity.
    if (t_context && t_context->arena && t_context->arena->contains(L1)) {
        auto *self = reinterpret_cast<char *>(L1);
        std::memcpy(self - 8, self - 8 - LUA_EXTRASPACE, 8);
    }
}

std::string luaWhere(lua_State *L)
{
    lua_Debug ar;
    for (int level = 0; lua_getstack(L, level, &ar); ++level) {
        if (lua_getinfo(L, "Sl", &ar) && ar.currentline > 0)
            return std::string(ar.short_src) + ':' + std::to_string(ar.currentline) + ':';
    }
    return {};
}

void noteAllocationFailure() noexcept
{
    LuaRunContext *c = t_context;
    if (c == nullptr || c->current == nullptr)
        return;
    try {
        c->memoryWhere = luaWhere(c->current);
    } catch (...) {
        c->memoryWhere.clear();
    }
}

bool instructionBudgetExhausted(lua_State *L, const unsigned int *pc)
{
    LuaRunContext *c = t_context;
    if (c == nullptr || c->current == nullptr || L == nullptr) {
        t_instructionsLeft = INT64_MAX / 2; // not inside a ScriptVm call: no budget
        return false;
    }
    t_instructionsLeft = 0; // every further instruction stops again (handlers, pcall loops)
    if (!c->aborting) {
        if (pc != nullptr && isLua(L->ci))
            L->ci->u.l.savedpc = pc;
        c->aborting = true;
        c->abortMessage = luaWhere(L) + " instruction budget exceeded ("
            + std::to_string(c->instructionLimit) + " per call)";
    }
    lua_pushstring(L, c->abortMessage.c_str());
    lua_error(L);
    return true;
}

void chargeSteps(std::int64_t steps)
{
    LuaRunContext *c = t_context;
    if (c == nullptr || c->current == nullptr)
        return;
    c->stepsLeft -= steps;
    if (c->stepsLeft < 0) [[unlikely]] {
        c->stepsLeft = 0;
        luaL_error(c->current, "pattern too complex (step budget of the call exhausted)");
    }
}

unsigned int pointerHashOf(const void *p)
{
    const LuaRunContext *c = t_context;
    if (c != nullptr && c->arena != nullptr && c->arena->contains(p)) [[likely]] {
        std::uint64_t id;
        std::memcpy(&id, static_cast<const char *>(p) - 8, 8);
        return static_cast<unsigned int>(id);
    }
    // Light C functions: one shared bucket keeps the order a function of insertions only.
    return 0;
}

int pointerToString(char *buffer, std::size_t size, const void *p)
{
    const LuaRunContext *c = t_context;
    if (c != nullptr && c->arena != nullptr && c->arena->contains(p)) {
        std::uint64_t id;
        std::memcpy(&id, static_cast<const char *>(p) - 8, 8);
        return std::snprintf(buffer, size, "0x%08llx", static_cast<unsigned long long>(id));
    }
    return std::snprintf(buffer, size, "builtin");
}

// --- Errors and checked arithmetic -----------------------------------------------------------

LuaCompileScope::LuaCompileScope() noexcept
    : m_previous(t_context ? t_context->compiling : false)
{
    if (t_context) {
        t_context->compiling = true;
        t_context->foldFailed = false;
    }
}

LuaCompileScope::~LuaCompileScope()
{
    if (t_context) {
        t_context->compiling = m_previous;
        t_context->foldFailed = false;
    }
}

bool consumeFoldFailure() noexcept
{
    LuaRunContext *c = t_context;
    if (c == nullptr || !c->foldFailed)
        return false;
    c->foldFailed = false;
    return true;
}

namespace {
// The operators Lua's code uses without a lua_State (LuaNumber's own + - * /) only saturate
// while compiling: they never feed constant folding.
std::int64_t quietNumberError(const char *what, std::int64_t fallback)
{
    if (t_context != nullptr && t_context->compiling)
        return fallback;
    return numberError(nullptr, what, fallback);
}
} // namespace

std::int64_t numberError(lua_State *L, const char *what, std::int64_t fallback)
{
    if (t_context != nullptr && t_context->compiling) {
        t_context->foldFailed = true;
        return fallback;
    }
    if (L == nullptr && t_context != nullptr)
        L = t_context->current;
    if (L != nullptr)
        luaG_runerror(L, "%s", what);
    return fallback;
}

std::int64_t LuaNumber::outOfRange(bool negative)
{
    return numberError(nullptr,
                       "integer out of the fixed-point range (about +-2.1e9) in a conversion "
                       "to float",
                       negative ? INT64_MIN : INT64_MAX);
}

LuaNumber operator+(LuaNumber a, LuaNumber b)
{
    std::int64_t r;
    if (__builtin_add_overflow(a.raw, b.raw, &r)) [[unlikely]] {
        return LuaNumber::fromRaw(quietNumberError("number overflow in '+' (beyond the fixed-point range)", (a.raw < 0 ? LuaNumber::fromRaw(INT64_MIN) : LuaNumber::huge()).raw));
    }
    return LuaNumber::fromRaw(r);
}

LuaNumber operator-(LuaNumber a, LuaNumber b)
{
    std::int64_t r;
    if (__builtin_sub_overflow(a.raw, b.raw, &r)) [[unlikely]] {
        return LuaNumber::fromRaw(quietNumberError("number overflow in '-' (beyond the fixed-point range)", (a.raw < 0 ? LuaNumber::fromRaw(INT64_MIN) : LuaNumber::huge()).raw));
    }
    return LuaNumber::fromRaw(r);
}

LuaNumber operator*(LuaNumber a, LuaNumber b)
{
    const __int128 p = static_cast<__int128>(a.raw) * b.raw;
    const __int128 r = (p + (static_cast<__int128>(1) << 31) - (p < 0 ? 1 : 0)) >> 32;
    if (r > INT64_MAX || r < INT64_MIN) [[unlikely]] {
        return LuaNumber::fromRaw(quietNumberError("number overflow in '*' (beyond the fixed-point range)", (r < 0 ? LuaNumber::fromRaw(INT64_MIN) : LuaNumber::huge()).raw));
    }
    return LuaNumber::fromRaw(static_cast<std::int64_t>(r));
}

LuaNumber operator/(LuaNumber a, LuaNumber b)
{
    if (b.raw == 0) {
        return LuaNumber::fromRaw(quietNumberError("attempt to divide by zero", (a.raw < 0 ? LuaNumber::fromRaw(INT64_MIN) : LuaNumber::huge()).raw));
    }
    return LuaNumber(a.fixed() / b.fixed());
}

LuaNumber numDivSlow(lua_State *L, LuaNumber a, LuaNumber b)
{
    if (b.raw == 0)
        return LuaNumber::fromRaw(numberError(L, "attempt to divide by zero", 0));
    const u128 n = static_cast<u128>(magnitude(a.raw)) << 32;
    const u128 d = magnitude(b.raw);
    const u128 q = n / d;
    const u128 r = n - q * d;
    const u128 m = q + (r >= d - r ? 1 : 0);
    const bool negative = (a.raw < 0) != (b.raw < 0);
    if (m > (negative ? u128(1) << 63 : u128(INT64_MAX)))
        return LuaNumber::fromRaw(
            numberError(L, "number overflow in '/' (beyond the fixed-point range)", 0));
    const auto bits = static_cast<std::uint64_t>(m);
    return LuaNumber::fromRaw(static_cast<std::int64_t>(negative ? 0 - bits : bits));
}

LuaNumber numIDiv(lua_State *L, LuaNumber a, LuaNumber b)
{
    if (b.raw == 0)
        return LuaNumber::fromRaw(numberError(L, "attempt to perform 'n//0'", 0));
    if (a.raw == INT64_MIN && b.raw == -1)
        return LuaNumber::fromRaw(
            numberError(L, "number overflow in '//' (beyond the fixed-point range)", 0));
    // Both raw values carry the same scale, so their quotient is the exact ratio.
    std::int64_t q = a.raw / b.raw;
    if (a.raw % b.raw != 0 && ((a.raw < 0) != (b.raw < 0)))
        --q;
    if (q < -(std::int64_t(1) << 31) || q >= (std::int64_t(1) << 31))
        return LuaNumber::fromRaw(
            numberError(L, "number overflow in '//' (beyond the fixed-point range)", 0));
    return LuaNumber::fromRaw(static_cast<std::int64_t>(static_cast<std::uint64_t>(q) << 32));
}

LuaNumber numMod(lua_State *L, LuaNumber a, LuaNumber b)
{
    if (b.raw == 0)
        return LuaNumber::fromRaw(numberError(L, "attempt to perform 'n%0'", 0));
    if (b.raw == -1)
        return LuaNumber::fromRaw(0);
    std::int64_t r = a.raw % b.raw;
    if (r != 0 && ((r ^ b.raw) < 0))
        r += b.raw;
    return LuaNumber::fromRaw(r);
}

// --- IEEE conversions by integer arithmetic ----------------------------------------------------

namespace {

template<int MantBits, int Bias, class Bits>
std::int64_t ieeeToRaw(Bits bits) noexcept
{
    constexpr int total = sizeof(Bits) * 8;
    const bool negative = (bits >> (total - 1)) != 0;
    const int exponent = static_cast<int>((bits >> MantBits) & ((Bits(1) << (total - 1 - MantBits)) - 1));
    const std::uint64_t mant = static_cast<std::uint64_t>(bits & ((Bits(1) << MantBits) - 1));
    constexpr int maxExponent = (1 << (total - 1 - MantBits)) - 1;
    std::uint64_t m;
    if (exponent == maxExponent) {
        if (mant != 0)
            return 0; // NaN has no counterpart
        m = static_cast<std::uint64_t>(INT64_MAX);
    } else if (exponent == 0) {
        m = 0; // subnormals are far below 2^-32
    } else {
        const std::uint64_t full = mant | (std::uint64_t(1) << MantBits);
        const int shift = exponent - Bias - MantBits + 32;
        if (shift >= 0) {
            if (shift >= 63 || (full >> (63 - shift)) != 0)
                m = static_cast<std::uint64_t>(INT64_MAX);
            else
                m = full << shift;
        } else if (-shift > 63) {
            m = 0;
        } else {
            m = (full + (std::uint64_t(1) << (-shift - 1))) >> -shift;
        }
    }
    if (m > static_cast<std::uint64_t>(INT64_MAX))
        m = static_cast<std::uint64_t>(INT64_MAX);
    return negative ? -static_cast<std::int64_t>(m) : static_cast<std::int64_t>(m);
}

template<int MantBits, int Bias, class Bits>
Bits rawToIeee(std::int64_t raw) noexcept
{
    constexpr int total = sizeof(Bits) * 8;
    if (raw == 0)
        return 0;
    const Bits sign = raw < 0 ? Bits(1) << (total - 1) : 0;
    const std::uint64_t m = magnitude(raw);
    const int top = 63 - std::countl_zero(m);
    int biased = top - 32 + Bias;
    std::uint64_t mant;
    if (top <= MantBits) {
        mant = m << (MantBits - top);
    } else {
        const int shift = top - MantBits;
        mant = m >> shift;
        const std::uint64_t rest = m & ((std::uint64_t(1) << shift) - 1);
        const std::uint64_t half = std::uint64_t(1) << (shift - 1);
        if (rest > half || (rest == half && (mant & 1)))
            ++mant;
        if (mant >> (MantBits + 1)) {
            mant >>= 1;
            ++biased;
        }
    }
    return sign | (Bits(biased) << MantBits) | (Bits(mant) & ((Bits(1) << MantBits) - 1));
}

} // namespace

LuaNumber::LuaNumber(double v) noexcept
    : raw(ieeeToRaw<52, 1023>(std::bit_cast<std::uint64_t>(v)))
{
}

LuaNumber::LuaNumber(float v) noexcept
    : raw(ieeeToRaw<23, 127>(std::bit_cast<std::uint32_t>(v)))
{
}

LuaNumber::operator double() const noexcept
{
    return std::bit_cast<double>(rawToIeee<52, 1023, std::uint64_t>(raw));
}

LuaNumber::operator float() const noexcept
{
    return std::bit_cast<float>(rawToIeee<23, 127, std::uint32_t>(raw));
}

// --- Text ------------------------------------------------------------------------------------

int numberToString(char *buffer, std::size_t size, LuaNumber n)
{
    char tmp[Fixed::MaxChars + 1];
    const std::size_t len = n.fixed().toChars(tmp);
    const std::size_t copied = std::min(len, size - 1);
    std::memcpy(buffer, tmp, copied);
    buffer[copied] = '\0';
    return static_cast<int>(copied);
}

LuaNumber stringToNumber(const char *text, char **end)
{
    const std::string_view s(text);
    const Fixed::ParseResult r = Fixed::parsePrefix(s);
    if (r.status == Fixed::ParseStatus::Ok && r.length > 0) {
        *end = const_cast<char *>(text + r.length);
        return LuaNumber(r.value);
    }
    // "%q" writes math.huge as 1e9999 (Lua's spelling of infinity); read it back as math.huge.
    std::size_t i = 0;
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i])))
        ++i;
    const bool negative = i < s.size() && s[i] == '-';
    if (i < s.size() && (s[i] == '-' || s[i] == '+'))
        ++i;
    if (s.substr(i, 6) == "1e9999") {
        *end = const_cast<char *>(text + i + 6);
        return negative ? -LuaNumber::huge() : LuaNumber::huge();
    }
    *end = const_cast<char *>(text);
    return LuaNumber::fromRaw(0);
}

namespace {

struct FormatSpec
{
    bool left = false, plus = false, space = false, alt = false, zero = false;
    int width = 0;
    int precision = -1;
    char conversion = 'g';
};

FormatSpec parseSpec(const char *format)
{
    FormatSpec spec;
    const char *p = format;
    if (*p == '%')
        ++p;
    for (;; ++p) {
        if (*p == '-')
            spec.left = true;
        else if (*p == '+')
            spec.plus = true;
        else if (*p == ' ')
            spec.space = true;
        else if (*p == '#')
            spec.alt = true;
        else if (*p == '0')
            spec.zero = true;
        else
            break;
    }
    while (*p >= '0' && *p <= '9')
        spec.width = spec.width * 10 + (*p++ - '0');
    if (*p == '.') {
        ++p;
        spec.precision = 0;
        while (*p >= '0' && *p <= '9')
            spec.precision = spec.precision * 10 + (*p++ - '0');
    }
    while (*p == 'l' || *p == 'L' || *p == 'h')
        ++p;
    spec.conversion = *p ? *p : 'g';
    return spec;
}

// Exact decimal digits of |raw| / 2^32: the integer part's digits then 32 fraction digits.
struct Digits
{
    std::string digits; // no sign, no point
    int pointAt = 0; // digits before the decimal point
};

Digits exactDigits(std::uint64_t m)
{
    Digits d;
    d.digits = std::to_string(m >> 32);
    d.pointAt = static_cast<int>(d.digits.size());
    u128 frac = static_cast<u128>(m & 0xffffffffu);
    u128 p5 = 1;
    for (int i = 0; i < 32; ++i)
        p5 *= 5;
    frac *= p5; // frac / 2^32 == frac * 5^32 / 10^32
    char buf[33];
    for (int i = 31; i >= 0; --i) {
        buf[i] = static_cast<char>('0' + static_cast<int>(frac % 10));
        frac /= 10;
    }
    d.digits.append(buf, 32);
    return d;
}

// Keeps the first `keep` digits, rounding half to even like C's printf on exact values.
void roundDigits(Digits &d, int keep)
{
    if (keep >= static_cast<int>(d.digits.size())) {
        d.digits.append(static_cast<std::size_t>(keep) - d.digits.size(), '0');
        return;
    }
    if (keep < 0) {
        d.digits = std::string(1, '0');
        d.digits.append(static_cast<std::size_t>(std::max(0, d.pointAt - 1)), '0');
        d.pointAt = std::max(1, d.pointAt);
        return;
    }
    const char next = d.digits[static_cast<std::size_t>(keep)];
    bool up = next > '5';
    if (next == '5') {
        const bool restZero = d.digits.find_first_not_of('0', static_cast<std::size_t>(keep) + 1)
            == std::string::npos;
        const bool odd = keep > 0 && ((d.digits[static_cast<std::size_t>(keep) - 1] - '0') & 1);
        up = !restZero || odd;
    }
    d.digits.resize(static_cast<std::size_t>(keep));
    if (up) {
        int i = keep - 1;
        while (i >= 0 && d.digits[static_cast<std::size_t>(i)] == '9')
            d.digits[static_cast<std::size_t>(i--)] = '0';
        if (i >= 0) {
            ++d.digits[static_cast<std::size_t>(i)];
        } else {
            d.digits.insert(d.digits.begin(), '1');
            ++d.pointAt;
        }
    }
}

std::string fixedNotation(std::uint64_t m, int precision, bool alt)
{
    Digits d = exactDigits(m);
    roundDigits(d, d.pointAt + precision);
    std::string out = d.digits.substr(0, static_cast<std::size_t>(d.pointAt));
    // Strip leading zeros of the integer part but keep one.
    const std::size_t nz = out.find_first_not_of('0');
    out = nz == std::string::npos ? std::string("0") : out.substr(nz);
    if (precision > 0 || alt)
        out += '.';
    out += d.digits.substr(static_cast<std::size_t>(d.pointAt), static_cast<std::size_t>(precision));
    return out;
}

std::string exponentNotation(std::uint64_t m, int precision, bool alt, char e, int *exponentOut)
{
    Digits d = exactDigits(m);
    const std::size_t first = d.digits.find_first_not_of('0');
    int exponent = 0;
    std::string mant;
    if (first == std::string::npos) {
        mant = std::string(static_cast<std::size_t>(precision) + 1, '0');
    } else {
        exponent = d.pointAt - 1 - static_cast<int>(first);
        Digits sig;
        sig.digits = d.digits.substr(first);
        sig.pointAt = 1;
        roundDigits(sig, precision + 1);
        if (sig.pointAt == 2) { // rounding carried into a new leading digit
            ++exponent;
            sig.digits.resize(static_cast<std::size_t>(precision) + 1);
        }
        mant = sig.digits;
    }
    if (exponentOut)
        *exponentOut = exponent;
    std::string out(1, mant[0]);
    if (precision > 0 || alt)
        out += '.';
    out += mant.substr(1);
    char exp[16];
    std::snprintf(exp, sizeof exp, "%c%c%02d", e, exponent < 0 ? '-' : '+',
                  exponent < 0 ? -exponent : exponent);
    out += exp;
    return out;
}

int emit(char *buffer, std::size_t size, const FormatSpec &spec, bool negative, std::string body)
{
    std::string sign = negative ? "-" : spec.plus ? "+" : spec.space ? " " : "";
    std::string out;
    const std::size_t len = sign.size() + body.size();
    const std::size_t width = static_cast<std::size_t>(spec.width);
    if (len >= width)
        out = sign + body;
    else if (spec.left)
        out = sign + body + std::string(width - len, ' ');
    else if (spec.zero)
        out = sign + std::string(width - len, '0') + body;
    else
        out = std::string(width - len, ' ') + sign + body;
    const std::size_t copied = std::min(out.size(), size - 1);
    std::memcpy(buffer, out.data(), copied);
    buffer[copied] = '\0';
    return static_cast<int>(copied);
}

void stripZeros(std::string &s)
{
    const std::size_t e = s.find_first_of("eE");
    std::string tail = e == std::string::npos ? std::string() : s.substr(e);
    std::string head = e == std::string::npos ? s : s.substr(0, e);
    if (head.find('.') != std::string::npos) {
        while (!head.empty() && head.back() == '0')
            head.pop_back();
        if (!head.empty() && head.back() == '.')
            head.pop_back();
    }
    s = head + tail;
}

} // namespace

int formatNumber(char *buffer, std::size_t size, const char *format, LuaNumber n)
{
    const FormatSpec spec = parseSpec(format);
    const bool negative = n.raw < 0;
    const std::uint64_t m = magnitude(n.raw);
    const bool upper = spec.conversion == 'E' || spec.conversion == 'G';
    std::string body;
    switch (spec.conversion) {
    case 'f':
    case 'F':
        body = fixedNotation(m, spec.precision < 0 ? 6 : spec.precision, spec.alt);
        break;
    case 'e':
    case 'E':
        body = exponentNotation(m, spec.precision < 0 ? 6 : spec.precision, spec.alt,
                                upper ? 'E' : 'e', nullptr);
        break;
    case 'a':
    case 'A':
        return numberToHex(buffer, size, format, n);
    default: { // g, G
        const int p = spec.precision < 0 ? 6 : spec.precision == 0 ? 1 : spec.precision;
        int x = 0;
        const std::string e = exponentNotation(m, p - 1, spec.alt, upper ? 'E' : 'e', &x);
        if (p > x && x >= -4)
            body = fixedNotation(m, p - 1 - x, spec.alt);
        else
            body = e;
        if (!spec.alt)
            stripZeros(body);
        break;
    }
    }
    return emit(buffer, size, spec, negative, body);
}

int numberToHex(char *buffer, std::size_t size, const char *format, LuaNumber n)
{
    const FormatSpec spec = parseSpec(format);
    const bool upper = spec.conversion == 'A';
    const std::uint64_t m = magnitude(n.raw);
    std::string body;
    if (m == 0) {
        body = "0x0";
        if (spec.precision > 0)
            body += '.' + std::string(static_cast<std::size_t>(spec.precision), '0');
        body += "p+0";
    } else {
        const int top = 63 - std::countl_zero(m);
        int exponent = top - 32;
        const std::uint64_t rest = m & ((std::uint64_t(1) << top) - 1);
        const int nibbles = (top + 3) / 4;
        std::uint64_t bits = nibbles == 0 ? 0 : rest << (nibbles * 4 - top);
        std::string hex;
        static const char *const lower = "0123456789abcdef";
        for (int i = nibbles - 1; i >= 0; --i)
            hex += lower[(bits >> (i * 4)) & 15];
        int lead = 1;
        if (spec.precision >= 0 && spec.precision < static_cast<int>(hex.size())) {
            // Round to the requested number of hex digits, half up.
            const int drop = static_cast<int>(hex.size()) - spec.precision;
            u128 v = (static_cast<u128>(1) << (nibbles * 4)) | bits;
            const u128 half = static_cast<u128>(1) << (drop * 4 - 1);
            v = (v + half) >> (drop * 4);
            lead = static_cast<int>(v >> (spec.precision * 4));
            hex.clear();
            for (int i = spec.precision - 1; i >= 0; --i)
                hex += lower[static_cast<int>((v >> (i * 4)) & 15)];
        } else if (spec.precision < 0) {
            while (!hex.empty() && hex.back() == '0')
                hex.pop_back();
        } else {
            hex.append(static_cast<std::size_t>(spec.precision) - hex.size(), '0');
        }
        body = "0x" + std::string(1, static_cast<char>('0' + lead));
        if (!hex.empty() || spec.alt)
            body += '.' + hex;
        body += 'p';
        body += exponent < 0 ? '-' : '+';
        body += std::to_string(exponent < 0 ? -exponent : exponent);
    }
    if (upper)
        for (char &c : body)
            c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return emit(buffer, size, spec, n.raw < 0, body);
}

// --- The arena -------------------------------------------------------------------------------

namespace {
constexpr std::size_t SmallLimit = 1024; // classes of 16 bytes up to here, powers of two above
constexpr int SmallClasses = static_cast<int>(SmallLimit / 16);
constexpr int ClassCount = SmallClasses + 48;
} // namespace

LuaArena::LuaArena(std::size_t limitBytes)
    : m_limit(limitBytes)
    , m_free(ClassCount, nullptr)
{
    const std::size_t page = 4096;
    // Power-of-two classes can strand up to half of what was freed: reserve address space (not
    // memory) beyond the limit so the limit, not fragmentation, usually decides. (Reserving
    // costs page tables when unmapped, so not too generously: sims hold thousands of VMs.)
    m_reserved = ((limitBytes * 2 + (1u << 20)) + page - 1) / page * page;
    void *p = mmap(nullptr, m_reserved, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) {
        m_reserved = 0;
        return;
    }
    m_base = static_cast<char *>(p);
    m_end = m_base + m_reserved;
}

LuaArena::~LuaArena()
{
    if (m_base)
        munmap(m_base, m_reserved);
}

int LuaArena::classOf(std::size_t size) noexcept
{
    const std::size_t total = size + 8;
    if (total <= SmallLimit)
        return static_cast<int>((total + 15) / 16) - 1;
    const int log = 64 - std::countl_zero(total - 1); // ceil(log2(total))
    return SmallClasses + (log - 11);
}

std::size_t LuaArena::classBytes(int cls) noexcept
{
    if (cls < SmallClasses)
        return static_cast<std::size_t>(cls + 1) * 16;
    return std::size_t(1) << (cls - SmallClasses + 11);
}

void *LuaArena::alloc(std::size_t nsize, bool identity)
{
    const int cls = classOf(nsize);
    if (cls >= ClassCount)
        return nullptr;
    char *block;
    if (void *head = m_free[static_cast<std::size_t>(cls)]) {
        block = static_cast<char *>(head);
        std::memcpy(&m_free[static_cast<std::size_t>(cls)], block + 8, sizeof(void *));
    } else {
        const std::size_t bytes = classBytes(cls);
        if (m_base == nullptr || bytes > m_reserved - m_top)
            return nullptr;
        block = m_base + m_top;
        m_top += bytes;
    }
    // Only objects that can be table keys get an identity: internal blocks (stacks, arrays,
    // call frames) differ between a VM and its restored copy and must not shift the numbering.
    const std::uint64_t id = identity ? m_nextId++ : 0;
    std::memcpy(block, &id, 8);
    return block + 8;
}

void LuaArena::release(void *p, std::size_t osize)
{
    const int cls = classOf(osize);
    char *block = static_cast<char *>(p) - 8;
    std::memcpy(block + 8, &m_free[static_cast<std::size_t>(cls)], sizeof(void *));
    m_free[static_cast<std::size_t>(cls)] = block;
}

void *LuaArena::allocate(void *ud, void *ptr, std::size_t osize, std::size_t nsize)
{
    auto *self = static_cast<LuaArena *>(ud);
    if (nsize == 0) {
        if (ptr) {
            self->release(ptr, osize);
            self->m_used -= osize;
        }
        return nullptr;
    }
    if (ptr == nullptr) {
        // osize is the kind of object for fresh allocations: refuse oversized strings.
        if (osize == LUA_TSTRING && self->maxStringBytes != 0
            && nsize > self->maxStringBytes + 32) {
            self->stringRefused = true;
            noteAllocationFailure();
            return nullptr;
        }
        if (nsize > self->m_limit - std::min(self->m_limit, self->m_used)) {
            self->limitHit = true;
            noteAllocationFailure();
            return nullptr;
        }
        const bool identity = osize == LUA_TTABLE || osize == LUA_TFUNCTION
            || osize == LUA_TTHREAD || osize == LUA_TUSERDATA;
        void *p = self->alloc(nsize, identity);
        if (p)
            self->m_used += nsize;
        else {
            self->limitHit = true;
            noteAllocationFailure();
        }
        return p;
    }
    if (nsize > osize && nsize - osize > self->m_limit - std::min(self->m_limit, self->m_used)) {
        self->limitHit = true;
        return nullptr;
    }
    if (classOf(osize) == classOf(nsize)) {
        self->m_used = self->m_used - osize + nsize;
        return ptr;
    }
    void *p = self->alloc(nsize, false);
    if (p == nullptr) {
        if (nsize < osize) {
            // Shrinking must not fail: keep the bigger block (safe to file under a smaller
            // class when freed).
            self->m_used = self->m_used - osize + nsize;
            return ptr;
        }
        self->limitHit = true;
        noteAllocationFailure();
        return nullptr;
    }
    std::memcpy(p, ptr, std::min(osize, nsize));
    idOf(p) = idOf(ptr);
    self->release(ptr, osize);
    self->m_used = self->m_used - osize + nsize;
    return p;
}

} // namespace metatopia::script
