-- SPDX-FileCopyrightText: 2026 The Metatopia developers
-- SPDX-License-Identifier: AGPL-3.0-or-later
--
-- Garbage-collector corpus for the cross-compiler determinism test: lots of short-lived
-- tables, closures, strings and cycles, explicit collections and steps, and identities of
-- objects created after collections (which in stock Lua would expose reused addresses).

local function churn(n, seed)
    local keep = {}
    local x = seed
    for i = 1, n do
        x = (x * 1103515245 + 12345) % 2147483648
        local t = { i, tostring(x), { x % 97 } }
        t.self = t
        t.fn = function() return t[1] + x end
        if x % 11 == 0 then
            keep[#keep + 1] = t
        end
    end
    return keep, x
end

local kept = {}
for round = 1, 12 do
    local keep, x = churn(800, round)
    for _, t in ipairs(keep) do
        kept[#kept + 1] = t
    end
    if round % 3 == 0 then
        collectgarbage("collect")
    else
        collectgarbage("step")
    end
    print("round", round, #keep, x, collectgarbage("isrunning"))
end

-- Objects made after collections: their identities (tostring) and pairs order must not
-- depend on where the allocator put them.
local fresh = {}
for i = 1, 30 do
    fresh[{ n = i }] = string.rep("z", i)
end
local order = {}
for k, v in pairs(fresh) do
    order[#order + 1] = k.n .. ":" .. #v
end
print("fresh order", table.concat(order, " "))
print("fresh ids", tostring(kept[1]), tostring(kept[#kept]), tostring(next(fresh)))

-- Cycles between closures and tables that become garbage together.
for i = 1, 200 do
    local a, b = {}, {}
    a.other, b.other = b, a
    a.f = function() return b end
    b.f = function() return a end
end
collectgarbage()

-- A big tree built and dropped (binary-trees style).
local function tree(depth)
    if depth == 0 then
        return {}
    end
    return { tree(depth - 1), tree(depth - 1) }
end
local function check(t)
    if t[1] == nil then
        return 1
    end
    return 1 + check(t[1]) + check(t[2])
end
local total = 0
for d = 4, 10, 2 do
    local iterations = 1 << (10 - d + 2)
    local sum = 0
    for _ = 1, iterations do
        sum = sum + check(tree(d))
    end
    total = total + sum
    print("trees", d, iterations, sum)
end
local longLived = tree(8)
print("long lived", check(longLived), total)

-- String garbage: many temporary strings, some kept.
local strings = {}
for i = 1, 2000 do
    local str = string.format("%d-%s-%d", i, string.rep("q", i % 13), i * i)
    if i % 100 == 0 then
        strings[#strings + 1] = str
    end
end
collectgarbage("collect")
print("strings", #strings, table.concat(strings, ","))

survivors = { kept = kept, fresh = fresh, tree = longLived, strings = strings }
print("kept", #kept)
