// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "script/ScriptVm.h"

#include "script/LuaLibs.h"
#include "script/ScriptVmImpl.h"

#include "lapi.h"
#include "lauxlib.h"
#include "lgc.h"
#include "lstate.h"
#include "lstring.h"
#include "ltable.h"

#include <cstring>

#include <xxhash.h>

#include <algorithm>
#include <set>

namespace metatopia {

using namespace script;

namespace {

constexpr int MaxValueDepth = 64;

ScriptVm::Impl &implOf(lua_State *L, int upvalue)
{
    return *static_cast<ScriptVm::Impl *>(lua_touserdata(L, lua_upvalueindex(upvalue)));
}

// Ranks for sorting table keys deterministically: booleans, numbers, strings.
int keyRank(const ScriptValue &v)
{
    switch (v.index()) {
    case 1:
        return 0;
    case 2:
    case 3:
        return 1;
    case 4:
        return 2;
    default:
        return 3;
    }
}

// Exact comparison of integers and fixed-point numbers (no rounding).
bool numberLess(const ScriptValue &a, const ScriptValue &b)
{
    const auto asRaw = [](const ScriptValue &v) -> __int128 {
        if (const auto *i = std::get_if<std::int64_t>(&v))
            return static_cast<__int128>(*i) << 32;
        return std::get<Fixed>(v).raw();
    };
    const __int128 ra = asRaw(a), rb = asRaw(b);
    if (ra != rb)
        return ra < rb;
    return a.index() < b.index(); // 1 before 1.0
}

bool keyLess(const ScriptValue &a, const ScriptValue &b)
{
    const int ra = keyRank(a), rb = keyRank(b);
    if (ra != rb)
        return ra < rb;
    if (ra == 0)
        return std::get<bool>(a) < std::get<bool>(b);
    if (ra == 1)
        return numberLess(a, b);
    return std::get<std::string>(a) < std::get<std::string>(b);
}

// Calls the host with no Lua error machinery active: a host exception comes back as the message
// the caller raises as a Lua error once the C++ handler has been left.
std::optional<std::string> callHost(ScriptHost &host, std::string_view function,
    std::span<const ScriptValue> args, std::vector<ScriptValue> &results)
{
    try {
        results = host.call(function, args);
    } catch (const ScriptError &e) {
        return e.message;
    } catch (const std::exception &e) {
        return std::string(e.what());
    }
    return std::nullopt;
}

} // namespace

bool ScriptVm::Impl::toValue(lua_State *L, int index, ScriptValue &out, int depth,
                             std::string &error)
{
    index = lua_absindex(L, index);
    switch (lua_type(L, index)) {
    case LUA_TNIL:
        out = std::monostate{};
        return true;
    case LUA_TBOOLEAN:
        out = lua_toboolean(L, index) != 0;
        return true;
    case LUA_TNUMBER:
        if (lua_isinteger(L, index))
            out = static_cast<std::int64_t>(lua_tointeger(L, index));
        else
            out = lua_tonumber(L, index).fixed();
        return true;
    case LUA_TSTRING: {
        std::size_t len;
        const char *s = lua_tolstring(L, index, &len);
        out = std::string(s, len);
        return true;
    }
    case LUA_TTABLE: {
        if (depth >= MaxValueDepth) {
            error = "table nested too deeply (or cyclic) to pass to the host";
            return false;
        }
        if (!lua_checkstack(L, 4)) {
            error = "stack overflow while converting a table";
            return false;
        }
        ScriptTable array;
        ScriptTable rest;
        lua_pushnil(L);
        while (lua_next(L, index) != 0) {
            ScriptValue key, value;
            if (lua_type(L, -2) == LUA_TTABLE || lua_type(L, -2) == LUA_TFUNCTION
                || lua_type(L, -2) == LUA_TTHREAD || lua_type(L, -2) == LUA_TUSERDATA) {
                lua_pop(L, 2);
                error = "table keys passed to the host must be booleans, numbers or strings";
                return false;
            }
            if (!toValue(L, -2, key, depth + 1, error) || !toValue(L, -1, value, depth + 1, error)) {
                lua_pop(L, 2);
                return false;
            }
            rest.emplace_back(std::move(key), std::move(value));
            lua_pop(L, 1);
        }
        std::sort(rest.begin(), rest.end(),
                  [](const auto &a, const auto &b) { return keyLess(a.first, b.first); });
        // Move the run 1..n of integer keys to the front: the array part.
        std::int64_t next = 1;
        ScriptTable others;
        for (auto &kv : rest) {
            const auto *k = std::get_if<std::int64_t>(&kv.first);
            if (k != nullptr && *k == next) {
                array.push_back(std::move(kv));
                ++next;
            } else {
                others.push_back(std::move(kv));
            }
        }
        for (auto &kv : others)
            array.push_back(std::move(kv));
        out = std::move(array);
        return true;
    }
    default:
        error = std::string("a ") + lua_typename(L, lua_type(L, index))
            + " cannot be passed to the host";
        return false;
    }
}

void ScriptVm::Impl::pushValue(lua_State *L, const ScriptValue &v, int depth)
{
    luaL_checkstack(L, 3, "host value too deep");
    switch (v.index()) {
    case 0:
        lua_pushnil(L);
        break;
    case 1:
        lua_pushboolean(L, std::get<bool>(v));
        break;
    case 2:
        lua_pushinteger(L, std::get<std::int64_t>(v));
        break;
    case 3:
        lua_pushnumber(L, LuaNumber(std::get<Fixed>(v)));
        break;
    case 4: {
        const auto &s = std::get<std::string>(v);
        lua_pushlstring(L, s.data(), s.size());
        break;
    }
    default: {
        if (depth >= MaxValueDepth)
            luaL_error(L, "host value nested too deeply");
        const auto &t = std::get<ScriptTable>(v);
        lua_createtable(L, 0, static_cast<int>(t.size()));
        for (const auto &[key, value] : t) {
            if (key.isNil())
                continue;
            pushValue(L, key, depth + 1);
            pushValue(L, value, depth + 1);
            lua_rawset(L, -3);
        }
        break;
    }
    }
}

int ScriptVm::Impl::hostFunction(lua_State *L)
{
    Impl &self = implOf(L, 1);
    std::size_t nameLen;
    const char *name = lua_tolstring(L, lua_upvalueindex(2), &nameLen);
    const int n = lua_gettop(L);
    std::vector<ScriptValue> args(static_cast<std::size_t>(n));
    std::string error;
    for (int i = 1; i <= n; ++i) {
        if (!toValue(L, i, args[static_cast<std::size_t>(i - 1)], 0, error))
            return luaL_error(L, "%s: argument #%d: %s", name, i, error.c_str());
    }
    if (self.host == nullptr)
        return luaL_error(L, "%s: no host", name);
    std::vector<ScriptValue> results;
    if (const auto failure = callHost(*self.host, std::string_view(name, nameLen), args, results))
        return luaL_error(L, "%s", failure->c_str());
    luaL_checkstack(L, static_cast<int>(results.size()) + 3, "too many results");
    for (const auto &r : results)
        pushValue(L, r, 0);
    return static_cast<int>(results.size());
}

int ScriptVm::Impl::print(lua_State *L)
{
    Impl &self = implOf(L, 1);
    const int n = lua_gettop(L);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (int i = 1; i <= n; ++i) {
        if (i > 1)
            luaL_addchar(&b, '\t');
        luaL_tolstring(L, i, nullptr);
        luaL_addvalue(&b);
    }
    luaL_pushresult(&b);
    std::size_t len;
    const char *s = lua_tolstring(L, -1, &len);
    const ScriptValue line{std::string(s, len)};
    if (self.host == nullptr)
        return 0;
    std::vector<ScriptValue> ignored;
    if (const auto failure
        = callHost(*self.host, "print", std::span<const ScriptValue>(&line, 1), ignored))
        return luaL_error(L, "%s", failure->c_str());
    return 0;
}

int ScriptVm::Impl::messageHandler(lua_State *L)
{
    const LuaRunContext *c = currentContext();
    if (c != nullptr && c->aborting) {
        lua_pushstring(L, c->abortMessage.c_str());
        return 1;
    }
    if (lua_type(L, 1) == LUA_TSTRING)
        return 1;
    if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING)
        return 1;
    lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
    return 1;
}

