#!/usr/bin/env bash
# SPDX-FileCopyrightText: 2026 The Metatopia developers
# SPDX-License-Identifier: AGPL-3.0-or-later
#
# The main job: a local world and an app connected to it. metatopia-manager runs the world (the
# chat server and a lockstep sim of 3 replicas, each a metatopia-server process) and shows it in
# its window; a metatopia-chat window connects to the world's chat. With no display the manager
# runs the same world headless, prints how to connect and a status line per replica.
set -euo pipefail
bin=${1:?usage: run-main.sh <bin-dir>}
port=${METATOPIA_PORT:-7777}
args=(--bin-dir "$bin" --base-port "$port")
if [ -n "${METATOPIA_DATA_DIR:-}" ]; then
    args+=(--world-dir "$METATOPIA_DATA_DIR")
fi

if [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
    echo "No display found: the world runs headless. Press Ctrl-C to stop it."
    exec "$bin/metatopia-manager" --headless "${args[@]}"
fi

"$bin/metatopia-manager" "${args[@]}" &
manager=$!
chat=()
trap 'kill "${chat[@]}" 2>/dev/null || true; kill "$manager" 2>/dev/null || true; wait' EXIT INT TERM
# The chat window retries with backoff until the manager's chat server listens, so no wait here.
# A second window lets a new user register two accounts and talk between them at once.
for _ in $(seq 1 "${METATOPIA_CHAT_WINDOWS:-1}"); do
    "$bin/metatopia-chat" --host 127.0.0.1 --port "$port" &
    chat+=($!)
done
wait "$manager" || true
