// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

// Internal: the per-OS-thread record of which Lua VM is running, which Lua's number code,
// pointer hashing and pattern matching consult (they get no lua_State of their own), plus the
// deterministic allocator every VM uses. Included only by libs/script's .cpp files.

#include "script/LuaFixedConfig.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace metatopia::script {

// A per-VM arena: one reserved address range, size classes with LIFO free lists and a bump
// pointer, so the same allocation sequence gives the same layout, and an 8-byte header before
// every block holding a per-VM identity number (what tables hash objects by, what tostring
// shows). Frees never fail; growth beyond the limit fails like malloc would.
class LuaArena
{
public:
    explicit LuaArena(std::size_t limitBytes);
    ~LuaArena();
    LuaArena(const LuaArena &) = delete;
    LuaArena &operator=(const LuaArena &) = delete;

    static void *allocate(void *ud, void *ptr, std::size_t osize, std::size_t nsize);

    bool contains(const void *p) const noexcept { return p >= m_base && p < m_end; }
    const char *base() const noexcept { return m_base; }
    std::size_t used() const noexcept { return m_used; }
    std::size_t limit() const noexcept { return m_limit; }
    void setLimit(std::size_t limit) noexcept { m_limit = limit; }
    std::uint64_t nextId() const noexcept { return m_nextId; }
    void setNextId(std::uint64_t id) noexcept { m_nextId = id; }
    void setUsed(std::size_t used) noexcept { m_used = used; }
    // Largest string object a script may create (0: no limit); hitting it sets stringRefused.
    std::size_t maxStringBytes = 0;
    bool stringRefused = false;
    bool limitHit = false;

    static std::uint64_t &idOf(void *block) noexcept
    {
        return *reinterpret_cast<std::uint64_t *>(static_cast<char *>(block) - 8);
    }

private:
    void *alloc(std::size_t nsize, bool identity);
    void release(void *p, std::size_t osize);
    static int classOf(std::size_t size) noexcept;
    static std::size_t classBytes(int cls) noexcept;

    char *m_base = nullptr;
    char *m_end = nullptr;
    std::size_t m_top = 0;
    std::size_t m_reserved = 0;
    std::size_t m_used = 0;
    std::size_t m_limit = 0;
    std::uint64_t m_nextId = 1;
    std::vector<void *> m_free;
};

struct LuaRunContext
{
    lua_State *current = nullptr; // the Lua thread running now (coroutines included)
    const LuaArena *arena = nullptr;
    std::int64_t stepsLeft = 0; // budget of C-side loops (pattern matching)
    std::int64_t instructionsLeft = 0;
    std::int64_t instructionLimit = 0;
    // A limit was hit: the call ends, pcall/xpcall/coroutine.resume must not swallow it.
    bool aborting = false;
    std::string abortMessage;
    std::string memoryWhere; // "chunk:line:" of the last refused allocation
    bool compiling = false; // inside lua_load: number errors only stop constant folding
    bool foldFailed = false;
};

// Marks a scope in which Lua compiles a chunk (see luai_numisnan in LuaFixedConfig.h).
class LuaCompileScope
{
public:
    LuaCompileScope() noexcept;
    ~LuaCompileScope();
    LuaCompileScope(const LuaCompileScope &) = delete;
    LuaCompileScope &operator=(const LuaCompileScope &) = delete;

private:
    bool m_previous;
};

// Records where the running script was when an allocation was refused (for the message).
void noteAllocationFailure() noexcept;
// "chunk:line:" of the innermost Lua function running in L, or "" when there is none.
std::string luaWhere(lua_State *L);

LuaRunContext *currentContext() noexcept;

// Makes a VM current on this OS thread for a scope (nests: restores the previous one).
class LuaRunScope
{
public:
    LuaRunScope(LuaRunContext &context, lua_State *L) noexcept;
    ~LuaRunScope();
    LuaRunScope(const LuaRunScope &) = delete;
    LuaRunScope &operator=(const LuaRunScope &) = delete;

private:
    LuaRunContext *m_previous;
    lua_State *m_previousThread;
};

// Keeps the current thread right across coroutine.resume: Lua tells us when a coroutine
// starts (luai_userstateresume) but not when control comes back, so resume is wrapped.
class LuaThreadRestore
{
public:
    LuaThreadRestore() noexcept;
    ~LuaThreadRestore();
    LuaThreadRestore(const LuaThreadRestore &) = delete;
    LuaThreadRestore &operator=(const LuaThreadRestore &) = delete;

private:
    lua_State *m_thread;
};

} // namespace metatopia::script
