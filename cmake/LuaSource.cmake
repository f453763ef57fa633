# SPDX-FileCopyrightText: 2026 The Metatopia developers
# SPDX-License-Identifier: AGPL-3.0-or-later
#
# Lua 5.4's sources, fetched at configure time from Debian's source package by
# packaging/fetch-lua-source.sh into a cache outside the repository (the repository never holds
# Lua's code). Sets METATOPIA_LUA_SOURCE_DIR to the directory holding src/lua.h.

include_guard(GLOBAL)

if(DEFINED ENV{XDG_CACHE_HOME} AND NOT "$ENV{XDG_CACHE_HOME}" STREQUAL "")
    set(_metatopia_cache_root "$ENV{XDG_CACHE_HOME}")
else()
    set(_metatopia_cache_root "$ENV{HOME}/.cache")
endif()
set(METATOPIA_LUA_CACHE "${_metatopia_cache_root}/metatopia/lua5.4" CACHE PATH
    "Where the Lua 5.4 source package is downloaded, verified and extracted")

execute_process(
    COMMAND ${PROJECT_SOURCE_DIR}/packaging/fetch-lua-source.sh ${METATOPIA_LUA_CACHE}
    OUTPUT_VARIABLE _metatopia_lua_out
    RESULT_VARIABLE _metatopia_lua_rc
    OUTPUT_STRIP_TRAILING_WHITESPACE)
if(NOT _metatopia_lua_rc EQUAL 0)
    message(FATAL_ERROR "Could not fetch Lua 5.4's source package (packaging/fetch-lua-source.sh "
        "${METATOPIA_LUA_CACHE} failed with ${_metatopia_lua_rc})")
endif()
string(REGEX REPLACE ".*\n" "" _metatopia_lua_dir "${_metatopia_lua_out}")
if(NOT EXISTS "${_metatopia_lua_dir}/src/lvm.c")
    message(FATAL_ERROR "fetch-lua-source.sh gave no Lua sources: '${_metatopia_lua_dir}'")
endif()
set(METATOPIA_LUA_SOURCE_DIR "${_metatopia_lua_dir}")
message(STATUS "Lua 5.4 sources: ${METATOPIA_LUA_SOURCE_DIR}")
