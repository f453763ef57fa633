// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "script/LuaLibs.h"

#include "core/FixedMath.h"

#include "lauxlib.h"
#include "lgc.h"
#include "lstate.h"
#include "lstring.h"
#include "ltm.h"
#include "lualib.h"

#include <cstring>

namespace metatopia::script {

namespace {

LuaSandbox &sandboxOf(lua_State *L)
{
    return *static_cast<LuaSandbox *>(lua_touserdata(L, lua_upvalueindex(1)));
}

Fixed checkFixed(lua_State *L, int arg)
{
    return luaL_checknumber(L, arg).fixed();
}

void pushFixed(lua_State *L, Fixed f)
{
    lua_pushnumber(L, LuaNumber(f));
}

// --- math --------------------------------------------------------------------------------------

int mathAbs(lua_State *L)
{
    if (lua_isinteger(L, 1)) {
        const lua_Integer n = lua_tointeger(L, 1);
        lua_pushinteger(L, n < 0 ? static_cast<lua_Integer>(0u - static_cast<lua_Unsigned>(n)) : n);
    } else {
        const LuaNumber n = luaL_checknumber(L, 1);
        if (n.raw == INT64_MIN)
            return luaL_error(L, "number overflow in math.abs (beyond the fixed-point range)");
        lua_pushnumber(L, n.raw < 0 ? -n : n);
    }
    return 1;
}

void pushIntegral(lua_State *L, LuaNumber n)
{
    lua_pushinteger(L, n.raw >> 32);
}

int mathFloor(lua_State *L)
{
    if (lua_isinteger(L, 1))
        lua_settop(L, 1);
    else
        pushIntegral(L, floor_fx(luaL_checknumber(L, 1)));
    return 1;
}

int mathCeil(lua_State *L)
{
    if (lua_isinteger(L, 1)) {
        lua_settop(L, 1);
    } else {
        const LuaNumber n = luaL_checknumber(L, 1);
        // The integer result may be 2^31, beyond Fixed but fine as an integer.
        lua_pushinteger(L, (n.raw >> 32) + ((n.raw & 0xffffffff) != 0 ? 1 : 0));
    }
    return 1;
}

int mathFmod(lua_State *L)
{
    if (lua_isinteger(L, 1) && lua_isinteger(L, 2)) {
        const lua_Integer d = lua_tointeger(L, 2);
        if (static_cast<lua_Unsigned>(d) + 1u <= 1u) { // 0 or -1
            luaL_argcheck(L, d != 0, 2, "zero");
            lua_pushinteger(L, 0);
        } else {
            lua_pushinteger(L, lua_tointeger(L, 1) % d);
        }
    } else {
        const LuaNumber a = luaL_checknumber(L, 1);
        const LuaNumber b = luaL_checknumber(L, 2);
        luaL_argcheck(L, b.raw != 0, 2, "zero");
        // C fmod: the remainder of the truncated division, with the sign of a. Exact.
        lua_pushnumber(L, LuaNumber::fromRaw(b.raw == -1 ? 0 : a.raw % b.raw));
    }
    return 1;
}

int mathModf(lua_State *L)
{
    if (lua_isinteger(L, 1)) {
        lua_settop(L, 1);
        lua_pushnumber(L, LuaNumber(0));
    } else {
        const LuaNumber n = luaL_checknumber(L, 1);
        // Integer part rounded toward zero, kept as a float like stock Lua.
        const std::int64_t mask = (std::int64_t(1) << 32) - 1;
        const std::int64_t ip = n.raw >= 0 ? (n.raw & ~mask)
                                           : -static_cast<std::int64_t>((0 - static_cast<std::uint64_t>(n.raw)) & ~static_cast<std::uint64_t>(mask));
        lua_pushnumber(L, LuaNumber::fromRaw(ip));
        lua_pushnumber(L, LuaNumber::fromRaw(n.raw - ip));
    }
    return 2;
}

int mathSqrt(lua_State *L)
{
    const Fixed x = checkFixed(L, 1);
    luaL_argcheck(L, x >= Fixed::zero(), 1, "negative (there is no NaN)");
    pushFixed(L, fmath::sqrt(x));
    return 1;
}

int mathSin(lua_State *L)
{
    pushFixed(L, fmath::sin(checkFixed(L, 1)));
    return 1;
}

int mathCos(lua_State *L)
{
    pushFixed(L, fmath::cos(checkFixed(L, 1)));
    return 1;
}

int mathTan(lua_State *L)
{
    const Fixed t = fmath::tan(checkFixed(L, 1));
    if (t == Fixed::max() || t == Fixed::min())
        return luaL_error(L, "math.tan: result beyond the fixed-point range");
    pushFixed(L, t);
    return 1;
}

int mathAsin(lua_State *L)
{
    const Fixed x = checkFixed(L, 1);
    luaL_argcheck(L, x >= -Fixed::one() && x <= Fixed::one(), 1, "out of [-1, 1]");
    pushFixed(L, fmath::asin(x));
    return 1;
}

int mathAcos(lua_State *L)
{
    const Fixed x = checkFixed(L, 1);
    luaL_argcheck(L, x >= -Fixed::one() && x <= Fixed::one(), 1, "out of [-1, 1]");
    pushFixed(L, fmath::acos(x));
    return 1;
}

int mathAtan(lua_State *L)
{
    const Fixed y = checkFixed(L, 1);
    const Fixed x = lua_isnoneornil(L, 2) ? Fixed::one() : checkFixed(L, 2);
    pushFixed(L, fmath::atan2(y, x));
    return 1;
}

int mathExp(lua_State *L)
{
    const Fixed x = checkFixed(L, 1);
    const Fixed r = fmath::exp(x);
    if (r == Fixed::max())
        return luaL_error(L, "math.exp: result beyond the fixed-point range");
    pushFixed(L, r);
    return 1;
}

int mathLog(lua_State *L)
{
    const Fixed x = checkFixed(L, 1);
    luaL_argcheck(L, x > Fixed::zero(), 1, "not positive (there is no -inf or NaN)");
    Fixed r;
    if (lua_isnoneornil(L, 2)) {
        r = fmath::log(x);
    } else {
        const Fixed base = checkFixed(L, 2);
        luaL_argcheck(L, base > Fixed::zero() && base != Fixed::one(), 2,
                      "base must be positive and not 1");
        if (base == Fixed::fromInt(2))
            r = fmath::log2(x);
        else if (base == Fixed::fromInt(10))
            r = fmath::log10(x);
        else
            r = LuaNumber(numDiv(L, LuaNumber(fmath::log(x)), LuaNumber(fmath::log(base)))).fixed();
    }
    pushFixed(L, r);
    return 1;
}

int mathPow(lua_State *L)
{
    lua_pushnumber(L, numPow(L, luaL_checknumber(L, 1), luaL_checknumber(L, 2)));
    return 1;
}

int mathToInteger(lua_State *L)
{
    int valid;
    const lua_Integer n = lua_tointegerx(L, 1, &valid);
    if (valid) {
        lua_pushinteger(L, n);
    } else {
        luaL_checkany(L, 1);
        luaL_pushfail(L);
    }
    return 1;
}

int mathType(lua_State *L)
{
    if (lua_type(L, 1) == LUA_TNUMBER)
        lua_pushstring(L, lua_isinteger(L, 1) ? "integer" : "float");
    else {
        luaL_checkany(L, 1);
        luaL_pushfail(L);
    }
    return 1;
}

int mathUlt(lua_State *L)
{
    const lua_Integer a = luaL_checkinteger(L, 1);
    const lua_Integer b = luaL_checkinteger(L, 2);
    lua_pushboolean(L, static_cast<lua_Unsigned>(a) < static_cast<lua_Unsigned>(b));
    return 1;
}

int mathMinMax(lua_State *L, int op)
{
    const int n = lua_gettop(L);
    int best = 1;
    luaL_argcheck(L, n >= 1, 1, "number expected");
    for (int i = 2; i <= n; ++i) {
        luaL_checknumber(L, i);
        if (op == LUA_OPLT ? lua_compare(L, i, best, LUA_OPLT) : lua_compare(L, best, i, LUA_OPLT))
            best = i;
    }
    luaL_checknumber(L, best);
    lua_pushvalue(L, best);
    return 1;
}

int mathMin(lua_State *L)
{
    return mathMinMax(L, LUA_OPLT);
}

int mathMax(lua_State *L)
{
    return mathMinMax(L, LUA_OPLE);
}

int mathRandom(lua_State *L)
{
    LuaRandom &random = sandboxOf(L).random;
    const std::uint64_t rv = random.next();
    lua_Integer low, up;
    switch (lua_gettop(L)) {
    case 0:
        // 32 random bits are exactly the fraction bits of a Fixed in [0, 1).
        lua_pushnumber(L, LuaNumber::fromRaw(static_cast<std::int64_t>(rv >> 32)));
        return 1;
    case 1:
        low = 1;
        up = luaL_checkinteger(L, 1);
        if (up == 0) {
            lua_pushinteger(L, static_cast<lua_Integer>(rv));
            return 1;
        }
        break;
    case 2:
        low = luaL_checkinteger(L, 1);
        up = luaL_checkinteger(L, 2);
        break;
    default:
        return luaL_error(L, "wrong number of arguments");
    }
    luaL_argcheck(L, low <= up, 1, "interval is empty");
    const lua_Unsigned n = static_cast<lua_Unsigned>(up) - static_cast<lua_Unsigned>(low);
    lua_Unsigned ran = rv;
    if ((n & (n + 1)) == 0) {
        ran &= n;
    } else {
        lua_Unsigned lim = n;
        lim |= lim >> 1;
        lim |= lim >> 2;
        lim |= lim >> 4;
        lim |= lim >> 8;
        lim |= lim >> 16;
        lim |= lim >> 32;
        while ((ran &= lim) > n)
            ran = random.next();
    }
    lua_pushinteger(L, static_cast<lua_Integer>(ran + static_cast<lua_Unsigned>(low)));
    return 1;
}

int mathRandomSeed(lua_State *L)
{
    LuaRandom &random = sandboxOf(L).random;
    if (lua_isnone(L, 1)) {
        // Stock Lua seeds from the clock; ours goes back to the seed the host gave.
        random.seed(random.hostSeed, 0);
        lua_pushinteger(L, static_cast<lua_Integer>(random.hostSeed));
        lua_pushinteger(L, 0);
    } else {
        const lua_Integer n1 = luaL_checkinteger(L, 1);
        const lua_Integer n2 = luaL_optinteger(L, 2, 0);
        random.seed(static_cast<std::uint64_t>(n1), static_cast<std::uint64_t>(n2));
        lua_pushinteger(L, n1);
        lua_pushinteger(L, n2);
    }
    return 2;
}

const luaL_Reg mathFunctions[] = {
    {"abs", mathAbs},   {"ceil", mathCeil},   {"floor", mathFloor},
    {"fmod", mathFmod}, {"modf", mathModf},   {"sqrt", mathSqrt},
    {"sin", mathSin},   {"cos", mathCos},     {"tan", mathTan},
    {"asin", mathAsin}, {"acos", mathAcos},   {"atan", mathAtan},
    {"atan2", mathAtan}, {"exp", mathExp},    {"log", mathLog},
    {"pow", mathPow},   {"tointeger", mathToInteger}, {"type", mathType},
    {"ult", mathUlt},   {"min", mathMin},     {"max", mathMax},
    {nullptr, nullptr},
};

int openMath(lua_State *L, LuaSandbox &sandbox)
{
    luaL_newlib(L, mathFunctions);
    pushFixed(L, fmath::pi());
    lua_setfield(L, -2, "pi");
    lua_pushnumber(L, LuaNumber::huge());
    lua_setfield(L, -2, "huge");
    lua_pushinteger(L, LUA_MAXINTEGER);
    lua_setfield(L, -2, "maxinteger");
    lua_pushinteger(L, LUA_MININTEGER);
    lua_setfield(L, -2, "mininteger");
    lua_pushlightuserdata(L, &sandbox);
    lua_pushcclosure(L, mathRandom, 1);
    lua_setfield(L, -2, "random");
    lua_pushlightuserdata(L, &sandbox);
    lua_pushcclosure(L, mathRandomSeed, 1);
    lua_setfield(L, -2, "randomseed");
    return 1;
}

// --- sandboxed base functions ------------------------------------------------------------------

// A limit breach must end the whole call: pcall, xpcall and coroutine.resume re-raise it.
void rethrowIfAborting(lua_State *L, int status)
{
    LuaSandbox &sandbox = sandboxOf(L);
    LuaRunContext &context = *sandbox.context;
    if (status == LUA_ERRMEM && !context.aborting) {
        context.aborting = true;
        context.abortMessage = memoryMessage(sandbox);
    }
    if (context.aborting) {
        lua_pushstring(L, context.abortMessage.c_str());
        lua_error(L);
    }
}

int finishPcall(lua_State *L, int status, lua_KContext extra)
{
    if (status != LUA_OK && status != LUA_YIELD) {
        rethrowIfAborting(L, status);
        lua_pushboolean(L, 0);
        lua_pushvalue(L, -2);
        return 2;
    }
    return lua_gettop(L) - static_cast<int>(extra);
}

int safePcall(lua_State *L)
{
    luaL_checkany(L, 1);
    lua_pushboolean(L, 1);
    lua_insert(L, 1);
    const int status = lua_pcallk(L, lua_gettop(L) - 2, LUA_MULTRET, 0, 0, finishPcall);
    return finishPcall(L, status, 0);
}

int safeXpcall(lua_State *L)
{
    const int n = lua_gettop(L);
    luaL_checktype(L, 2, LUA_TFUNCTION);
    lua_pushboolean(L, 1);
    lua_pushvalue(L, 1);
    lua_rotate(L, 3, 2);
    const int status = lua_pcallk(L, n - 2, LUA_MULTRET, 2, 2, finishPcall);
    return finishPcall(L, status, 2);
}

// Wraps coroutine.resume (upvalue 2): keeps the running-thread record right and re-raises
// limit breaches that happened inside the coroutine.
int safeResume(lua_State *L)
{
    const int n = lua_gettop(L);
    {
        LuaThreadRestore restore;
        lua_pushvalue(L, lua_upvalueindex(2));
        lua_insert(L, 1);
        lua_call(L, n, LUA_MULTRET);
    }
    rethrowIfAborting(L, LUA_OK);
    return lua_gettop(L);
}

int wrappedCall(lua_State *L)
{
    const int n = lua_gettop(L);
    LuaThreadRestore restore;
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, n, LUA_MULTRET);
    return lua_gettop(L);
}

// Wraps coroutine.wrap (upvalue 2) so the function it returns restores the running thread.
int safeWrap(lua_State *L)
{
    lua_pushvalue(L, lua_upvalueindex(2));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, 1);
    lua_pushcclosure(L, wrappedCall, 1);
    return 1;
}

