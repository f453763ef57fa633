// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

// BusyWorld: a recorded input log for a busy region: scripted objects that chat, move, time and
// rez/derez children, and avatars that walk, talk and touch. Used by the determinism tests, the
// sim_replay tool and the sim benchmark. The log is generated once from a seed and then replayed
// verbatim; the sim never sees the generator's random numbers, only the batches.

#include "sim/Input.h"

#include <QString>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace metatopia::sim::test {

struct BusyWorldOptions
{
    int objects = 2000;
    int avatars = 20;
    std::uint64_t ticks = 300;
    std::uint64_t seed = 1;
};

// The script every busy object runs.
std::string busyObjectScript();

std::vector<TickBatch> generateBusyWorld(const BusyWorldOptions &options);

// Input log files: a sequence of length-prefixed encoded batches.
bool writeInputLog(const QString &path, const std::vector<TickBatch> &batches);
std::optional<std::vector<TickBatch>> readInputLog(const QString &path, std::string *error);

} // namespace metatopia::sim::test
