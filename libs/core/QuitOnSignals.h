// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

// Process plumbing the apps share: SIGTERM and SIGINT quit the Qt event loop, so a server or the
// manager shuts down cleanly (stops its children, flushes its databases) instead of dying mid-way.

class QCoreApplication;

namespace metatopia {

// Installs the handlers once per process. False if the self-pipe or sigaction failed.
bool quitOnTerminationSignals(QCoreApplication &app);

} // namespace metatopia
