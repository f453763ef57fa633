// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

// Forced include for Lua's lstrlib.c only: every l_unlikely() test in the string library (one
// per step of the pattern matcher's recursion and backtracking) charges the VM's step budget,
// so a pattern bomb stops with an error instead of running for hours inside one C call, where
// the instruction-count hook cannot see it.

#define luai_likely(x) (__builtin_expect(((x) != 0), 1))
#define luai_unlikely(x) (metatopia::script::chargeSteps(1), __builtin_expect(((x) != 0), 0))

#include "script/LuaFixedConfig.h"