// load: text chunks only (mode "t" forced), so no bytecode ever reaches the VM. A reader
// function's pieces are joined first, so every chunk's text is known (see recordChunk).
int safeLoad(lua_State *L)
{
    const int hasEnv = !lua_isnone(L, 4);
    std::string text;
    std::string name;
    if (lua_type(L, 1) == LUA_TSTRING) {
        std::size_t len;
        const char *s = lua_tolstring(L, 1, &len);
        text.assign(s, len);
        name = luaL_optstring(L, 2, s);
    } else {
        name = luaL_optstring(L, 2, "=(load)");
        luaL_checktype(L, 1, LUA_TFUNCTION);
        for (;;) {
            lua_pushvalue(L, 1);
            lua_call(L, 0, 1);
            if (lua_isnil(L, -1)) {
                lua_pop(L, 1);
                break;
            }
            if (lua_type(L, -1) != LUA_TSTRING)
                return luaL_error(L, "reader function must return a string");
            std::size_t len;
            const char *piece = lua_tolstring(L, -1, &len);
            if (len == 0) {
                lua_pop(L, 1);
                break;
            }
            text.append(piece, len);
            lua_pop(L, 1);
        }
    }
    int status;
    {
        LuaCompileScope compiling;
        status = luaL_loadbufferx(L, text.data(), text.size(), name.c_str(), "t");
    }
    if (status == LUA_OK) {
        recordChunk(L, sandboxOf(L), name, std::move(text));
        if (hasEnv) {
            lua_pushvalue(L, 4);
            if (!lua_setupvalue(L, -2, 1))
                lua_pop(L, 1);
        }
        return 1;
    }
    luaL_pushfail(L);
    lua_insert(L, -2);
    return 2;
}

