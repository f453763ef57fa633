// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

// SimDriver: runs a TickEngine live at the region's tick rate from an InputSource. The engine
// itself never looks at a clock (tests step it as fast as they like); this is the only place
// wall time decides *when* a tick runs, never *what* it computes.

#include "sim/TickEngine.h"

#include <QObject>
#include <QTimer>

#include <chrono>

namespace metatopia::sim {

class SimDriver final : public QObject
{
    Q_OBJECT

public:
    SimDriver(TickEngine &engine, InputSource &inputs, QObject *parent = nullptr);

    void start();
    void stop();
    bool running() const { return m_timer.isActive(); }
    // Ticks that started later than their deadline.
    quint64 lateTicks() const { return m_late; }

signals:
    void ticked(quint64 tick, quint64 hash);

private:
    void onTimer();

    TickEngine &m_engine;
    InputSource &m_inputs;
    QTimer m_timer;
    std::chrono::steady_clock::time_point m_origin;
    std::uint64_t m_firstTick = 0;
    quint64 m_late = 0;
};

} // namespace metatopia::sim
