#!/usr/bin/env bash
# SPDX-FileCopyrightText: 2026 The Metatopia developers
# SPDX-License-Identifier: AGPL-3.0-or-later
#
# The main job: a local world and an app connected to it. Until the manager and the 3D client
# exist, the world is a metatopia-server with the chat role and the app is metatopia-chat.
# With no display the server runs headless in the foreground and this says how to connect.
set -euo pipefail
bin=${1:?usage: run-main.sh <bin-dir>}
data=${METATOPIA_DATA_DIR:-${XDG_DATA_HOME:-$HOME/.local/share}/metatopia/world}
port=${METATOPIA_PORT:-7777}
mkdir -p "$data"

log="$data/server.log"
"$bin/metatopia-server" --role chat --data-dir "$data" --listen 127.0.0.1 --port "$port" \
    >"$data/server.out" 2>"$log" &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true' EXIT INT TERM

# Wait (bounded) for the server to say it listens.
for _ in $(seq 1 200); do
    if grep -q '^LISTENING' "$data/server.out" 2>/dev/null; then break; fi
    if ! kill -0 "$server" 2>/dev/null; then
        echo "metatopia-server failed to start; its log ($log):" >&2
        cat "$log" >&2
        exit 1
    fi
    sleep 0.1
done
listening=$(grep -m1 '^LISTENING' "$data/server.out" || true)
[ -n "$listening" ] || { echo "metatopia-server did not start listening; see $log" >&2; exit 1; }
echo "Metatopia world running: $listening (data in $data, log in $log)"

if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
    # Two chat windows, so a new user can register two accounts and talk between them at once.
    windows=${METATOPIA_CHAT_WINDOWS:-2}
    others=()
    for i in $(seq 2 "$windows"); do
        "$bin/metatopia-chat" --host 127.0.0.1 --port "$port" --data-dir "$data/chat-client" &
        others+=($!)
    done
    "$bin/metatopia-chat" --host 127.0.0.1 --port "$port" --data-dir "$data/chat-client" || true
    kill "${others[@]}" 2>/dev/null || true
else
    cat <<MSG
No display found, so the world runs headless. Connect to it from a desktop with:
    metatopia-chat --host <this machine> --port $port
(or over SSH: ssh -L $port:127.0.0.1:$port <this machine>, then --host 127.0.0.1).
Accounts are created from the chat app's Register button. Press Ctrl-C to stop the server.
MSG
    wait "$server"
fi
