#!/usr/bin/env bash
# SPDX-FileCopyrightText: 2026 The Metatopia developers
# SPDX-License-Identifier: AGPL-3.0-or-later
#
# Installs everything Metatopia needs to build, run and test on Debian 12 (bookworm), as root.
# Idempotent: packages already present are skipped by apt.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build ccache pkg-config git dpkg-dev clang
  # Qt 6.4
  qt6-base-dev qt6-base-dev-tools qt6-declarative-dev qt6-declarative-dev-tools
  qt6-quick3d-dev qt6-quick3d-dev-tools qt6-shadertools-dev qt6-charts-dev
  qt6-tools-dev qt6-tools-dev-tools qt6-l10n-tools libqt6sql6-sqlite libqt6opengl6-dev
  qml6-module-qtqml qml6-module-qtquick qml6-module-qtquick-controls qml6-module-qtquick-layouts
  qml6-module-qtquick-window qml6-module-qtquick-templates qml6-module-qtqml-workerscript
  qml6-module-qtquick-dialogs qml6-module-quick3d qml6-module-quick3d-helpers qml6-module-qtcharts qml6-module-qttest
  qml6-module-qt-labs-settings qml6-module-qtcore
  # engines and libraries
  libbullet-dev libraft-dev libuv1-dev libsodium-dev libxxhash-dev libssl-dev
  # stock Lua, the baseline of the script benchmarks
  lua5.4
  # partition tests (ip netns, veth, bridges)
  iproute2
  # headless GUI tests and screenshots
  xvfb xauth libgl1-mesa-dri fonts-dejavu-core
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y --no-install-recommends "${missing[@]}"
fi
