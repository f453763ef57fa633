// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

// Internal: our replacement for Lua's linit.c and lmathlib.c, and the sandboxing of the base
// library (see ScriptVm.h for the list of differences from stock Lua).

#include "script/LuaRuntime.h"

#include <array>
#include <cstdint>
#include <string>

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
};

// The message of a memory or string-size breach, with the script position when known.
std::string memoryMessage(const LuaSandbox &sandbox);

// Opens base (sandboxed), coroutine, table, string (without dump), utf8 and our math.
// `sandbox` must outlive the state.
void openSandboxedLibs(lua_State *L, LuaSandbox &sandbox);

} // namespace metatopia::script
