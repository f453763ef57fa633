// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "sim/World.h"

#include "sim/Codec.h"
#include "sim/Hash.h"

#include <algorithm>

namespace metatopia::sim {

namespace {

constexpr std::uint32_t MaxDecodedItems = 1u << 20;

void encodeScriptInfo(Writer &out, const ScriptInfo &script)
{
    out.str(script.source);
    out.u32(script.revision);
    out.u64(script.author);
    out.u32(static_cast<std::uint32_t>(script.history.size()));
    for (const ScriptRevision &old : script.history) {
        out.u32(old.revision);
        out.u64(old.tick);
        out.u64(old.author);
        out.str(old.source);
    }
}

} // namespace

std::shared_ptr<const ScriptInfo> ScriptInfo::make(std::string source, std::uint32_t revision,
    AccountId author, std::vector<ScriptRevision> history)
{
    auto info = std::make_shared<ScriptInfo>();
    info->source = std::move(source);
    info->revision = revision;
    info->author = author;
    info->history = std::move(history);
    Writer out;
    encodeScriptInfo(out, *info);
    info->sourceHash = hashBytes(out.bytes(), 0x5c41u);
    return info;
}

void encodeStoredValue(Writer &out, const StoredValue &value)
{
    out.u8(static_cast<std::uint8_t>(value.index()));
    std::visit(
        [&](const auto &v) {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, bool>)
                out.boolean(v);
            else if constexpr (std::is_same_v<T, std::int64_t>)
                out.i64(v);
            else if constexpr (std::is_same_v<T, Fixed>)
                out.fixed(v);
            else
                out.str(v);
        },
        value);
}

StoredValue decodeStoredValue(Reader &in)
{
    switch (in.u8()) {
    case 0:
        return in.boolean();
    case 1:
        return in.i64();
    case 2:
        return in.fixed();
    case 3:
        return in.str();
    default:
        throw CodecError("bad stored value");
    }
}

std::size_t storedValueBytes(const StoredValue &value)
{
    if (const auto *s = std::get_if<std::string>(&value))
        return s->size();
    return 8;
}

void Object::encode(Writer &out) const
{
    encodeFields(out, ScriptEncoding::Full);
}

// One field order for snapshots and for the hash: they differ only in how the script appears.
void Object::encodeFields(Writer &out, ScriptEncoding scriptEncoding) const
{
    out.u64(id);
    out.u64(owner);
    out.u64(parent);
    out.str(name);
    out.vec3(position);
    out.quat(rotation);
    out.vec3(scale);
    out.u32(colour);
    out.str(text);
    out.u32(permissions);
    out.u32(static_cast<std::uint32_t>(storage.size()));
    for (const auto &[key, value] : storage) {
        out.str(key);
        encodeStoredValue(out, value);
    }
    if (scriptEncoding == ScriptEncoding::SourceHash) {
        out.u64(script ? script->sourceHash : 0);
    } else {
        out.boolean(script != nullptr);
        if (script)
            encodeScriptInfo(out, *script);
    }
    out.boolean(status.loaded);
    out.boolean(status.suspended);
    out.str(status.error);
    out.u32(static_cast<std::uint32_t>(status.listenChannels.size()));
    for (std::int64_t channel : status.listenChannels)
        out.i64(channel);
    out.i64(status.timerInterval);
    out.u64(status.timerStart);
}

Object Object::decode(Reader &in)
{
    Object o;
    o.id = in.u64();
    o.owner = in.u64();
    o.parent = in.u64();
    o.name = in.str();
    o.position = in.vec3();
    o.rotation = in.quat();
    o.scale = in.vec3();
    o.colour = in.u32();
    o.text = in.str();
    o.permissions = in.u32();
    const std::uint32_t keys = in.count(MaxDecodedItems);
    for (std::uint32_t i = 0; i < keys; ++i) {
        std::string key = in.str();
        o.storage.emplace(std::move(key), decodeStoredValue(in));
    }
    if (in.boolean()) {
        std::string source = in.str();
        const std::uint32_t revision = in.u32();
        const AccountId author = in.u64();
        std::vector<ScriptRevision> history(in.count(MaxDecodedItems));
        for (ScriptRevision &old : history) {
            old.revision = in.u32();
            old.tick = in.u64();
            old.author = in.u64();
            old.source = in.str();
        }
        o.script = ScriptInfo::make(std::move(source), revision, author, std::move(history));
    }
    o.status.loaded = in.boolean();
    o.status.suspended = in.boolean();
    o.status.error = in.str();
    o.status.listenChannels.resize(in.count(MaxDecodedItems));
    for (std::int64_t &channel : o.status.listenChannels)
        channel = in.i64();
    o.status.timerInterval = in.i64();
    o.status.timerStart = in.u64();
    o.finalize();
    return o;
}