ScriptVm::Impl::Impl(ScriptLimits l, std::uint64_t seed)
    : limits(l)
    , arena(l.memoryBytes)
{
    arena.maxStringBytes = l.maxStringBytes;
    context.arena = &arena;
    sandbox.context = &context;
    sandbox.arena = &arena;
    sandbox.memoryLimit = l.memoryBytes;
    sandbox.maxStringBytes = l.maxStringBytes;
    sandbox.random.hostSeed = seed;
    sandbox.random.seed(seed, 0);
    // Building the standard environment is not the script's memory: allow it generously.
    arena.setLimit(std::max<std::size_t>(l.memoryBytes, 1 << 20));
    L = lua_newstate(&LuaArena::allocate, &arena);
    if (L == nullptr) {
        suspended = true;
        reason = "could not create the Lua state (memory limit too small)";
        return;
    }
    // The main thread's identity goes where pointerHash() expects it (see onThreadCreated).
    auto *self = reinterpret_cast<char *>(L);
    std::memcpy(self - 8, self - 8 - LUA_EXTRASPACE, 8);
    LuaRunScope scope(context, L);
    lua_pushcfunction(L, [](lua_State *S) -> int {
        auto *impl = static_cast<Impl *>(lua_touserdata(S, 1));
        openSandboxedLibs(S, impl->sandbox);
        lua_pushlightuserdata(S, impl);
        lua_pushcclosure(S, &Impl::print, 1);
        lua_setglobal(S, "print");
        return 0;
    });
    lua_pushlightuserdata(L, this);
    if (lua_pcall(L, 1, 0, 0) != LUA_OK) {
        suspended = true;
        reason = "could not open the libraries (memory limit too small)";
        lua_pop(L, 1);
    }
    arena.setLimit(l.memoryBytes);
    buildBuiltins();
}

