#!/usr/bin/env bash
# SPDX-FileCopyrightText: 2026 The Metatopia developers
# SPDX-License-Identifier: AGPL-3.0-or-later
#
# The main job: a local world and a 3D client in it. metatopia-manager runs the world (the chat
# server and a lockstep sim of 3 replicas, each a metatopia-server process; a new world is seeded
# with the example scripts) and shows it in its window; a metatopia-client window connects to it
# and keeps retrying until the world is up. METATOPIA_CHAT_WINDOWS=n adds n metatopia-chat
# windows (default 0). With no display the manager runs the same world headless, prints how to
# connect and a status line per replica.
set -euo pipefail
bin=${1:?usage: run-main.sh <bin-dir>}
port=${METATOPIA_PORT:-7777}
args=(--bin-dir "$bin" --base-port "$port")
if [ -n "${METATOPIA_DATA_DIR:-}" ]; then
    args+=(--world-dir "$METATOPIA_DATA_DIR")
fi
client=("$bin/metatopia-client" --host 127.0.0.1 --base-port "$port")

if [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
    echo "No display found: the world runs headless. Press Ctrl-C to stop it."
    echo "To enter it from a machine with a display: ${client[*]}"
    echo "(from another host: --host <this host> and --gateways host:$((port + 1)),host:$((port + 2)),host:$((port + 3)))"
    exec "$bin/metatopia-manager" --headless "${args[@]}"
fi

"$bin/metatopia-manager" "${args[@]}" &
manager=$!
apps=()
trap 'kill "${apps[@]}" 2>/dev/null || true; kill "$manager" 2>/dev/null || true; wait' EXIT INT TERM
# The client and chat windows retry with backoff until the manager's world listens: no wait here.
"${client[@]}" &
apps+=($!)
for _ in $(seq 1 "${METATOPIA_CHAT_WINDOWS:-0}"); do
    "$bin/metatopia-chat" --host 127.0.0.1 --port "$port" &
    apps+=($!)
done
wait "$manager" || true
