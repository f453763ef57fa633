// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

// The sim's view of script values: canonical encoding (for queued events in the state hash and in
// snapshots) and the small helpers the script API uses to read arguments and build results.

#include "sim/Codec.h"
#include "sim/World.h"

#include "script/ScriptVm.h"

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace metatopia::sim {

void encodeScriptValue(Writer &out, const ScriptValue &value);
ScriptValue decodeScriptValue(Reader &in); // throws CodecError
// Approximate size for limits: string bytes plus 8 per scalar, recursively.
std::size_t scriptValueBytes(const ScriptValue &value);

bool isNil(const ScriptValue &value);
bool isTable(const ScriptValue &value);
// Integers, and Fixed values that are whole numbers.
std::optional<std::int64_t> toInteger(const ScriptValue &value);
// Integers and Fixed, as Fixed.
std::optional<Fixed> toNumber(const ScriptValue &value);
const std::string *toStr(const ScriptValue &value);
std::optional<StoredValue> toStored(const ScriptValue &value);
// The value stored under a string key of a table, or null.
const ScriptValue *field(const ScriptValue &table, std::string_view key);

ScriptValue makeRecord(std::vector<std::pair<std::string, ScriptValue>> fields);
// A Lua sequence: keys 1..n.
ScriptValue makeList(std::vector<ScriptValue> items);

} // namespace metatopia::sim
