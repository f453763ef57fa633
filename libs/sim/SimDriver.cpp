// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "sim/SimDriver.h"

namespace metatopia::sim {

SimDriver::SimDriver(TickEngine &engine, InputSource &inputs, QObject *parent)
    : QObject(parent)
    , m_engine(engine)
    , m_inputs(inputs)
{
    m_timer.setTimerType(Qt::PreciseTimer);
    m_timer.setSingleShot(true);
    connect(&m_timer, &QTimer::timeout, this, &SimDriver::onTimer);
}

void SimDriver::start()
{
    m_origin = std::chrono::steady_clock::now();
    m_firstTick = m_engine.tick();
    m_timer.start(0);
}

void SimDriver::stop()
{
    m_timer.stop();
}

void SimDriver::onTimer()
{
    const std::uint64_t next = m_engine.tick() + 1;
    auto batch = m_inputs.batchFor(next);
    if (!batch) {
        // Not agreed yet: look again shortly instead of spinning; the ticks it held up count as
        // late when they run.
        m_timer.start(1);
        return;
    }
    m_engine.step(*batch);
    emit ticked(m_engine.tick(), m_engine.stateHash());
    // Deadlines are counted from the start, so a slow tick does not shift all later ones.
    const auto period = std::chrono::nanoseconds(1000000000LL / m_engine.region().tickRate);
    const auto deadline
        = m_origin + period * static_cast<std::int64_t>(m_engine.tick() + 1 - m_firstTick);
    const auto now = std::chrono::steady_clock::now();
    if (deadline <= now) {
        ++m_late;
        m_timer.start(0);
        return;
    }
    const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
    m_timer.start(int(wait.count()));
}

} // namespace metatopia::sim
