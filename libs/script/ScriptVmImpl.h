// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

// Internal: ScriptVm's private state, shared by ScriptVm.cpp and ScriptState.cpp (serialisation).

#include "script/ScriptVm.h"

#include "script/LuaLibs.h"
#include "script/LuaRuntime.h"

#include "lobject.h"

#include <algorithm>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace metatopia {

struct ScriptVm::Impl
{
    Impl(ScriptLimits limits, std::uint64_t seed);
    ~Impl();
    Impl(const Impl &) = delete;
    Impl &operator=(const Impl &) = delete;

    // Runs the function below nargs arguments with the limits armed; nullopt on success.
    // handlerBelow: the caller pushed messageHandler right below the function.
    std::optional<std::string> protectedCall(int nargs, int nresults, ScriptHost &host,
                                             bool handlerBelow = false);

    static bool toValue(lua_State *L, int index, ScriptValue &out, int depth, std::string &error);
    static void pushValue(lua_State *L, const ScriptValue &v, int depth);
    static int hostFunction(lua_State *L);
    static int print(lua_State *L);
    static int messageHandler(lua_State *L);
    static int dispatchEvents(lua_State *L);

    ScriptLimits limits;
    script::LuaArena arena;
    script::LuaRunContext context;
    script::LuaSandbox sandbox;
    lua_State *L = nullptr;
    ScriptHost *host = nullptr;
    std::vector<std::string> hostFunctions;
    std::vector<std::string> eventHandlers;
    // The fixed (never collected) Lua strings of eventHandlers; null when a name already existed
    // as a collectable string (then dispatch() looks it up the slow way).
    std::vector<TString *> eventHandlerStrings;
    const std::vector<std::pair<std::string, std::string>> &chunks() const { return sandbox.chunks; }
    // The objects of a fresh VM (library tables and C functions) in the order a walk from the
    // registry meets them, which is the same in every fresh VM: the serialiser refers to them
    // by that number instead of storing them.
    struct Builtins
    {
        // GC objects and light C functions -> index, sorted by address: a few hundred entries
        // in one block, searched on every value a state hash meets. (A hash map cost each VM
        // about 10 KB of scattered nodes, more than the rest of its bookkeeping.)
        std::vector<std::pair<const void *, std::uint32_t>> index;
        // 0 when `key` is not a builtin.
        std::uint32_t find(const void *key) const noexcept
        {
            const auto it = std::lower_bound(
                index.begin(), index.end(), key, [](const auto &entry, const void *k) {
                    return std::less<const void *>()(entry.first, k);
                });
            return it != index.end() && it->first == key ? it->second : 0;
        }
    };
    Builtins builtins;
    void buildBuiltins();
    // The builtins in index order (index - 1 -> object).
    std::vector<TValue> builtinObjects();
    // What a builtin is known by: its address, or a light C function's; null for other values.
    static const void *builtinKey(const TValue &v);
    bool suspended = false;
    std::string reason;
};

} // namespace metatopia
