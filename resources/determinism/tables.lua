-- SPDX-FileCopyrightText: 2026 The Metatopia developers
-- SPDX-License-Identifier: AGPL-3.0-or-later
--
-- Table corpus for the cross-compiler determinism test: pairs() order over tables keyed by
-- tables, functions, coroutines, strings, integers, floats and booleans, with growth, deletion
-- and rehashing. In stock Lua that order follows addresses; here it must follow only what the
-- script did, so gcc and clang builds print the same lines.

local function keyName(k)
    local t = type(k)
    if t == "table" then
        return "table#" .. tostring(rawget(k, "id"))
    elseif t == "function" then
        return "function"
    elseif t == "thread" then
        return "thread"
    end
    return t .. ":" .. tostring(k)
end

local function dump(label, t)
    local parts = {}
    for k, v in pairs(t) do
        parts[#parts + 1] = keyName(k) .. "=" .. tostring(type(v) == "table" and rawget(v, "id") or v)
    end
    print(label, #parts, table.concat(parts, " "))
end

-- Tables keyed by tables.
local keys = {}
local byTable = {}
for i = 1, 60 do
    keys[i] = { id = i }
    byTable[keys[i]] = i * i
end
dump("by table", byTable)
for i = 1, 60, 3 do
    byTable[keys[i]] = nil
end
dump("by table after delete", byTable)
for i = 61, 140 do
    keys[i] = { id = i }
    byTable[keys[i]] = -i
end
dump("by table after growth", byTable)

-- Tables keyed by functions and coroutines, with identity printed the way tostring shows it.
local byFunction = {}
local functions = {}
for i = 1, 40 do
    local f = function() return i end
    functions[i] = f
    byFunction[f] = i
end
local order = {}
for f, i in pairs(byFunction) do
    order[#order + 1] = i .. "->" .. f()
end
print("by function", table.concat(order, " "))
local byThread = {}
for i = 1, 20 do
    byThread[coroutine.create(function() return i end)] = i
end
order = {}
for co, i in pairs(byThread) do
    local _, r = coroutine.resume(co)
    order[#order + 1] = i .. ":" .. r
end
print("by thread", table.concat(order, " "))
print("identities", tostring(keys[1]), tostring(keys[140]), tostring(functions[7]), tostring(print),
    string.format("%p", keys[2]))

-- Mixed keys in one table, including float keys and keys that normalise to integers.
local mixed = {}
for i = 1, 30 do
    mixed[i] = i
    mixed["s" .. i] = i
    mixed[i + 0.5] = i
    mixed[i * 1000003] = i
end
mixed[2.0] = "two"
mixed[true] = "yes"
mixed[false] = "no"
mixed[keys[5]] = "five"
mixed[functions[3]] = "f3"
dump("mixed", mixed)

-- String keys only: order follows the fixed string hash seed.
local words = {}
for i = 1, 200 do
    words[string.format("w%03d_%s", (i * 37) % 211, string.rep("x", i % 7))] = i
end
dump("words", words)

-- next() walks, removal of the current key while iterating, and re-adding.
local walk = {}
for i = 1, 50 do
    walk[{ id = i }] = i
end
local seen = 0
for k, v in pairs(walk) do
    seen = seen + 1
    if v % 2 == 0 then
        walk[k] = nil
    end
end
dump("walk after removal", walk)
print("seen", seen)

-- table library.
local arr = {}
for i = 1, 100 do
    arr[i] = (i * 7919) % 101 - 50
end
table.sort(arr)
print("sorted", table.concat(arr, ","))
table.sort(arr, function(a, b) return math.abs(a) > math.abs(b) or (math.abs(a) == math.abs(b) and a < b) end)
print("sorted by abs", table.concat(arr, ","))
table.insert(arr, 1, 999)
table.insert(arr, 500)
print("removed", table.remove(arr, 5), table.remove(arr), #arr)
print("moved", table.concat(table.move(arr, 1, 10, 3, {}), ",", 3, 12))
print("unpack", table.unpack({ 1, 2.5, "three", nil, 5 }, 1, 5))
print("pack", table.pack(1, nil, 3).n, select("#", nil, nil), select(-1, 1, 2, 3))

-- Metatables: __index chains, __newindex, __eq, __lt, __concat, __call, __len, __close.
local Vec = {}
Vec.__index = Vec
Vec.__add = function(a, b) return setmetatable({ x = a.x + b.x, y = a.y + b.y }, Vec) end
Vec.__eq = function(a, b) return a.x == b.x and a.y == b.y end
Vec.__lt = function(a, b) return a.x * a.x + a.y * a.y < b.x * b.x + b.y * b.y end
Vec.__tostring = function(v) return "(" .. v.x .. "," .. v.y .. ")" end
Vec.__concat = function(a, b) return tostring(a) .. tostring(b) end
Vec.__len = function(v) return math.sqrt(v.x * v.x + v.y * v.y) end
local a = setmetatable({ x = 1.25, y = -3 }, Vec)
local b = setmetatable({ x = 0.5, y = 2 }, Vec)
print("vec", tostring(a + b), a == b, a < b, b < a, a .. b, #a)
local log = {}
local proxy = setmetatable({}, { __newindex = function(t, k, v) log[#log + 1] = k; rawset(t, k, v) end })
for i = 1, 10 do
    proxy["k" .. i] = i
end
print("newindex", table.concat(log, " "))
do
    local closed = {}
    do
        local c1 <close> = setmetatable({}, { __close = function() closed[#closed + 1] = "c1" end })
        local c2 <close> = setmetatable({}, { __close = function() closed[#closed + 1] = "c2" end })
    end
    print("close order", table.concat(closed, " "))
end

-- Leave the keyed tables behind so the VM-state hash covers their layout.
state = { byTable = byTable, byFunction = byFunction, mixed = mixed, words = words, walk = walk }
