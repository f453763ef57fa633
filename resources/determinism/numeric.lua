-- SPDX-FileCopyrightText: 2026 The Metatopia developers
-- SPDX-License-Identifier: AGPL-3.0-or-later
--
-- Numeric corpus for the cross-compiler determinism test: every line it prints must be the same
-- in a gcc and a clang build. Covers the Fixed arithmetic the compilers could disagree on
-- (rounding of products and quotients, the integer-only trig/exp/log/sqrt, formatting, parsing).

-- n-body: five bodies, a few hundred steps of symplectic Euler.
local bodies = {
    { x = 0, y = 0, z = 0, vx = 0, vy = 0, vz = 0, m = 39.47 },
    { x = 4.84, y = -1.16, z = -0.10, vx = 0.606, vy = 2.81, vz = -0.02, m = 0.037 },
    { x = 8.34, y = 4.12, z = -0.40, vx = -1.01, vy = 1.82, vz = 0.008, m = 0.011 },
    { x = 12.89, y = -15.11, z = -0.22, vx = 1.08, vy = 0.868, vz = -0.01, m = 0.0017 },
    { x = 15.37, y = -25.91, z = 0.179, vx = 0.979, vy = 0.594, vz = -0.034, m = 0.002 },
}

local function advance(dt)
    local n = #bodies
    for i = 1, n do
        local bi = bodies[i]
        for j = i + 1, n do
            local bj = bodies[j]
            local dx, dy, dz = bi.x - bj.x, bi.y - bj.y, bi.z - bj.z
            local d2 = dx * dx + dy * dy + dz * dz
            local mag = dt / (d2 * math.sqrt(d2))
            bi.vx = bi.vx - dx * bj.m * mag
            bi.vy = bi.vy - dy * bj.m * mag
            bi.vz = bi.vz - dz * bj.m * mag
            bj.vx = bj.vx + dx * bi.m * mag
            bj.vy = bj.vy + dy * bi.m * mag
            bj.vz = bj.vz + dz * bi.m * mag
        end
    end
    for i = 1, n do
        local b = bodies[i]
        b.x = b.x + dt * b.vx
        b.y = b.y + dt * b.vy
        b.z = b.z + dt * b.vz
    end
end

local function energy()
    local e = 0
    for i, b in ipairs(bodies) do
        e = e + 0.5 * b.m * (b.vx * b.vx + b.vy * b.vy + b.vz * b.vz)
        for j = i + 1, #bodies do
            local c = bodies[j]
            local dx, dy, dz = b.x - c.x, b.y - c.y, b.z - c.z
            e = e - b.m * c.m / math.sqrt(dx * dx + dy * dy + dz * dz)
        end
    end
    return e
end

print("nbody energy before", energy())
for step = 1, 400 do
    advance(0.01)
    if step % 100 == 0 then
        print("nbody", step, energy(), bodies[2].x, bodies[2].y, bodies[5].vz)
    end
end

-- The transcendental functions over a sweep of arguments, printed exactly.
for i = -40, 40 do
    local x = i * 0.173
    local ax = math.abs(x)
    print(string.format("fn %4d %s %s %s %s %s %s %s", i, math.sin(x), math.cos(x),
        math.atan(x), math.atan(x, 1.5 - x), math.exp(x / 4), math.sqrt(ax),
        ax > 0 and math.log(ax) or "-"))
end
for i = 1, 30 do
    local x = i / 31
    print("inv", x, math.asin(x), math.acos(-x), math.tan(x), math.log(x * 1000, 10), math.log(x, 2))
end
for _, p in ipairs({ { 2, 0.5 }, { 10, 1.5 }, { 1.0001, 9000 }, { 0.5, -3 }, { 3, 7 }, { 7.25, 2 } }) do
    print("pow", p[1], p[2], p[1] ^ p[2])
end

-- Exact bits: the sweep above uses tidy arguments and prints ten digits, so a function that is
-- one unit in the last place off for a few inputs could hide there. Here each function gets
-- 1500 arguments with arbitrary low bits, and a digest of every result's exact hex form
-- (%a) is printed per function.
local lcg = 987654321
local function nextArg(range)
    lcg = (lcg * 6364136223846793005 + 1442695040888963407) & 0x7fffffffffffffff
    local hi = (lcg >> 40) % range
    local mid = ((lcg >> 20) & 0xffff) / 65536
    local lo = (lcg & 0xffff) / 65536 / 65536
    return hi + mid + lo
