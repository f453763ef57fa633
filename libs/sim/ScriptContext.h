// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

// ScriptContext: the world as one script sees it during one tick, and the host side of the
// script API (docs/scripting.md). It reads the immutable S(n) and the spatial index, writes only a
// private copy of its own object and its own ScriptOutput, so many contexts run in parallel
// without locks and the engine merges their outputs in script-id order.

#include "sim/Events.h"
#include "sim/SpatialIndex.h"

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace metatopia::sim {

struct ScriptOutput
{
    std::unique_ptr<ScriptVm> newVm; // made by a load
    std::shared_ptr<const Object> written; // the object's next version, if the script wrote it
    std::vector<Emission> emitted; // for tick n+1
    std::vector<ChatLine> chat;
    std::vector<RezRequest> rez;
    std::vector<ObjectId> derez;
    std::uint32_t droppedOut = 0;
    std::string error; // set when the script was suspended this tick
    bool loadRefused = false;
    bool hashed = false; // vmHash is fresh
    std::uint64_t vmHash = 0;
    std::size_t vmMemory = 0;

    // Empty again, keeping the buffers' capacity.
    void reset()
    {
        newVm.reset();
        written.reset();
        emitted.clear();
        chat.clear();
        rez.clear();
        derez.clear();
        droppedOut = 0;
        error.clear();
        loadRefused = false;
        hashed = false;
        vmHash = 0;
        vmMemory = 0;
    }
};

class ScriptContext final : public ScriptHost
{
public:
    ScriptContext(const WorldState &world, const SpatialIndex &near, const Object &self,
        std::uint64_t tick, std::uint64_t seed);

    // Loads the script when asked (a new VM), then delivers the events in order until the script
    // is suspended. Never throws: script failures end up in out.error.
    void run(ScriptVm *vm, bool load, bool refuseLoad, std::span<const Emission *const> events,
        const ScriptLimits &limits, bool hashVm, ScriptOutput &out);

    std::vector<ScriptValue> call(
        std::string_view function, std::span<const ScriptValue> args) override;

    // The Lua globals routed to call(), in the order given to ScriptVm::setHostFunctions.
    static const std::vector<std::string> &hostFunctions();
    // The event handlers (on_touch, ...) in EventKind order, given to ScriptVm::setEventHandlers.
    static const std::vector<std::string> &eventHandlers();

private:
    Object &writable();
    // Ends the run: the written object (if any) becomes out.written.
    void publishWrite();
    const Object &current() const { return m_writing ? *m_writing : m_self; }
    void queueEvent(Emission e);
    void say(ChatRange range, std::span<const ScriptValue> args);

    const WorldState &m_world;
    const SpatialIndex &m_near;
    const Object &m_self;
    std::uint64_t m_tick;
    std::uint64_t m_seed;
    ScriptOutput *m_out = nullptr;
    // Own object while the script writes it; kept here rather than in ScriptOutput, which the
    // merge reads on another core: a tick's outputs stay a few cache lines each.
    std::optional<Object> m_writing;
    std::uint32_t m_emitted = 0;
};

} // namespace metatopia::sim