ScriptVm::Impl::~Impl()
{
    if (L != nullptr) {
        LuaRunScope scope(context, L);
        lua_close(L);
    }
}

std::optional<std::string> ScriptVm::Impl::protectedCall(int nargs, int nresults,
                                                         ScriptHost &h, bool handlerBelow)
{
    host = &h;
    context.aborting = false;
    context.abortMessage.clear();
    context.memoryWhere.clear();
    context.instructionLimit = limits.instructionsPerCall;
    context.instructionsLeft = limits.instructionsPerCall;
    context.stepsLeft = limits.instructionsPerCall;
    arena.limitHit = false;
    arena.stringRefused = false;
    const std::int64_t outerBudget = t_instructionsLeft; // a host callback may nest VMs
    t_instructionsLeft = limits.instructionsPerCall;
    const int base = lua_gettop(L) - nargs - (handlerBelow ? 1 : 0);
    if (!handlerBelow) {
        lua_pushcfunction(L, &Impl::messageHandler);
        lua_insert(L, base);
    }
    const int status = lua_pcall(L, nargs, nresults, base);
    if (!handlerBelow)
        lua_remove(L, base);
    t_instructionsLeft = outerBudget;
    host = nullptr;
    if (status == LUA_OK)
        return std::nullopt;
    std::string message;
    if (status == LUA_ERRMEM)
        message = memoryMessage(sandbox);
    else if (const char *s = lua_tostring(L, -1))
        message = s;
    else
        message = "error";
    if (context.aborting && !context.abortMessage.empty())
        message = context.abortMessage;
    lua_pop(L, 1);
    context.aborting = false;
    suspended = true;
    reason = message;
    return message;
}

ScriptVm::ScriptVm(ScriptLimits limits, std::uint64_t randomSeed)
    : d(std::make_unique<Impl>(limits, randomSeed))
{
}

