-- SPDX-FileCopyrightText: 2026 The Metatopia developers
-- SPDX-License-Identifier: AGPL-3.0-or-later
--
-- Coroutine corpus for the cross-compiler determinism test: generators, pipelines, yields
-- across pcall and metamethods, errors, close, and coroutines left suspended at exit so the
-- VM-state hash covers their stacks.

local function gen(n, step)
    return coroutine.wrap(function()
        local x = 0
        for i = 1, n do
            x = x + step
            coroutine.yield(i, x)
        end
        return "done"
    end)
end

local g = gen(8, 0.375)
local out = {}
for _ = 1, 9 do
    local i, x = g()
    out[#out + 1] = tostring(i) .. "/" .. tostring(x)
end
print("generator", table.concat(out, " "))

-- Producer / filter / consumer pipeline.
local function producer()
    return coroutine.create(function()
        for i = 1, 40 do
            coroutine.yield(i * i % 37)
        end
    end)
end
local function filter(src)
    return coroutine.create(function()
        while true do
            local ok, v = coroutine.resume(src)
            if not ok or v == nil then
                return
            end
            if v % 2 == 1 then
                coroutine.yield(v * 1.5)
            end
        end
    end)
end
local f = filter(producer())
out = {}
while true do
    local ok, v = coroutine.resume(f)
    if not ok or v == nil then
        break
    end
    out[#out + 1] = tostring(v)
end
print("pipeline", table.concat(out, " "), coroutine.status(f))

-- Yield across pcall and through a metamethod and an iterator.
local co = coroutine.create(function(a)
    local ok, err = pcall(function()
        local b = coroutine.yield(a + 1)
        error("boom " .. b)
    end)
    local t = setmetatable({}, { __index = function(_, k) return coroutine.yield("index " .. k) end })
    local v = t.foo
    for w in string.gmatch("one two three", "%a+") do
        coroutine.yield(w .. v)
    end
    return ok, err
end)
out = {}
local value = 10
for _ = 1, 8 do
    local ok, a, b = coroutine.resume(co, value)
    out[#out + 1] = tostring(ok) .. ":" .. tostring(a) .. ":" .. tostring(b)
    value = value + 1
end
print("yield across", table.concat(out, " | "))

-- Errors inside coroutines, status, isyieldable, running, close.
local bad = coroutine.create(function() local x = nil; return x.y end)
print("error", coroutine.resume(bad))
print("status", coroutine.status(bad), coroutine.isyieldable(), select(2, coroutine.running()))
local closable = coroutine.create(function()
    local c <close> = setmetatable({}, { __close = function() print("closed inside coroutine") end })
    coroutine.yield(1)
end)
coroutine.resume(closable)
print("close", coroutine.close(closable), coroutine.status(closable))
print("wrap error", pcall(coroutine.wrap(function() error({ code = 7 }) end)))

-- Many coroutines interleaved round-robin (a small scheduler), with deterministic float work.
local tasks = {}
for i = 1, 25 do
    tasks[i] = coroutine.create(function()
        local acc = i / 7
        for step = 1, i % 6 + 2 do
            acc = acc * 1.1 + math.sin(acc)
            coroutine.yield(acc)
        end
        return acc
    end)
end
local rounds, finished, trace = 0, 0, {}
while finished < #tasks and rounds < 100 do
    rounds = rounds + 1
    for i, t in ipairs(tasks) do
        if coroutine.status(t) == "suspended" then
            local _, v = coroutine.resume(t)
            if coroutine.status(t) == "dead" then
                finished = finished + 1
                trace[#trace + 1] = i .. "=" .. tostring(v)
            end
        end
    end
end
print("scheduler", rounds, table.concat(trace, " "))

-- Suspended coroutines kept in globals: their stacks are part of the VM state.
parked = {}
for i = 1, 5 do
    local c = coroutine.create(function(x)
        local local1, local2 = x * 2, "s" .. x
        while true do
            x = coroutine.yield(local1, local2) or x
        end
    end)
    coroutine.resume(c, i + 0.25)
    parked[i] = c
end
print("parked", #parked, coroutine.status(parked[1]))