// collectgarbage: "collect" and "step" run the collector (which has no visible effect: there
// are no finalisers or weak tables, see below); "count" is not offered because memory use
// differs between a VM and its restored copy; "isrunning" is always true.
int safeCollectGarbage(lua_State *L)
{
    static const char *const options[] = {"collect", "step", "isrunning", nullptr};
    const int o = luaL_checkoption(L, 1, "collect", options);
    switch (o) {
    case 0:
        lua_gc(L, LUA_GCCOLLECT);
        lua_pushinteger(L, 0);
        return 1;
    case 1:
        lua_gc(L, LUA_GCSTEP, 0);
        lua_pushboolean(L, 1);
        return 1;
    default:
        lua_pushboolean(L, 1);
        return 1;
    }
}

void setClosure(lua_State *L, int table, const char *name, lua_CFunction f, LuaSandbox &sandbox,
                bool withOriginal)
{
    table = lua_absindex(L, table);
    lua_pushlightuserdata(L, &sandbox);
    if (withOriginal)
        lua_getfield(L, table, name);
    else
        lua_pushnil(L);
    lua_pushcclosure(L, f, 2);
    lua_setfield(L, table, name);
}

// Replaces the names of the __gc and __mode events with strings no script can produce (they
// are not interned), so finalisers and weak tables never exist: both would make behaviour
// depend on when the collector runs.
void disableEvent(lua_State *L, TMS event, const char *name)
{
    const std::size_t len = std::strlen(name);
    TString *ts = luaS_createlngstrobj(L, len);
    std::memcpy(getstr(ts), name, len);
    luaC_fix(L, obj2gco(ts));
    G(L)->tmname[event] = ts;
}

} // namespace