ScriptVm::~ScriptVm() = default;

void ScriptVm::setHostFunctions(std::vector<std::string> names)
{
    if (d->L == nullptr)
        return;
    LuaRunScope scope(d->context, d->L);
    for (const auto &name : names) {
        lua_pushlightuserdata(d->L, d.get());
        lua_pushlstring(d->L, name.data(), name.size());
        lua_pushcclosure(d->L, &Impl::hostFunction, 2);
        lua_setglobal(d->L, name.c_str());
    }
    d->hostFunctions.insert(d->hostFunctions.end(), names.begin(), names.end());
    d->buildBuiltins();
}

std::optional<std::string> ScriptVm::load(std::string_view source, std::string_view chunkName,
                                          ScriptHost &host)
{
    if (d->L == nullptr || d->suspended)
        return "script suspended: " + d->reason;
    LuaRunScope scope(d->context, d->L);
    const std::string name = "=" + std::string(chunkName);
    d->arena.limitHit = false;
    int status;
    {
        LuaCompileScope compiling;
        status = luaL_loadbufferx(d->L, source.data(), source.size(), name.c_str(), "t");
    }
    if (status != LUA_OK) {
        std::string message = status == LUA_ERRMEM ? memoryMessage(d->sandbox)
                                                   : std::string(lua_tostring(d->L, -1));
        lua_pop(d->L, 1);
        if (message.rfind(std::string(chunkName) + ':', 0) != 0)
            message = std::string(chunkName) + ": " + message;
        d->suspended = true;
        d->reason = message;
        return message;
    }
    recordChunk(d->L, d->sandbox, name, std::string(source));
    return d->protectedCall(0, 0, host);
}

void ScriptVm::setEventHandlers(std::vector<std::string> names)
{
    if (d->L == nullptr)
        return;
    LuaRunScope scope(d->context, d->L);
    lua_State *L = d->L;
    for (const auto &name : names) {
        TString *ts = nullptr;
        if (name.size() <= LUAI_MAXSHORTLEN) {
            // A string just made is the head of 'allgc', which is what luaC_fix needs; one that
            // already existed stays collectable and is looked up by name instead.
            TString *made = luaS_newlstr(L, name.data(), name.size());
            if (G(L)->allgc == obj2gco(made)) {
                luaC_fix(L, obj2gco(made));
                ts = made;
            }
        }
        d->eventHandlerStrings.push_back(ts);
        d->eventHandlers.push_back(name);
    }
}

namespace {

struct DispatchBatch
{
    ScriptVm::Impl *impl = nullptr;
    std::span<const ScriptVm::Event> events;
    std::size_t called = 0;
    const LClosure *handler = nullptr; // the last Lua handler called
    const TString *handlerName = nullptr; // and its name
};

} // namespace

int ScriptVm::Impl::dispatchEvents(lua_State *L)
{
    auto *batch = static_cast<DispatchBatch *>(lua_touserdata(L, 1));
    Impl &self = *batch->impl;
    lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_GLOBALS); // at 2
    Table *globals = hvalue(s2v(L->top - 1));
    for (const Event &event : batch->events) {
        if (event.handler >= self.eventHandlers.size())
            continue;
        if (TString *name = self.eventHandlerStrings[event.handler]) {
            const TValue *f = luaH_getshortstr(globals, name);
            if (!ttisfunction(f))
                continue;
            if (ttisLclosure(f)) {
                batch->handler = clLvalue(f);
                batch->handlerName = name;
            }
            setobj2s(L, L->top, f);
            api_incr_top(L);
        } else {
            const std::string &n = self.eventHandlers[event.handler];
            lua_pushlstring(L, n.data(), n.size());
            if (lua_rawget(L, 2) != LUA_TFUNCTION) {
                lua_pop(L, 1);
                continue;
            }
        }
        luaL_checkstack(L, static_cast<int>(event.args.size()) + 8, "too many arguments");
        for (const auto &a : event.args)
            pushValue(L, a, 0);
        // Each handler gets a whole call's budget, as if called on its own.
        self.context.instructionsLeft = self.limits.instructionsPerCall;
        self.context.stepsLeft = self.limits.instructionsPerCall;
        t_instructionsLeft = self.limits.instructionsPerCall;
        lua_call(L, static_cast<int>(event.args.size()), 0); // leaves the stack as it was
        ++batch->called;
    }
    return 0;
}

