#!/usr/bin/env bash
# SPDX-FileCopyrightText: 2026 The Metatopia developers
# SPDX-License-Identifier: AGPL-3.0-or-later
#
# The README's two commands.
#   dev.sh run   install what is needed, build, run the main job
#   dev.sh test  install what is needed, build, run every test
#   dev.sh test asan   the same with AddressSanitizer + UndefinedBehaviorSanitizer
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
mode=${1:-run}
preset=${2:-dev}

if [ "$(id -u)" = 0 ]; then
    bash packaging/install-deps.sh
else
    echo "Not root: skipping package installation (run packaging/install-deps.sh as root once)." >&2
fi

jobs=$(nproc)
# ccache keys on relative paths, so a second checkout (or a CI workspace at another path) reuses
# what an earlier build compiled.
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$top} CCACHE_NOHASHDIR=${CCACHE_NOHASHDIR:-true}
case "$mode" in
run)
    cmake --preset release >/dev/null
    cmake --build --preset release -j "$jobs" --target metatopia-server metatopia-manager metatopia-chat metatopia-client \
        metatopia-lua
    exec bash packaging/run-main.sh "$top/build/release/bin"
    ;;
test)
    case "$preset" in dev | asan) ;; *) echo "usage: $0 test [dev|asan]" >&2; exit 2 ;; esac
    cmake --preset "$preset"
    cmake --build --preset "$preset" -j "$jobs"
    cd "build/$preset"
    # GUI tests need a display: a private Xvfb server through xvfb-run.
    xvfb-run -a -s "-screen 0 1280x800x24" ctest --output-on-failure -j "$jobs" --timeout 600
    ;;
*)
    echo "usage: $0 run | test [dev|asan]" >&2
    exit 2
    ;;
esac