void recordChunk(lua_State *L, LuaSandbox &sandbox, std::string name, std::string source)
{
    lua_getfield(L, LUA_REGISTRYINDEX, ChunkRegistryKey);
    lua_pushvalue(L, -2);
    lua_rawseti(L, -2, static_cast<lua_Integer>(sandbox.chunks.size()) + 1);
    lua_pop(L, 1);
    sandbox.chunks.emplace_back(std::move(name), std::move(source));
}

std::string memoryMessage(const LuaSandbox &sandbox)
{
    const std::string where = sandbox.context->memoryWhere.empty()
        ? std::string()
        : sandbox.context->memoryWhere + ' ';
    if (sandbox.arena != nullptr && sandbox.arena->stringRefused)
        return where + "string larger than the limit of " + std::to_string(sandbox.maxStringBytes)
            + " bytes";
    return where + "memory limit of " + std::to_string(sandbox.memoryLimit)
        + " bytes exceeded";
}

void LuaRandom::seed(std::uint64_t n1, std::uint64_t n2)
{
    s = {n1, 0xff, n2, 0};
    for (int i = 0; i < 16; ++i)
        next();
}

std::uint64_t LuaRandom::next()
{
    const auto rotl = [](std::uint64_t x, int n) { return (x << n) | (x >> (64 - n)); };
    const std::uint64_t state0 = s[0], state1 = s[1], state2 = s[2] ^ state0, state3 = s[3] ^ state1;
    const std::uint64_t res = rotl(state1 * 5, 7) * 9;
    s[0] = state0 ^ state3;
    s[1] = state1 ^ state2;
    s[2] = state2 ^ (state1 << 17);
    s[3] = rotl(state3, 45);
    return res;
}