std::optional<std::string> ScriptVm::dispatch(std::span<const Event> events, ScriptHost &host,
                                              std::size_t *called)
{
    if (called != nullptr)
        *called = 0;
    if (d->L == nullptr || d->suspended)
        return "script suspended: " + d->reason;
    if (events.empty())
        return std::nullopt;
    LuaRunScope scope(d->context, d->L);
    lua_State *L = d->L;
    const int top = lua_gettop(L);
    DispatchBatch batch{d.get(), events, 0};
    lua_pushcfunction(L, &Impl::messageHandler);
    lua_pushcfunction(L, &Impl::dispatchEvents);
    lua_pushlightuserdata(L, &batch);
    auto error = d->protectedCall(1, 0, host, true);
    lua_settop(L, top);
    if (called != nullptr)
        *called = batch.called;
    noteHotAddresses(batch.handler, batch.handlerName);
    return error;
}

void ScriptVm::noteHotAddresses(const void *handler, const void *handlerName) noexcept
{
    lua_State *L = d->L;
    const global_State *g = G(L);
    const Table *globals = nullptr;
    m_hot.fill(nullptr);
    if (ttistable(&g->l_registry)) {
        const Table *registry = hvalue(&g->l_registry);
        if (registry->alimit >= LUA_RIDX_GLOBALS
            && ttistable(&registry->array[LUA_RIDX_GLOBALS - 1]))
            globals = hvalue(&registry->array[LUA_RIDX_GLOBALS - 1]);
        m_hot[2] = registry->array;
    }
    const auto *closure = static_cast<const LClosure *>(handler);
    m_hot[0] = L;
    m_hot[1] = g;
    m_hot[3] = globals;
    m_hot[4] = closure;
    m_hot[5] = closure && closure->nupvalues > 0 ? closure->upvals[0] : nullptr;
    m_hot[6] = closure ? closure->p : nullptr;
    m_hot[7] = closure ? closure->p->code : nullptr;
    m_hot[8] = closure ? closure->p->k : nullptr;
    m_hot[9] = L->top; // where the next call's frame starts
    m_hot[10] = L->ci->next; // the CallInfo it will use

    // The globals' hash part holds the host functions and the script's own globals. Which of
    // its nodes the handler reads is known from its name and its string constants (the names
    // its GETTABUP _ENV instructions look up): those nodes alone, when there are few.
    m_hotNodeLines = 0;
    if (!globals || isdummy(globals))
        return;
    constexpr std::size_t FirstNode = 11;
    std::size_t nodes = 0;
    bool tooMany = false;
    const auto note = [&](const TString *key) {
        if (key == nullptr || key->tt != LUA_VSHRSTR)
            return;
        const Node *n = gnode(globals, lmod(key->hash, sizenode(globals)));
        for (;;) {
            if (keyisshrstr(n) && keystrval(n) == key)
                break;
            if (gnext(n) == 0)
                return; // not a global (a field name, a string value)
            n += gnext(n);
        }
        for (std::size_t i = FirstNode; i < FirstNode + nodes; ++i)
            if (m_hot[i] == n)
                return;
        if (FirstNode + nodes == m_hot.size()) {
            tooMany = true;
            return;
        }
        m_hot[FirstNode + nodes++] = n;
    };
    note(static_cast<const TString *>(handlerName));
    if (closure)
        for (int i = 0; i < closure->p->sizek && !tooMany; ++i)
            if (ttisshrstring(&closure->p->k[i]))
                note(tsvalue(&closure->p->k[i]));
    if (tooMany) {
        // Many globals: the whole hash part, when it is small.
        for (std::size_t i = FirstNode; i < m_hot.size(); ++i)
            m_hot[i] = nullptr;
        const std::size_t bytes = sizeof(Node) << globals->lsizenode;
        if (bytes <= 4096) {
            m_hot[FirstNode] = globals->node;
            m_hotNodeLines = std::uint32_t((bytes + 63) / 64);
        }
    }
}

