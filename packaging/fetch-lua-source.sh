#!/usr/bin/env bash
# SPDX-FileCopyrightText: 2026 The Metatopia developers
# SPDX-License-Identifier: AGPL-3.0-or-later
#
# Fetches Lua 5.4's source from Debian's source package into a cache outside the repo, verifies the
# orig tarball against the .dsc's Checksums-Sha256 and extracts it. Metatopia never commits Lua's
# code; it compiles these sources with its own configuration (libs/script).
#
# Usage: fetch-lua-source.sh <cache-dir>
# Prints the extracted source directory (the one holding src/lua.h) on the last line of stdout.
# Uses a private apt configuration (its own sources list, lists and cache under <cache-dir>), so
# it needs no root and leaves the system's apt state alone. Does nothing when already verified.
set -euo pipefail

cache=${1:?usage: fetch-lua-source.sh <cache-dir>}
package=lua5.4
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)
stamp="$cache/verified"

if [[ -f $stamp ]]; then
  src=$(cat "$stamp")
  if [[ -f $src/src/lua.h && -f $src/src/lvm.c ]]; then
    echo "$src"
    exit 0
  fi
fi

apt="$cache/apt"
mkdir -p "$apt/lists/partial" "$apt/archives/partial" "$apt/parts" "$apt/prefs.d" "$apt/download"
echo "deb-src http://deb.debian.org/debian bookworm main" >"$apt/sources.list"
: >"$apt/status"
opts=(
  -o "Dir::Etc::SourceList=$apt/sources.list"
  -o "Dir::Etc::SourceParts=$apt/parts"
  -o "Dir::Etc::PreferencesParts=$apt/prefs.d"
  -o "Dir::State::Lists=$apt/lists"
  -o "Dir::State::status=$apt/status"
  -o "Dir::Cache=$apt"
  -o "Dir::Cache::archives=$apt/archives"
  -o "Debug::NoLocking=1"
  -o "APT::Sandbox::User=$(id -un)"
)

apt-get "${opts[@]}" -qq update >&2
(cd "$apt/download" && apt-get "${opts[@]}" -qq source --download-only "$package" >&2)

dsc=$(ls "$apt/download"/${package}_*.dsc | sort | tail -n 1)
orig=$(ls "$apt/download"/${package}_*.orig.tar.* | sort | tail -n 1)
name=$(basename "$orig")
# The Checksums-Sha256 field lists " <sha256> <size> <file>" lines until the next field.
expected=$(awk -v f="$name" '
  /^Checksums-Sha256:/ { on = 1; next }
  /^[^ ]/ { on = 0 }
  on && $3 == f { print $1 }' "$dsc")
actual=$(sha256sum "$orig" | cut -d' ' -f1)
if [[ -z $expected || $expected != "$actual" ]]; then
  echo "fetch-lua-source: checksum mismatch for $name (dsc: '${expected}', file: '${actual}')" >&2
  exit 1
fi

out="$cache/source"
rm -rf "$out"
mkdir -p "$out"
tar -xf "$orig" -C "$out"
src=$(dirname "$(dirname "$(ls "$out"/*/src/lua.h | head -n 1)")")
[[ -f $src/src/lvm.c ]] || { echo "fetch-lua-source: no Lua sources in $name" >&2; exit 1; }
echo "$src" >"$stamp"
echo "$src"
