// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

// libs/script: the deterministic Lua 5.4 runtime of Metatopia's scripted objects. Every replica
// of a sim runs the same scripts on the same events and must compute bit-identical results, so
// Lua's float subtype is our Q32.32 Fixed, everything that could leak addresses, time or
// collector timing is closed, and a script's whole VM state can be serialised and restored
// byte for byte. ScriptVm is one sandboxed script; the sim owns many.
//
// Differences from stock Lua 5.4:
// - Numbers: floats are Fixed (range about +-2147483648, resolution 2^-32 ~ 2.3e-10, no inf,
//   no NaN). Integers are int64 as usual. 7/2 == 3.5, 7//2 == 3, 3.0 == 3, math.type(1.5) is
//   "float". Float overflow, division by zero (1/0, 1.0//0, 1.0%0), 0^-1, (-8)^(1/3), and
//   converting an integer beyond +-2^31 to a float (e.g. 3e9 is fine as an integer literal, but
//   2^40 or 5000000000/2 is not) raise an error "number overflow ..." / "attempt to divide by
//   zero". Constant expressions that overflow fail when the chunk is compiled.
// - tostring(float) gives the shortest decimal that reads back to the same value ("0.1"; "3.0"
//   for integral floats); string.format's %f %e %g %a are computed exactly (printf rounding),
//   %.14g is not used; math.huge is the largest Fixed and "%q" writes it as 1e9999, which reads
//   back as math.huge.
// - math: our own functions on Fixed (sqrt, sin, cos, tan, asin, acos, atan (also atan2), exp,
//   log (also with a base), pow, fmod, modf, floor, ceil, abs, min, max, tointeger, type, ult,
//   random, randomseed, pi, huge, maxinteger, mininteger). Arguments outside a function's domain
//   (sqrt(-1), log(0)) raise errors. math.random is xoshiro256** seeded by the host;
//   math.randomseed() without arguments returns to the host's seed.
// - Sandbox: no os, io, package, require, debug, dofile, loadfile, string.dump; load accepts
//   text only; collectgarbage offers "collect", "step", "isrunning" (not "count"); print goes
//   to the host as ScriptHost::call("print", {line}).
// - No finalisers (__gc) and no weak tables (__mode): both would expose collector timing.
// - tostring(table) and "%p" show a per-VM identity ("table: 0x0000002a"), never an address;
//   pairs() order depends only on what the script did (keys that are tables/functions hash by
//   that identity; string hashes use a fixed seed).
// - Limits (ScriptLimits): instructions per call (counted at each VM instruction fetch; the
//   pattern matcher has a step budget of the same size), memory per VM (allocator), size of one
//   string object, C nesting 200 and Lua stack 1,000,000 slots (stock). A breach ends the call
//   with "chunk:line: ..." that pcall/xpcall/coroutine.resume cannot swallow, and the VM is
//   suspended. collectgarbage("count") is absent; memoryUsed() may differ by a few hundred
//   bytes between a VM and its restored copy (stacks are rebuilt), limits apply to each.
// - Serialisation (serialize/deserialize): globals, tables (exact layout, cycles), Lua closures
//   and shared upvalues, strings, numbers, library functions, coroutines (fresh, dead, or
//   suspended in coroutine.yield from Lua code, with their frames and open upvalues). Not yet
//   restorable: yields across pcall or a C function, and C closures made at run time (gmatch
//   iterators, coroutine.wrap functions); they still hash deterministically, and deserialize()
//   says what is missing. Character classes (%a, string.upper, tonumber(s, base)) are ASCII
//   in every locale. A pairs()
//   traversal must not span a snapshot (keys removed mid-traversal are stored as dead).
// - Numerals that do not fit Fixed (1e20, -2147483648.0) are malformed; string.format("%5.1f")
//   and friends round exact binary values half to even like C.

#include "core/Fixed.h"

#include <QByteArray>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace metatopia {

struct ScriptValue;
// Array part (keys 1..n) first, then the other keys sorted (booleans, numbers, strings).
using ScriptTable = std::vector<std::pair<ScriptValue, ScriptValue>>;

// A deterministic value crossing the host/Lua boundary: nil, boolean, integer, float (Fixed),
// string or table of such values. Functions, coroutines and cyclic tables do not cross.
struct ScriptValue : std::variant<std::monostate, bool, std::int64_t, Fixed, std::string, ScriptTable>
{
    using variant::variant;
    ScriptValue(int v)
        : variant(static_cast<std::int64_t>(v))
    {
    }
    ScriptValue(const char *s)
        : variant(std::string(s))
    {
    }
    bool isNil() const { return std::holds_alternative<std::monostate>(*this); }
    friend bool operator==(const ScriptValue &, const ScriptValue &) = default;
};

