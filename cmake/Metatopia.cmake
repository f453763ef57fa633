# SPDX-FileCopyrightText: 2026 The Metatopia developers
# SPDX-License-Identifier: AGPL-3.0-or-later
#
# One helper per kind of target. Folder CMakeLists only list sources and links.

include_guard(GLOBAL)

# Compile options every Metatopia target gets.
function(metatopia_target_defaults target)
    target_compile_options(${target} PRIVATE -Wall -Wextra)
    if(METATOPIA_WERROR)
        target_compile_options(${target} PRIVATE -Werror)
    endif()
    target_compile_definitions(${target} PRIVATE
        QT_NO_CAST_FROM_ASCII QT_NO_CAST_TO_ASCII QT_NO_URL_CAST_FROM_STRING
        QT_NO_NARROWING_CONVERSIONS_IN_CONNECT QT_USE_QSTRINGBUILDER)
    if(METATOPIA_SANITIZE)
        target_compile_options(${target} PRIVATE -fsanitize=address,undefined -fno-omit-frame-pointer
            -fno-sanitize-recover=undefined)
        target_link_options(${target} PRIVATE -fsanitize=address,undefined)
    endif()
endfunction()

# metatopia_add_library(<name> SOURCES ... [PUBLIC_LIBS ...] [PRIVATE_LIBS ...])
# Makes the static library metatopia_<name> with the alias Metatopia::<Name>. Includes are written
# from libs/ (#include "core/Fixed.h").
function(metatopia_add_library name)
    cmake_parse_arguments(ARG "" "" "SOURCES;PUBLIC_LIBS;PRIVATE_LIBS" ${ARGN})
    set(target metatopia_${name})
    add_library(${target} STATIC ${ARG_SOURCES})
    string(SUBSTRING ${name} 0 1 first)
    string(TOUPPER ${first} first)
    string(SUBSTRING ${name} 1 -1 rest)
    add_library(Metatopia::${first}${rest} ALIAS ${target})
    target_include_directories(${target} PUBLIC ${PROJECT_SOURCE_DIR}/libs ${PROJECT_BINARY_DIR}/libs)
    target_link_libraries(${target} PUBLIC ${ARG_PUBLIC_LIBS} PRIVATE ${ARG_PRIVATE_LIBS})
    set_target_properties(${target} PROPERTIES POSITION_INDEPENDENT_CODE ON)
    metatopia_target_defaults(${target})
endfunction()

# metatopia_add_app(<binary-name> SOURCES ... [LIBS ...])
function(metatopia_add_app name)
    cmake_parse_arguments(ARG "" "" "SOURCES;LIBS" ${ARGN})
    qt_add_executable(${name} ${ARG_SOURCES})
    target_link_libraries(${name} PRIVATE ${ARG_LIBS})
    metatopia_target_defaults(${name})
    install(TARGETS ${name} RUNTIME DESTINATION bin)
endfunction()

# metatopia_add_test(<name> SOURCES ... [LIBS ...] [LABELS ...] [TIMEOUT s] [ENVIRONMENT ...])
# One Qt Test executable per test file, registered with CTest. Tests get the paths of the
# built binaries as compile definitions so integration tests can start real processes.
function(metatopia_add_test name)
    cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;LIBS;LABELS;ENVIRONMENT" ${ARGN})
    set(target test_${name})
    qt_add_executable(${target} ${ARG_SOURCES})
    set_target_properties(${target} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/tests)
    target_link_libraries(${target} PRIVATE Qt6::Test ${ARG_LIBS})
    target_compile_definitions(${target} PRIVATE
        METATOPIA_BIN_DIR="${PROJECT_BINARY_DIR}/bin"
        METATOPIA_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
        METATOPIA_ARTIFACT_DIR="${PROJECT_BINARY_DIR}/artifacts")
    metatopia_target_defaults(${target})
    add_test(NAME ${name} COMMAND ${target})
    if(NOT ARG_TIMEOUT)
        set(ARG_TIMEOUT 300)
    endif()
    set_tests_properties(${name} PROPERTIES TIMEOUT ${ARG_TIMEOUT} LABELS "${ARG_LABELS}")
    if(ARG_ENVIRONMENT)
        set_tests_properties(${name} PROPERTIES ENVIRONMENT "${ARG_ENVIRONMENT}")
    endif()
endfunction()

# metatopia_add_bench(<area> SOURCES ... [LIBS ...])
# Benchmarks are built with everything but only run by `cmake --build build --target bench`.
function(metatopia_add_bench area)
    cmake_parse_arguments(ARG "" "" "SOURCES;LIBS" ${ARGN})
    set(target bench_${area})
    qt_add_executable(${target} ${ARG_SOURCES})
    set_target_properties(${target} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bench)
    target_link_libraries(${target} PRIVATE ${ARG_LIBS})
    target_compile_definitions(${target} PRIVATE
        METATOPIA_BIN_DIR="${PROJECT_BINARY_DIR}/bin"
        METATOPIA_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
    metatopia_target_defaults(${target})
    if(NOT TARGET bench)
        add_custom_target(bench COMMENT "Running all benchmarks")
    endif()
    add_custom_target(run_${target} COMMAND ${target} DEPENDS ${target} USES_TERMINAL)
    add_dependencies(bench run_${target})
endfunction()
