// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

// bench_cluster's figures of the real sim role (metatopia-server --role sim, SimStateMachine):
// snapshot size and install time of a 10,000-scripted-object world, commit latency at 45 ticks/s
// and 1,000 actions/s with maximum actions/s, and failover over 20 leader kills.

namespace metatopia::cluster::bench {

// Each prints BENCH lines on stdout and details on stderr; false if it could not complete.
bool snapshotOfScriptedWorld();
bool simCommitLatency();
bool simFailover(int kills);

} // namespace metatopia::cluster::bench
