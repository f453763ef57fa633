// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

// Small helpers shared by the sim tests: building batches by hand.

#include "sim/TickEngine.h"

#include <cstdint>
#include <vector>

namespace metatopia::sim::test {

inline FVec3 vec(int x, int y, int z = 20)
{
    FVec3 v;
    v.x = Fixed::fromInt(x);
    v.y = Fixed::fromInt(y);
    v.z = Fixed::fromInt(z);
    return v;
}

// Builds consecutive batches for an engine, giving inputs ids in push order.
class BatchBuilder
{
public:
    explicit BatchBuilder(std::uint64_t seed = 1)
        : m_seed(seed)
    { }
    void add(InputAction action) { m_inputs.push_back(Input { m_nextId++, std::move(action) }); }
    TickBatch take(std::uint64_t tick)
    {
        TickBatch batch;
        batch.tick = tick;
        batch.seed = m_seed * 0x9e3779b97f4a7c15ULL + tick;
        batch.inputs = std::move(m_inputs);
        m_inputs.clear();
        return batch;
    }
    const TickReport &step(TickEngine &engine) { return engine.step(take(engine.tick() + 1)); }

private:
    std::uint64_t m_seed;
    std::uint64_t m_nextId = 1;
    std::vector<Input> m_inputs;
};

inline CreateObject objectAt(
    int x, int y, std::string script = {}, std::string name = "thing", AccountId owner = 7)
{
    CreateObject c;
    c.owner = owner;
    c.name = std::move(name);
    c.position = vec(x, y);
    c.rotation = FQuat::identity();
    c.scale = vec(1, 1, 1);
    c.script = std::move(script);
    return c;
}

} // namespace metatopia::sim::test
