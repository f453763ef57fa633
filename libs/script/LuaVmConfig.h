// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

// Forced include for Lua's lvm.c only: the instruction budget. Every l_unlikely() test in the
// VM, among them the one in front of each instruction fetch, ticks a per-OS-thread counter; when
// it runs out the running script stops with an error. This is deterministic (it counts what the
// script executes) and far cheaper than a count hook, which makes Lua call luaG_traceexec
// before every instruction.

#define luai_likely(x) (__builtin_expect(((x) != 0), 1))
#define luai_unlikely(x) \
    (__builtin_expect(((x) != 0), 0) || metatopia::script::instructionTick(L, pc))

#include "script/LuaFixedConfig.h"

// Outside luaV_execute there is no 'pc' in scope: this null one is found instead.
inline constexpr const unsigned int *pc = nullptr;
