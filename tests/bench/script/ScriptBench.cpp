// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// bench_script: the same Lua programs on stock Debian lua5.4 (a process, timed around the run)
// and on our fixed-point VM (in process), medians of 3 after a warm-up, plus memory overhead.
// Prints BENCH lines on stdout, a table on stderr.

#include "script/ScriptVm.h"

#include <QElapsedTimer>
#include <QProcess>
#include <QTemporaryDir>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

using namespace metatopia;

namespace {

struct Program
{
    const char *name;
    bool integerOnly;
    const char *source;
};

const Program programs[] = {
    {"nbody", false, R"lua(
local sqrt = math.sqrt
local PI = math.pi
local SOLAR_MASS = 4 * PI * PI
local DAYS = 365.24
local bodies = {
  {x=0,y=0,z=0,vx=0,vy=0,vz=0,mass=SOLAR_MASS},
  {x=4.84143144246472090,y=-1.16032004402742839,z=-0.103622044471123109,
   vx=0.00166007664274403694*DAYS,vy=0.00769901118419740425*DAYS,vz=-0.0000690460016972063023*DAYS,
   mass=0.000954791938424326609*SOLAR_MASS},
  {x=8.34336671824457987,y=4.12479856412430479,z=-0.403523417114321381,
   vx=-0.00276742510726862411*DAYS,vy=0.00499852801234917238*DAYS,vz=0.0000230417297573763929*DAYS,
   mass=0.000285885980666130812*SOLAR_MASS},
  {x=12.8943695621391310,y=-15.1111514016986312,z=-0.223307578892655734,
   vx=0.00296460137564761618*DAYS,vy=0.00237847173959480950*DAYS,vz=-0.0000296589568540237556*DAYS,
   mass=0.0000436624404335156298*SOLAR_MASS},
  {x=15.3796971148509165,y=-25.9193146099879641,z=0.179258772950371181,
   vx=0.00268067772490389322*DAYS,vy=0.00162824170038242295*DAYS,vz=-0.0000951592254519715870*DAYS,
   mass=0.0000515138902046611451*SOLAR_MASS},
}
local function advance(n, dt)
  for i = 1, n do
    local bi = bodies[i]
    local bix, biy, biz, bimass = bi.x, bi.y, bi.z, bi.mass
    local bivx, bivy, bivz = bi.vx, bi.vy, bi.vz
    for j = i + 1, n do
      local bj = bodies[j]
      local dx, dy, dz = bix - bj.x, biy - bj.y, biz - bj.z
      local d2 = dx*dx + dy*dy + dz*dz
      local mag = sqrt(d2)
      mag = dt / (mag * d2)
      local bm = bj.mass * mag
      bivx = bivx - (dx * bm); bivy = bivy - (dy * bm); bivz = bivz - (dz * bm)
      bm = bimass * mag
      bj.vx = bj.vx + (dx * bm); bj.vy = bj.vy + (dy * bm); bj.vz = bj.vz + (dz * bm)
    end
    bi.vx, bi.vy, bi.vz = bivx, bivy, bivz
    bi.x = bix + dt * bivx; bi.y = biy + dt * bivy; bi.z = biz + dt * bivz
  end
end
for i = 1, 60000 do advance(#bodies, 0.01) end
result = bodies[1].x
)lua"},
    {"spectral_norm", false, R"lua(
local function A(i, j) local ij = i + j - 1 return 1.0 / (ij * (ij - 1) * 0.5 + i) end
local function Av(x, y, N) for i = 1, N do local a = 0 for j = 1, N do a = a + x[j] * A(i, j) end y[i] = a end end
local function Atv(x, y, N) for i = 1, N do local a = 0 for j = 1, N do a = a + x[j] * A(j, i) end y[i] = a end end
local function AtAv(x, y, t, N) Av(x, t, N) Atv(t, y, N) end
local N = 120
local u, v, t = {}, {}, {}
for i = 1, N do u[i] = 1 end
for i = 1, 10 do AtAv(u, v, t, N) AtAv(v, u, t, N) end
local vBv, vv = 0, 0
for i = 1, N do local ui, vi = u[i], v[i] vBv = vBv + ui * vi vv = vv + vi * vi end
result = math.sqrt(vBv / vv)
)lua"},
    {"fannkuch", true, R"lua(
local function fannkuch(n)
  local p, q, s, sign, maxflips, sum = {}, {}, {}, 1, 0, 0
  for i = 1, n do p[i] = i; q[i] = i; s[i] = i end
  repeat
    local q1 = p[1]
    if q1 ~= 1 then
      for i = 2, n do q[i] = p[i] end
      local flips = 1
      while true do
        local qq = q[q1]
        if qq == 1 then sum = sum + sign * flips if flips > maxflips then maxflips = flips end break end
        q[q1] = q1
        if q1 >= 4 then local i, j = 2, q1 - 1 repeat q[i], q[j] = q[j], q[i]; i = i + 1; j = j - 1 until i >= j end
        q1 = qq; flips = flips + 1
      end
    end
    if sign == 1 then p[2], p[1] = p[1], p[2]; sign = -1
    else p[2], p[3] = p[3], p[2]; sign = 1
      for i = 3, n do
        local sx = s[i]
        if sx ~= 1 then s[i] = sx - 1; break end
        if i == n then return sum, maxflips end
        s[i] = i
        local t = p[1]; for j = 1, i do p[j] = p[j + 1] end; p[i + 1] = t
      end
    end
  until false
end
result = fannkuch(9)
)lua"},
    {"binary_trees", true, R"lua(
local function bottomUp(d) if d == 0 then return {} end d = d - 1 return {bottomUp(d), bottomUp(d)} end
local function check(t) if t[1] then return 1 + check(t[1]) + check(t[2]) end return 1 end
local maxdepth = 13
local long = bottomUp(maxdepth)
local total = 0
for depth = 4, maxdepth, 2 do
  local iters = 1 << (maxdepth - depth + 4)
  for i = 1, iters do total = total + check(bottomUp(depth)) end
end
result = total + check(long)
)lua"},
    {"string_building", true, R"lua(
local parts = {}
for i = 1, 120000 do parts[#parts + 1] = string.format("%d:%s;", i, ("x"):rep(i % 7)) end
local s = table.concat(parts)
local n = 0
for w in s:gmatch("(%d+):") do n = n + #w end
local u = s:sub(1, 20000):upper():gsub("X", "y")
result = n + #u
)lua"},
    {"table_heavy", true, R"lua(
local t = {}
for i = 1, 200000 do t["k" .. (i % 5000)] = (t["k" .. (i % 5000)] or 0) + i end
local arr = {}
for i = 1, 60000 do arr[i] = (i * 7919) % 10007 end
table.sort(arr)
local q = {}
for i = 1, 60000 do table.insert(q, i) end
for i = 1, 30000 do table.remove(q) end
local sum = 0
for k, v in pairs(t) do sum = sum + v end
for i, v in ipairs(arr) do sum = sum + v end
result = sum + #q
)lua"},
};

const char *const memoryProgram = R"lua(
data = {}
for i = 1, 20000 do data[i] = {id = i, name = "n" .. i, pos = {i, i * 2, i * 3}} end
)lua";

class NullHost final : public ScriptHost
{
public:
    std::vector<ScriptValue> call(std::string_view, std::span<const ScriptValue>) override { return {}; }
};

double median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

double runStock(const QString &file)
{
    QProcess p;
    QElapsedTimer timer;
    timer.start();
    p.start(QStringLiteral("/usr/bin/lua5.4"), {file});
    p.waitForFinished(600000);
    const double s = static_cast<double>(timer.nsecsElapsed()) / 1e9;
    if (p.exitCode() != 0)
        std::fprintf(stderr, "stock lua failed: %s\n", p.readAllStandardError().constData());
    return s;
}

ScriptLimits benchLimits()
{
    ScriptLimits limits;
    limits.instructionsPerCall = INT64_MAX / 4;
    limits.memoryBytes = std::size_t(1) << 30;
    limits.maxStringBytes = std::size_t(256) << 20;
    return limits;
}

double runOurs(const char *source)
{
    ScriptVm vm(benchLimits(), 1);
    NullHost host;
    QElapsedTimer timer;
    timer.start();
    if (auto error = vm.load(source, "bench", host))
        std::fprintf(stderr, "ours failed: %s\n", error->c_str());
    return static_cast<double>(timer.nsecsElapsed()) / 1e9;
}

} // namespace

int main()
{
    QTemporaryDir dir;
    double logSum = 0, logSumInt = 0;
    int count = 0, countInt = 0;
    std::fprintf(stderr, "%-16s %10s %10s %8s\n", "program", "stock s", "ours s", "ratio");
    for (const Program &p : programs) {
        const QString file = dir.filePath(QString::fromLatin1(p.name) + QStringLiteral(".lua"));
        std::ofstream(file.toStdString()) << p.source;
        runStock(file); // warm-up
        runOurs(p.source);
        std::vector<double> stock, ours;
        for (int i = 0; i < 3; ++i) {
            stock.push_back(runStock(file));
            ours.push_back(runOurs(p.source));
        }
        const double s = median(stock), o = median(ours), ratio = o / s;
        std::fprintf(stderr, "%-16s %10.3f %10.3f %8.3f\n", p.name, s, o, ratio);
        std::printf("BENCH script.%s value=%.4f unit=s baseline=%.4f ratio=%.3f target=ratio<=%s\n",
                    p.name, o, s, ratio, p.integerOnly ? "1.1" : "1.3");
        logSum += std::log(ratio);
        ++count;
        if (p.integerOnly) {
            logSumInt += std::log(ratio);
            ++countInt;
        }
    }
    std::printf("BENCH script.geomean value=%.3f unit=x target=value<=1.3\n", std::exp(logSum / count));
    std::printf("BENCH script.geomean_integer value=%.3f unit=x target=value<=1.1\n",
                std::exp(logSumInt / countInt));

    // Memory: the same data structure, live bytes after a full collection.
    const QString memFile = dir.filePath(QStringLiteral("memory.lua"));
    std::ofstream(memFile.toStdString())
        << memoryProgram << "\ncollectgarbage() collectgarbage()\nprint(collectgarbage('count') * 1024)\n";
    QProcess stock;
    stock.start(QStringLiteral("/usr/bin/lua5.4"), {memFile});
    stock.waitForFinished(60000);
    const double stockBytes = QString::fromUtf8(stock.readAllStandardOutput()).trimmed().toDouble();
    ScriptVm vm(benchLimits(), 1);
    NullHost host;
    vm.load(memoryProgram, "memory", host);
    vm.load("collectgarbage() collectgarbage()", "gc", host);
    const double oursBytes = static_cast<double>(vm.memoryUsed());
    std::fprintf(stderr, "memory: stock %.0f bytes, ours %.0f bytes\n", stockBytes, oursBytes);
    std::printf("BENCH script.memory value=%.0f unit=bytes baseline=%.0f ratio=%.3f\n", oursBytes,
                stockBytes, oursBytes / stockBytes);
    return 0;
}
