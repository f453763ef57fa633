// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

// Forced include for Lua's files, after every other one: locale-independent character classes.
// QCoreApplication calls setlocale(LC_ALL, ""), and in a single-byte locale (ISO-8859-x) glibc's
// isalpha/toupper/... classify bytes >= 128 differently than in C or UTF-8 locales. Lua's string
// library (%a, %l, %u, string.upper, string.lower) and tonumber(s, base) call them, so two
// replicas started under different locales could compute different states. Here every class is
// plain ASCII whatever the locale. This must come after all C++ standard headers: <locale>
// declares two-argument isalpha(c, loc) templates that these macros would break.

#include <ctype.h>

namespace metatopia::script::ascii {
constexpr bool isUpper(int c) { return c >= 'A' && c <= 'Z'; }
constexpr bool isLower(int c) { return c >= 'a' && c <= 'z'; }
constexpr bool isDigit(int c) { return c >= '0' && c <= '9'; }
constexpr bool isAlpha(int c) { return isUpper(c) || isLower(c); }
constexpr bool isAlnum(int c) { return isAlpha(c) || isDigit(c); }
constexpr bool isXdigit(int c) { return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
constexpr bool isSpace(int c) { return c == ' ' || (c >= '\t' && c <= '\r'); }
constexpr bool isCntrl(int c) { return (c >= 0 && c < 32) || c == 127; }
constexpr bool isGraph(int c) { return c > 32 && c < 127; }
constexpr bool isPunct(int c) { return isGraph(c) && !isAlnum(c); }
constexpr int toUpper(int c) { return isLower(c) ? c - 'a' + 'A' : c; }
constexpr int toLower(int c) { return isUpper(c) ? c - 'A' + 'a' : c; }
} // namespace metatopia::script::ascii

#define isupper(c) (metatopia::script::ascii::isUpper(c))
#define islower(c) (metatopia::script::ascii::isLower(c))
#define isdigit(c) (metatopia::script::ascii::isDigit(c))
#define isalpha(c) (metatopia::script::ascii::isAlpha(c))
#define isalnum(c) (metatopia::script::ascii::isAlnum(c))
#define isxdigit(c) (metatopia::script::ascii::isXdigit(c))
#define isspace(c) (metatopia::script::ascii::isSpace(c))
#define iscntrl(c) (metatopia::script::ascii::isCntrl(c))
#define isgraph(c) (metatopia::script::ascii::isGraph(c))
#define ispunct(c) (metatopia::script::ascii::isPunct(c))
#define toupper(c) (metatopia::script::ascii::toUpper(c))
#define tolower(c) (metatopia::script::ascii::toLower(c))
