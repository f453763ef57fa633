// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "sim/ScriptValueCodec.h"

namespace metatopia::sim {

namespace {

constexpr int MaxDepth = 32;
constexpr std::uint32_t MaxEntries = 1u << 16;

void encode(Writer &out, const ScriptValue &value, int depth)
{
    if (depth > MaxDepth)
        throw CodecError("script value nested too deeply");
    out.u8(static_cast<std::uint8_t>(value.index()));
    std::visit(
        [&](const auto &v) {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, std::monostate>) {
            } else if constexpr (std::is_same_v<T, bool>) {
                out.boolean(v);
            } else if constexpr (std::is_same_v<T, std::int64_t>) {
                out.i64(v);
            } else if constexpr (std::is_same_v<T, Fixed>) {
                out.fixed(v);
            } else if constexpr (std::is_same_v<T, std::string>) {
                out.str(v);
            } else {
                out.u32(static_cast<std::uint32_t>(v.size()));
                for (const auto &[key, item] : v) {
                    encode(out, key, depth + 1);
                    encode(out, item, depth + 1);
                }
            }
        },
        static_cast<const ScriptValue::variant &>(value));
}

ScriptValue decode(Reader &in, int depth)
{
    if (depth > MaxDepth)
        throw CodecError("script value nested too deeply");
    ScriptValue value;
    switch (in.u8()) {
    case 0:
        break;
    case 1:
        value.emplace<bool>(in.boolean());
        break;
    case 2:
        value.emplace<std::int64_t>(in.i64());
        break;
    case 3:
        value.emplace<Fixed>(in.fixed());
        break;
    case 4:
        value.emplace<std::string>(in.str());
        break;
    case 5: {
        auto &table = value.emplace<ScriptTable>();
        const std::uint32_t n = in.count(MaxEntries);
        table.reserve(n);
        for (std::uint32_t i = 0; i < n; ++i) {
            ScriptValue key = decode(in, depth + 1);
            table.emplace_back(std::move(key), decode(in, depth + 1));
        }
        break;
    }
    default:
        throw CodecError("bad script value");
    }
    return value;
}

} // namespace

void encodeScriptValue(Writer &out, const ScriptValue &value)
{
    encode(out, value, 0);
}

ScriptValue decodeScriptValue(Reader &in)
{
    return decode(in, 0);
}

std::size_t scriptValueBytes(const ScriptValue &value)
{
    if (const auto *s = std::get_if<std::string>(&value))
        return s->size() + 8;
    if (const auto *t = std::get_if<ScriptTable>(&value)) {
        std::size_t bytes = 8;
        for (const auto &[key, item] : *t)
            bytes += scriptValueBytes(key) + scriptValueBytes(item);
        return bytes;
    }
    return 8;
}

bool isNil(const ScriptValue &value)
{
    return std::holds_alternative<std::monostate>(value);
}

bool isTable(const ScriptValue &value)
{
    return std::holds_alternative<ScriptTable>(value);
}

std::optional<std::int64_t> toInteger(const ScriptValue &value)
{
    if (const auto *i = std::get_if<std::int64_t>(&value))
        return *i;
    if (const auto *f = std::get_if<Fixed>(&value); f && f->isInteger())
        return f->toInt();
    return std::nullopt;
}

std::optional<Fixed> toNumber(const ScriptValue &value)
{
    if (const auto *f = std::get_if<Fixed>(&value))
        return *f;
    if (const auto *i = std::get_if<std::int64_t>(&value)) {
        // Out of Fixed's range is not a number the world can use.
        if (*i > (std::int64_t(1) << 31) - 1 || *i < -(std::int64_t(1) << 31))
            return std::nullopt;
        return Fixed::fromInt(*i);
    }
    return std::nullopt;
}

const std::string *toStr(const ScriptValue &value)
{
    return std::get_if<std::string>(&value);
}

std::optional<StoredValue> toStored(const ScriptValue &value)
{
    if (const auto *b = std::get_if<bool>(&value))
        return StoredValue(*b);
    if (const auto *i = std::get_if<std::int64_t>(&value))
        return StoredValue(*i);
    if (const auto *f = std::get_if<Fixed>(&value))
        return StoredValue(*f);
    if (const auto *s = std::get_if<std::string>(&value))
        return StoredValue(*s);
    return std::nullopt;
}

const ScriptValue *field(const ScriptValue &table, std::string_view key)
{
    const auto *t = std::get_if<ScriptTable>(&table);
    if (!t)
        return nullptr;
    for (const auto &[k, item] : *t) {
        if (const auto *s = std::get_if<std::string>(&k); s && *s == key)
            return &item;
    }
    return nullptr;
}

ScriptValue makeRecord(std::vector<std::pair<std::string, ScriptValue>> fields)
{
    ScriptTable table;
    table.reserve(fields.size());
    for (auto &[key, item] : fields)
        table.emplace_back(ScriptValue(std::move(key)), std::move(item));
    return ScriptValue(std::move(table));
}

ScriptValue makeList(std::vector<ScriptValue> items)
{
    ScriptTable table;
    table.reserve(items.size());
    std::int64_t index = 1;
    for (ScriptValue &item : items) {
        table.emplace_back();
        table.back().first.emplace<std::int64_t>(index++);
        table.back().second = std::move(item);
    }
    return ScriptValue(std::move(table));
}

} // namespace metatopia::sim