void openSandboxedLibs(lua_State *L, LuaSandbox &sandbox)
{
    luaL_requiref(L, LUA_GNAME, luaopen_base, 1);
    luaL_requiref(L, LUA_COLIBNAME, luaopen_coroutine, 1);
    luaL_requiref(L, LUA_TABLIBNAME, luaopen_table, 1);
    luaL_requiref(L, LUA_STRLIBNAME, luaopen_string, 1);
    luaL_requiref(L, LUA_UTF8LIBNAME, luaopen_utf8, 1);
    openMath(L, sandbox);
    lua_setglobal(L, LUA_MATHLIBNAME);
    lua_pop(L, 5);

    lua_pushglobaltable(L);
    for (const char *name : {"dofile", "loadfile", "require"}) {
        lua_pushnil(L);
        lua_setfield(L, -2, name);
    }
    setClosure(L, -1, "load", safeLoad, sandbox, true);
    setClosure(L, -1, "pcall", safePcall, sandbox, false);
    setClosure(L, -1, "xpcall", safeXpcall, sandbox, false);
    setClosure(L, -1, "collectgarbage", safeCollectGarbage, sandbox, false);
    lua_getfield(L, -1, LUA_COLIBNAME);
    setClosure(L, -1, "resume", safeResume, sandbox, true);
    setClosure(L, -1, "wrap", safeWrap, sandbox, true);
    lua_pop(L, 1);
    lua_getfield(L, -1, LUA_STRLIBNAME);
    lua_pushnil(L);
    lua_setfield(L, -2, "dump"); // bytecode is never produced or accepted
    lua_pop(L, 2);

    lua_newtable(L);
    lua_setfield(L, LUA_REGISTRYINDEX, ChunkRegistryKey);

    disableEvent(L, TM_GC, "__gc (disabled in Metatopia)");
    disableEvent(L, TM_MODE, "__mode (disabled in Metatopia)");
}

} // namespace metatopia::script

namespace metatopia::script {

LuaNumber numPow(lua_State *L, LuaNumber a, LuaNumber b)
{
    if (b.raw == (std::int64_t(2) << 32))
        return numMul(L, a, a);
    if (a.raw == 0) {
        if (b.raw < 0)
            return LuaNumber::fromRaw(
                numberError(L, "attempt to raise zero to a negative power (there is no inf)", 0));
        return b.raw == 0 ? LuaNumber(1) : LuaNumber(0);
    }
    const bool integralExponent = (b.raw & 0xffffffff) == 0;
    if (a.raw < 0 && !integralExponent)
        return LuaNumber::fromRaw(numberError(
            L, "attempt to raise a negative number to a fractional power (there is no NaN)", 0));
    const Fixed r = fmath::pow(a.fixed(), b.fixed());
    if (r == Fixed::max() || r == Fixed::min())
        return LuaNumber::fromRaw(
            numberError(L, "number overflow in '^' (beyond the fixed-point range)", r.raw()));
    return LuaNumber(r);
}

} // namespace metatopia::script
