// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

// Internal: our replacement for Lua's linit.c and lmathlib.c, and the sandboxing of the base
// library (see ScriptVm.h for the list of differences from stock Lua).

#include "script/LuaRuntime.h"

#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace metatopia::script {

// xoshiro256** as in Lua 5.4's math library, but seeded only by the host.
struct LuaRandom
{
    std::array<std::uint64_t, 4> s{};
    std::uint64_t hostSeed = 0;
    void seed(std::uint64_t n1, std::uint64_t n2);
    std::uint64_t next();
};

struct LuaSandbox
{
    LuaRunContext *context = nullptr;
    LuaRandom random;
    std::size_t memoryLimit = 0;
    std::size_t maxStringBytes = 0;
    const LuaArena *arena = nullptr;
    // Every chunk compiled in this VM (host loads and the script's own load() calls): the
    // state serialiser refers to functions by chunk and position, and recompiles these.
    std::vector<std::pair<std::string, std::string>> chunks;
};

// Registry field holding the main function of every chunk, in the order of `chunks`.
inline constexpr const char *ChunkRegistryKey = "metatopia.chunks";
// Records a just-compiled chunk (its main function on top of the stack).
void recordChunk(lua_State *L, LuaSandbox &sandbox, std::string name, std::string source);

// The message of a memory or string-size breach, with the script position when known.
std::string memoryMessage(const LuaSandbox &sandbox);

// Opens base (sandboxed), coroutine, table, string (without dump), utf8 and our math.
// `sandbox` must outlive the state.
void openSandboxedLibs(lua_State *L, LuaSandbox &sandbox);

} // namespace metatopia::script