struct ScriptLimits
{
    std::int64_t instructionsPerCall = 1'000'000;
    std::size_t memoryBytes = 4 << 20;
    std::size_t maxStringBytes = 1 << 20;
};

// Implemented by the sim; called synchronously from inside a Lua call.
class ScriptHost
{
public:
    virtual ~ScriptHost() = default;
    // A world function called by the script, e.g. ("say", {0, "hello"}); returns its results or
    // throws ScriptError (which becomes a Lua error at the calling line, catchable by pcall).
    virtual std::vector<ScriptValue> call(std::string_view function,
                                          std::span<const ScriptValue> args)
        = 0;
};

struct ScriptError
{
    std::string message; // "chunk:line: what"
};

class alignas(64) ScriptVm
{
public:
    ScriptVm(ScriptLimits limits, std::uint64_t randomSeed);
    ~ScriptVm();
    ScriptVm(const ScriptVm &) = delete;
    ScriptVm &operator=(const ScriptVm &) = delete;

    // Exposes these host functions to Lua as globals, routed to ScriptHost::call. Call before
    // load(); names are kept in the serialised state.
    void setHostFunctions(std::vector<std::string> names);
    // Compiles (text only) and runs a top-level chunk. Returns an error message on failure
    // (nullopt on success); a failure suspends the VM. May be called more than once (several
    // chunks share the globals); all sources are kept.
    std::optional<std::string> load(std::string_view source, std::string_view chunkName,
                                    ScriptHost &host);
    // Event handlers the host calls by number with dispatch(), e.g. {"on_touch", "on_timer"}.
    // Call once, after setHostFunctions() and before load(); the names are kept in the
    // serialised state. Their Lua strings are made once and never collected, so dispatching an
    // event looks its handler up without making or interning a string.
    void setEventHandlers(std::vector<std::string> names);

    struct Event
    {
        std::uint32_t handler = 0; // index into the names given to setEventHandlers
        std::span<const ScriptValue> args;
    };
    // Calls, in order and in one entry into the VM, the handler of each event the script defines
    // (events whose handler is not a function are skipped). Every handler call has the full
    // instruction budget of a call(); the first runtime error or limit breach ends the batch,
    // suspends the VM and is returned, as call() would. `called` counts the handlers that ran to
    // the end.
    std::optional<std::string> dispatch(std::span<const Event> events, ScriptHost &host,
                                        std::size_t *called = nullptr);

    bool hasHandler(std::string_view name) const;
    // Calls the global function `handler` (e.g. "on_touch") with args. A missing handler is
    // an error that does not suspend; a runtime error or a limit breach returns the message
    // ("chunk:line: what") and suspends the VM.
    std::optional<std::string> call(std::string_view handler, std::span<const ScriptValue> args,
                                    ScriptHost &host);
    // Like call(), also returning the handler's results.
    std::optional<std::string> call(std::string_view handler, std::span<const ScriptValue> args,
                                    ScriptHost &host, std::vector<ScriptValue> *results);

    bool suspended() const;
    const std::string &suspendReason() const;
    // Lets a suspended script run again (e.g. after its owner edited nothing but wants a retry).
    void resume();
    // The exact source it runs (the last chunk loaded) and every chunk with its name.
    const std::string &source() const;
    const std::vector<std::pair<std::string, std::string>> &chunks() const;
    std::size_t memoryUsed() const;
    const ScriptLimits &limits() const;
    // Reseeds math.random (e.g. from the tick), deterministic like everything else.
    void reseed(std::uint64_t seed);

    // Deterministic hash of the whole VM state: xxHash64 of serialize().
    std::uint64_t stateHash() const;
    // Whole VM state -> bytes (deterministic: the same state gives the same bytes).
    QByteArray serialize() const;
    static std::unique_ptr<ScriptVm> deserialize(const QByteArray &bytes, ScriptLimits limits,
                                                 std::string *error);

    // Starts loading into the caches what the next dispatch() will touch: the VM's state, its
    // globals and the handler it ran last. A scheduler that knows which VMs run next calls it
    // a script ahead, so that script's cache misses overlap with this one's work instead of
    // following it one by one (a tick of ten thousand VMs is mostly such misses). Only a hint:
    // it changes nothing and cannot fail. Call it from the thread that runs the VM next.
    void prefetch() const noexcept;

    struct Impl;

private:
    // Records m_hot at the end of a dispatch, while all of it is in the caches.
    void noteHotAddresses(const void *handler, const void *handlerName) noexcept;

    std::unique_ptr<Impl> d;
    // Addresses the last dispatch touched, kept here rather than in Impl so that prefetch()
    // needs only this object (which the caller can fetch a step earlier) and no cold Impl.
    std::array<const void *, 14> m_hot {};
    std::uint32_t m_hotNodeLines = 0; // > 0: m_hot[11] is the globals' whole hash part
};

} // namespace metatopia