end
local function digest(h, v)
    local str = string.format("%a", v)
    for i = 1, #str do
        h = (h * 31 + str:byte(i)) & 0xffffffffffff
    end
    return h
end
local exactFunctions = {
    { "sqrt", math.sqrt, 100000 }, { "sin", math.sin, 100 }, { "cos", math.cos, 100 },
    { "tan", function(x) return math.tan(x % 1.5) end, 2 }, { "atan", math.atan, 1000 },
    { "atan2", function(x) return math.atan(x - 50, 50.5 - x) end, 100 },
    { "asin", function(x) return math.asin(x % 1) end, 1 }, { "acos", function(x) return math.acos(-(x % 1)) end, 1 },
    { "exp", function(x) return math.exp(x - 10) end, 30 },
    { "log", function(x) return math.log(x + 2 ^ -20) end, 100000 },
    { "log10", function(x) return math.log(x + 1, 10) end, 100000 },
    { "pow", function(x) return (x + 0.5) ^ 1.37 end, 1000 },
    { "div", function(x) return 1000 / (x + 0.001) end, 10000 },
    { "mul", function(x) return x * 0.7071067811865476 * x end, 30000 },
}
for _, f in ipairs(exactFunctions) do
    local h = 0
    for _ = 1, 1500 do
        h = digest(h, f[2](nextArg(f[3])))
    end
    print("bits", f[1], string.format("%012x", h))
end

-- Division, floor division and modulo with every sign, on integers and floats.
for _, a in ipairs({ 7, -7, 7.5, -7.5, 1, 0.3 }) do
    for _, b in ipairs({ 2, -2, 0.75, -0.75, 3 }) do
        print("div", a, b, a / b, a // b, a % b, math.fmod(a, b))
    end
end
print("ints", math.maxinteger, math.mininteger, math.maxinteger // -7, math.mininteger % 3,
    7 // 0.5, 1 << 62, -1 >> 1, 0x7fffffff * 3, math.ult(1, -1))
print("floor/ceil", math.floor(-3.5), math.ceil(-3.5), math.floor(3.999999), math.ceil(2.0000001),
    math.tointeger(3.0), math.tointeger(3.5), math.modf(-4.75))
print("min/max", math.min(3, 1.5, -2), math.max(-1, 2.25, 2), math.pi, -math.pi, math.huge)

-- Accumulated rounding: sums and products that round on every step.
local s, p = 0, 1
for i = 1, 2000 do
    s = s + 1 / i
    p = p * (1 + 1 / (i + 1000))
end
print("harmonic", s, "product", p)

-- string.format of fixed numbers.
local values = { 0, 0.1, -0.1, 1 / 3, 2 / 3, 123.456, -99999.875, 1e-9, 2147483647.5, 0.5, 1.5, 2.5 }
for _, v in ipairs(values) do
    print(string.format("fmt [%f] [%.0f] [%.3f] [%10.4f] [%-10.2f] [%e] [%.2e] [%g] [%.10g] [%a] [%q]",
        v, v, v, v, v, v, v, v, v, v, v))
end
print(string.format("fmt ints [%d] [%5d] [%-5d] [%x] [%X] [%o] [%i] [%q]", 42, -42, 7, 255, 3054, 8, 9,
    math.mininteger))

-- tostring/tonumber round trips.
local trips = 0
local x = 0.000000001
for i = 1, 300 do
    x = x * 1.07 + i / 997
    local str = tostring(x)
    local back = tonumber(str)
    if back ~= x then
        print("round trip broken", str)
    end
    trips = trips + 1
    if i % 30 == 0 then
        print("trip", i, str, math.type(back))
    end
end
print("trips", trips)
for _, str in ipairs({ "0.1", "1e3", "1E-3", "0x10", "0x1p4", "0x.8", "  12  ", "3.", ".5", "-0",
    "123456789012", "1e2000", "abc", "0x7fffffffffffffff", "2147483647.9999999999" }) do
    local ok, v = pcall(tonumber, str)
    print("tonumber", string.format("%q", str), ok, v, ok and math.type(v) or "-")
end

-- Seeded pseudo-random numbers.
math.randomseed(12345)
local r = {}
for i = 1, 20 do
    r[#r + 1] = math.random(1, 1000)
end
print("random ints", table.concat(r, " "))
print("random floats", math.random(), math.random(), math.random(7))

-- Leave state behind so the VM-state hash covers numbers too.
result = { energy = energy(), harmonic = s, product = p, last = x, random = r }