void ScriptVm::prefetch() const noexcept
{
    const auto line = [](const void *p, int lines = 1) {
        for (int i = 0; i < lines; ++i)
            __builtin_prefetch(static_cast<const char *>(p) + i * 64);
    };
    line(d.get(), int((sizeof(Impl) + 63) / 64));
    if (m_hot[0] == nullptr)
        return; // never dispatched
    line(m_hot[0], int((sizeof(lua_State) + 63) / 64));
    line(m_hot[1], 4); // the GC counters, the string table and the registry at its start
    for (std::size_t i = 2; i < m_hot.size(); ++i)
        if (m_hot[i])
            line(m_hot[i], i == 11 && m_hotNodeLines > 0 ? int(m_hotNodeLines) : i == 9 ? 2 : 1);
}

bool ScriptVm::hasHandler(std::string_view name) const
{
    if (d->L == nullptr)
        return false;
    LuaRunScope scope(d->context, d->L);
    lua_pushglobaltable(d->L);
    lua_pushlstring(d->L, name.data(), name.size());
    const bool found = lua_rawget(d->L, -2) == LUA_TFUNCTION;
    lua_pop(d->L, 2);
    return found;
}

std::optional<std::string> ScriptVm::call(std::string_view handler,
                                          std::span<const ScriptValue> args, ScriptHost &host)
{
    return call(handler, args, host, nullptr);
}

std::optional<std::string> ScriptVm::call(std::string_view handler,
                                          std::span<const ScriptValue> args, ScriptHost &host,
                                          std::vector<ScriptValue> *results)
{
    if (d->L == nullptr || d->suspended)
        return "script suspended: " + d->reason;
    LuaRunScope scope(d->context, d->L);
    lua_State *L = d->L;
    const int top = lua_gettop(L);
    lua_pushglobaltable(L);
    lua_pushlstring(L, handler.data(), handler.size());
    if (lua_rawget(L, -2) != LUA_TFUNCTION) {
        lua_settop(L, top);
        return "no handler '" + std::string(handler) + "'";
    }
    lua_remove(L, -2);
    if (!lua_checkstack(L, static_cast<int>(args.size()) + 8)) {
        lua_settop(L, top);
        return "too many arguments";
    }
    for (const auto &a : args) {
        // Converting host values allocates: do it under the same protection as the call.
        d->pushValue(L, a, 0);
    }
    auto error = d->protectedCall(static_cast<int>(args.size()), LUA_MULTRET, host);
    if (!error && results != nullptr) {
        results->clear();
        std::string convError;
        for (int i = top + 1; i <= lua_gettop(L); ++i) {
            ScriptValue v;
            if (!Impl::toValue(L, i, v, 0, convError))
                v = std::monostate{};
            results->push_back(std::move(v));
        }
    }
    lua_settop(L, top);
    return error;
}

bool ScriptVm::suspended() const
{
    return d->suspended;
}

const std::string &ScriptVm::suspendReason() const
{
    return d->reason;
}

void ScriptVm::resume()
{
    if (d->L != nullptr) {
        d->suspended = false;
        d->reason.clear();
    }
}

const std::string &ScriptVm::source() const
{
    static const std::string empty;
    return d->chunks().empty() ? empty : d->chunks().back().second;
}

const std::vector<std::pair<std::string, std::string>> &ScriptVm::chunks() const
{
    return d->chunks();
}

std::size_t ScriptVm::memoryUsed() const
{
    return d->arena.used();
}

const ScriptLimits &ScriptVm::limits() const
{
    return d->limits;
}

void ScriptVm::reseed(std::uint64_t seed)
{
    d->sandbox.random.hostSeed = seed;
    d->sandbox.random.seed(seed, 0);
}


} // namespace metatopia