void Object::finalize()
{
    // The script's text is represented by its precomputed hash, so moving a scripted object does
    // not rehash its source and history.
    // One buffer per thread: workers finalize thousands of written objects in a burst.
    thread_local Writer out;
    out.clear();
    encodeFields(out, ScriptEncoding::SourceHash);
    hash = hashBytes(out.bytes(), 0x0b1ec7u);
}

void Avatar::encode(Writer &out) const
{
    out.u64(id);
    out.u64(account);
    out.str(name);
    out.vec3(position);
    out.quat(rotation);
    out.str(animation);
}

Avatar Avatar::decode(Reader &in)
{
    Avatar a;
    a.id = in.u64();
    a.account = in.u64();
    a.name = in.str();
    a.position = in.vec3();
    a.rotation = in.quat();
    a.animation = in.str();
    a.finalize();
    return a;
}

void Avatar::finalize()
{
    Writer out;
    encode(out);
    hash = hashBytes(out.bytes(), 0xa7a7u);
}

void RegionConfig::encode(Writer &out) const
{
    out.str(name);
    out.fixed(size);
    out.u32(tickRate);
    out.u32(limits.maxObjects);
    out.u32(limits.maxScripts);
    out.u64(limits.maxScriptMemory);
    out.u32(limits.maxEventsInPerScript);
    out.u32(limits.maxEventsOutPerScript);
    out.u32(limits.maxListensPerScript);
    out.u32(limits.maxStorageKeys);
    out.u32(limits.maxStorageBytes);
    out.u32(limits.maxTextBytes);
    out.u32(limits.maxSourceBytes);
    out.u32(limits.maxHistory);
    out.u32(limits.maxSensorResults);
    out.i64(limits.instructionsPerCall);
    out.u64(limits.scriptMemoryBytes);
    out.u64(limits.scriptMaxStringBytes);
    out.u32(limits.vmHashInterval);
}

RegionConfig RegionConfig::decode(Reader &in)
{
    RegionConfig r;
    r.name = in.str();
    r.size = in.fixed();
    r.tickRate = in.u32();
    r.limits.maxObjects = in.u32();
    r.limits.maxScripts = in.u32();
    r.limits.maxScriptMemory = in.u64();
    r.limits.maxEventsInPerScript = in.u32();
    r.limits.maxEventsOutPerScript = in.u32();
    r.limits.maxListensPerScript = in.u32();
    r.limits.maxStorageKeys = in.u32();
    r.limits.maxStorageBytes = in.u32();
    r.limits.maxTextBytes = in.u32();
    r.limits.maxSourceBytes = in.u32();
    r.limits.maxHistory = in.u32();
    r.limits.maxSensorResults = in.u32();
    r.limits.instructionsPerCall = in.i64();
    r.limits.scriptMemoryBytes = in.u64();
    r.limits.scriptMaxStringBytes = in.u64();
    r.limits.vmHashInterval = in.u32();
    if (r.tickRate == 0 || r.size <= Fixed::zero() || r.limits.vmHashInterval == 0)
        throw CodecError("bad region config");
    return r;
}

Fixed chatRangeMetres(ChatRange range)
{
    switch (range) {
    case ChatRange::Whisper:
        return Fixed::fromInt(10);
    case ChatRange::Say:
        return Fixed::fromInt(20);
    case ChatRange::Shout:
        return Fixed::fromInt(100);
    case ChatRange::Region:
        break;
    }
    return Fixed::max();
}

FVec3 clampToRegion(const FVec3 &position, const RegionConfig &region)
{
    FVec3 p = position;
    p.x = std::clamp(p.x, Fixed::zero(), region.size);
    p.y = std::clamp(p.y, Fixed::zero(), region.size);
    p.z = std::clamp(p.z, Fixed::zero(), Fixed::fromInt(4096));
    return p;
}

} // namespace metatopia::sim
