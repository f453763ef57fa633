// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

// World: the immutable state S(n) of one region at one tick. Objects and avatars live in
// PersistentMaps of shared immutable records, so a tick builds S(n+1) by replacing only the
// records that changed, and S(n) stays valid for every thread still reading it. Each record carries
// its own 64-bit hash (computed once, when the record is made); the world keeps the sums, so the
// state hash follows from the changes alone.
//
// A scripted object's VM is not in this record: it lives in the tick engine's script table, is
// advanced by exactly one worker per tick, and is hashed and snapshotted with the world.

#include "core/FQuat.h"
#include "core/FVec3.h"
#include "core/Fixed.h"
#include "sim/PersistentMap.h"

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <variant>
#include <vector>

namespace metatopia::sim {

class Writer;
class Reader;

using ObjectId = std::uint64_t;
using AvatarId = std::uint64_t;
using AccountId = std::uint64_t;

// A value in an object's key-value storage (kv_set/kv_get). Scalars only: storage is for small
// facts, and scalars keep it cheap to hash and copy.
using StoredValue = std::variant<bool, std::int64_t, Fixed, std::string>;

enum Permission : std::uint32_t
{
    PermissionModify = 1u << 0, // others may edit the object and its script
    PermissionCopy = 1u << 1,
    PermissionTransfer = 1u << 2,
    PermissionMove = 1u << 3,
    PermissionDefault = PermissionMove,
};

// One past revision of a script: who replaced it and when.
struct ScriptRevision
{
    std::uint32_t revision = 0;
    std::uint64_t tick = 0;
    AccountId author = 0;
    std::string source;
};

// The script attached to an object: its current source, the previous ones (copyleft: anyone can
// read any script's source and history), and the scheduling facts the router needs. Shared
// between object versions: moving an object does not copy its script.
struct ScriptInfo
{
    std::string source;
    std::uint32_t revision = 0;
    AccountId author = 0;
    std::vector<ScriptRevision> history; // oldest first
    std::uint64_t sourceHash = 0; // of source and history, computed when made

    static std::shared_ptr<const ScriptInfo> make(std::string source, std::uint32_t revision,
        AccountId author, std::vector<ScriptRevision> history);
};

// Per-object script runtime status that changes while it runs (small, copied with the object).
struct ScriptStatus
{
    bool loaded = false; // top-level code has run
    bool suspended = false; // after an error or a limit; receives no more events
    std::string error;
    std::vector<std::int64_t> listenChannels; // sorted, unique
    // on_timer fires at ticks timerStart + k * timerInterval (k >= 1); 0 = no timer. Kept as a
    // rule rather than a "next tick" so firing a timer writes nothing to the world.
    std::int64_t timerInterval = 0;
    std::uint64_t timerStart = 0;
};

struct Object
{
    ObjectId id = 0;
    AccountId owner = 0;
    ObjectId parent = 0; // the object that rezzed it, 0 for top-level objects
    std::string name;
    FVec3 position;
    FQuat rotation;
    FVec3 scale;
    std::uint32_t colour = 0xffffffff; // RGBA
    std::string text; // floating text
    std::uint32_t permissions = PermissionDefault;
    std::map<std::string, StoredValue> storage;
    std::shared_ptr<const ScriptInfo> script; // null: no script
    ScriptStatus status;
    std::uint64_t hash = 0; // of all the above; set by finalize()

    // Computes hash; call once after building, before sharing.
    void finalize();
    void encode(Writer &out) const;
    static Object decode(Reader &in);

private:
    enum class ScriptEncoding
    {
        Full, // source, history and VM info, for snapshots
        SourceHash // only the source's hash, for Object::hash
    };
    void encodeFields(Writer &out, ScriptEncoding scriptEncoding) const;
};

struct Avatar
{
    AvatarId id = 0;
    AccountId account = 0;
    std::string name;
    FVec3 position;
    FQuat rotation;
    std::string animation; // "stand", "walk", ...
    std::uint64_t hash = 0;

    void finalize();
    void encode(Writer &out) const;
    static Avatar decode(Reader &in);
};

// Limits of one region; part of the agreed configuration, identical on every replica.
struct RegionLimits
{
    std::uint32_t maxObjects = 15000;
    std::uint32_t maxScripts = 15000;
    std::uint64_t maxScriptMemory = 4ull << 30; // all VMs together, bytes
    std::uint32_t maxEventsInPerScript = 64; // per tick, like SL's event queue
    std::uint32_t maxEventsOutPerScript = 64; // per tick: says, messages, rez, derez
    std::uint32_t maxListensPerScript = 16;
    std::uint32_t maxStorageKeys = 128;
    std::uint32_t maxStorageBytes = 16384; // keys + values per object
    std::uint32_t maxTextBytes = 1024; // chat lines, floating text, names
    std::uint32_t maxSourceBytes = 65536;
    std::uint32_t maxHistory = 32; // kept revisions per script
    std::uint32_t maxSensorResults = 16;
    std::int64_t instructionsPerCall = 1000000;
    std::uint64_t scriptMemoryBytes = 1u << 20;
    std::uint64_t scriptMaxStringBytes = 65536;
    // A script VM that ran is re-hashed into the state hash at most once per this many ticks
    // (staggered by object id): hashing a VM serialises its whole heap, so hashing every VM every
    // tick would cost more than running it. 1 = after every run. Outputs of scripts (writes,
    // events) enter the hash every tick regardless.
    std::uint32_t vmHashInterval = 90;
};

struct RegionConfig
{
    std::string name = "region";
    Fixed size = Fixed::fromInt(256); // square, metres
    std::uint32_t tickRate = 45; // ticks per second
    RegionLimits limits;

    void encode(Writer &out) const;
    static RegionConfig decode(Reader &in);
};

struct WorldState
{
    std::uint64_t tick = 0; // the tick this state is the result of
    RegionConfig region;
    ObjectId nextObjectId = 1;
    PersistentMap<Object> objects;
    PersistentMap<Avatar> avatars;
    std::uint64_t objectHashSum = 0; // sum of Object::hash, mod 2^64
    std::uint64_t avatarHashSum = 0;
};

// Chat ranges, like SL's: whisper 10 m, say 20 m, shout 100 m, region: everyone.
enum class ChatRange : std::uint8_t
{
    Whisper,
    Say,
    Shout,
    Region
};
Fixed chatRangeMetres(ChatRange range);

// Clamps a position into the region's box [0, size] on x and y, [0, 4096] on z.
FVec3 clampToRegion(const FVec3 &position, const RegionConfig &region);

void encodeStoredValue(Writer &out, const StoredValue &value);
StoredValue decodeStoredValue(Reader &in);
std::size_t storedValueBytes(const StoredValue &value);

} // namespace metatopia::sim
