# SPDX-FileCopyrightText: 2026 The Metatopia developers
# SPDX-License-Identifier: AGPL-3.0-or-later
#
# cmake -DSOURCE_DIR=... -DBINARY_DIR=... -DC_COMPILER=... -DCXX_COMPILER=... -DTARGETS=a,b
#       -P BuildCrossTree.cmake
#
# The ctest fixture of the cross-compiler determinism tests: configures (once) and builds a
# second tree of this source with the other compiler, with only the targets whose output the
# tests compare. Release, no GUI, no -Werror (another compiler's warnings are not what this
# checks), and METATOPIA_CROSS_CHECK=OFF so that tree does not nest a third one.

foreach(var SOURCE_DIR BINARY_DIR C_COMPILER CXX_COMPILER TARGETS)
    if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
        message(FATAL_ERROR "BuildCrossTree.cmake needs -D${var}=...")
    endif()
endforeach()
string(REPLACE "," ";" TARGETS "${TARGETS}")

# Object files are shared through ccache with every other build dir of this source.
set(ENV{CCACHE_BASEDIR} "${SOURCE_DIR}")
set(ENV{CCACHE_NOHASHDIR} "true")
# The outer build's environment must not choose the compilers or flags of this one.
foreach(var CC CXX CFLAGS CXXFLAGS LDFLAGS)
    unset(ENV{${var}})
endforeach()

# Ninja re-runs CMake by itself when a CMakeLists changes, so configuring is needed only once
# (or again after a configuration that failed half-way).
if(NOT EXISTS "${BINARY_DIR}/build.ninja")
    message(STATUS "Configuring ${BINARY_DIR} with ${CXX_COMPILER}")
    execute_process(
        COMMAND ${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${BINARY_DIR} -G Ninja
            -DCMAKE_BUILD_TYPE=Release
            -DCMAKE_C_COMPILER=${C_COMPILER}
            -DCMAKE_CXX_COMPILER=${CXX_COMPILER}
            -DMETATOPIA_GUI=OFF
            -DMETATOPIA_WERROR=OFF
            -DMETATOPIA_SANITIZE=OFF
            -DMETATOPIA_CROSS_CHECK=OFF
        RESULT_VARIABLE rc)
    if(NOT rc EQUAL 0)
        file(REMOVE "${BINARY_DIR}/build.ninja")
        message(FATAL_ERROR "Configuring the ${CXX_COMPILER} tree ${BINARY_DIR} failed (${rc})")
    endif()
endif()

string(TIMESTAMP started "%s")
execute_process(
    COMMAND ${CMAKE_COMMAND} --build ${BINARY_DIR} -j2 --target ${TARGETS}
    RESULT_VARIABLE rc)
string(TIMESTAMP finished "%s")
math(EXPR seconds "${finished} - ${started}")
if(NOT rc EQUAL 0)
    message(FATAL_ERROR "Building ${TARGETS} with ${CXX_COMPILER} in ${BINARY_DIR} failed (${rc})")
endif()
message(STATUS "Built ${TARGETS} with ${CXX_COMPILER} in ${seconds} s")
