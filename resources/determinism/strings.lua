-- SPDX-FileCopyrightText: 2026 The Metatopia developers
-- SPDX-License-Identifier: AGPL-3.0-or-later
--
-- String corpus for the cross-compiler determinism test: building, patterns, gsub with tables
-- and functions, formatting, byte/char/utf8, and hashing of many strings (table order).

local parts = {}
for i = 1, 500 do
    parts[#parts + 1] = string.format("%03d:%s", i % 997, string.char(65 + i % 26))
end
local big = table.concat(parts, ";")
print("built", #big, big:sub(1, 60), big:sub(-40))

local s = ""
for i = 1, 200 do
    s = s .. tostring(i * 0.5) .. (i % 10 == 0 and "\n" or ",")
end
print("concat", #s, s:sub(1, 50):gsub("\n", "|"))

print("rep", ("ab"):rep(5, "-"), ("x"):rep(0), #("xyz"):rep(1000))
print("case", string.upper("Metatopia ßé"), string.lower("ABC def"), ("hello"):reverse())
print("byte", string.byte("Lua 5.4", 1, -1))
print("char", string.char(77, 101, 116, 97))
print("find", string.find("the quick brown fox", "q(u)(i)"), string.find("a.b.c", ".", 1, true),
    string.find("abc", "x"))
print("match", string.match("key = value # comment", "^(%w+)%s*=%s*(%w+)"),
    string.match("2026-11-25T21:56:12", "(%d+)-(%d+)-(%d+)T(%d+):(%d+)"))
local words = {}
for w in string.gmatch("The rain in Spain stays mainly in the plain", "%a*ain%a*") do
    words[#words + 1] = w
end
print("gmatch", table.concat(words, ","))
print("gsub", string.gsub("hello world from lua", "(%w+)", "<%1>"))
print("gsub fn", string.gsub("1 2 3 4.5 -6", "%-?[%d%.]+", function(n) return tostring(tonumber(n) * 1.5) end))
print("gsub table", string.gsub("$name is $age years", "%$(%w+)", { name = "Ada", age = 36 }))
print("gsub limit", string.gsub("aaaaa", "a", "b", 3))
print("balanced", string.match("f(a(b)c)d", "%b()"), string.find("THE (quick) fox", "%f[%a]%a+", 5))
print("format", string.format("%5s|%-5s|%.2s|%q|%c%c", "ab", "cd", "xyz", "line\n\"q\"\0end", 72, 105))
print("format widths", string.format("%+d %+.3f % d %05d %5.1f %-8.3e %#x %#o", 5, 2.5, 3, -42, 9.96, 1234.5, 255, 8))

-- UTF-8.
local text = "Grüße, 世界! ✓"
print("utf8", utf8.len(text), utf8.char(72, 228, 8364, 128512), utf8.codepoint(text, 1, 4))
local cps = {}
for p, c in utf8.codes(text) do
    cps[#cps + 1] = p .. ":" .. c
end
print("codes", table.concat(cps, " "), utf8.offset(text, 5), utf8.charpattern)

-- Many distinct strings as keys: the iteration order depends on the string hash (fixed seed).
local dict, count = {}, 0
for i = 1, 400 do
    local key = string.format("%x-%s", i * 2654435761 % 4294967296, string.rep(string.char(97 + i % 26), i % 5))
    dict[key] = i
end
local order = {}
for k, v in pairs(dict) do
    count = count + 1
    if count <= 40 then
        order[#order + 1] = k .. "=" .. v
    end
end
print("dict", count, table.concat(order, " "))

-- Long strings (not interned) as keys and comparisons.
local long = {}
for i = 1, 30 do
    long[string.rep("long", 12) .. i] = i
end
order = {}
for k, v in pairs(long) do
    order[#order + 1] = v
end
print("long keys", table.concat(order, ","))
print("compare", "a" < "b", "abc" < "abd", "Z" < "a", "" < "a", "a\0b" < "a\0c")

-- tostring of every kind of value.
print("tostring", tostring(nil), tostring(true), tostring(12), tostring(-0.0), tostring(1e9),
    tostring(2^30 - 1), tostring(1 / 3), tostring(-123.000244140625))

buffer = big .. s
