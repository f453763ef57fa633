// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// RayNet overlay figures (issue 7): greedy hops (mean, p99) for N = 10^3, 10^4, 10^5 in 2-D and
// 3-D, routing success, neighbours and long links per node, messages per join, and the
// simulator's wall time. Prints BENCH lines on stdout, a table on stderr, and with --svg <file>
// writes the hops-vs-N plot.
//
//   bench_raynet [--min N] [--max N] [--dims 2|3] [--svg docs/raynet-hops.svg]
//   bench_raynet --plot-from bench-output.txt --svg docs/raynet-hops.svg   (replot saved BENCH
//   lines)

#include "raynet/Simulator.h"

#include <QFile>
#include <QString>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

using namespace metatopia::raynet;

namespace {

struct Row
{
    int dims = 2;
    std::size_t n = 0;
    double meanHops = 0.0;
    std::uint32_t p99Hops = 0;
    double success = 0.0;
    double neighbours = 0.0;
    double longLinks = 0.0;
    double messagesPerJoin = 0.0;
    double wallSeconds = 0.0;
    double cpuSeconds = 0.0; // the machine is shared: CPU time says more than wall time
    double eventsPerSecond = 0.0;
};

void bench(const char *name, double value, const char *unit, const char *target = nullptr)
{
    std::printf("BENCH raynet.%s value=%.6g unit=%s%s%s\n", name, value, unit,
        target ? " target=" : "", target ? target : "");
    std::fflush(stdout);
}

Row measure(int dims, std::size_t n)
{
    Row row;
    row.dims = dims;
    row.n = n;
    SimConfig cfg;
    cfg.seed = 20261125 + std::uint64_t(dims) * 1000 + n;
    cfg.node.space.dimensions = dims;
    Simulator sim(cfg);
    const auto t0 = std::chrono::steady_clock::now();
    const std::clock_t c0 = std::clock();
    // The protocol builds the overlay: n joins over 20 s of simulated time, 15 s of gossip.
    sim.populate(n, 20.0);
    sim.runFor(35.0);
    const auto t1 = std::chrono::steady_clock::now();
    row.wallSeconds = std::chrono::duration<double>(t1 - t0).count();
    row.cpuSeconds = double(std::clock() - c0) / CLOCKS_PER_SEC;
    row.eventsPerSecond = double(sim.eventsProcessed()) / row.wallSeconds;

    const LookupStats stats = sim.runLookups(10000);
    row.meanHops = stats.meanHops();
    row.p99Hops = stats.percentileHops(99);
    row.success = 100.0 * stats.successRate();
    row.neighbours = sim.meanNeighbours();
    row.longLinks = sim.meanLongLinks();

    // 200 newcomers into the converged overlay, one every 50 ms.
    sim.trackJoins(true, 2.0);
    for (int i = 0; i < 200; ++i)
        sim.addNode(sim.randomPoint(), sim.now() + 0.05 * i);
    sim.trackJoins(false);
    sim.runFor(10.0 + 3.0);
    row.messagesPerJoin = double(sim.trackedJoinMessages()) / double(sim.trackedJoins());

    std::fprintf(stderr,
        "%dD N=%-6zu hops mean %5.2f p99 %3u  success %7.3f%%  neighbours %5.2f  long "
        "links %4.2f  msgs/join %6.1f  build+converge %7.1f s (%.0f events/s)\n",
        dims, n, row.meanHops, row.p99Hops, row.success, row.neighbours, row.longLinks,
        row.messagesPerJoin, row.wallSeconds, row.eventsPerSecond);
    return row;
}

QString svgPlot(const std::vector<Row> &rows)
{
    // Hops against log10(N): mean solid, p99 dashed, one colour per dimension.
    const double w = 640, h = 400, left = 60, right = 150, top = 30, bottom = 50;
    double maxHops = 1;
    for (const Row &r : rows)
        maxHops = std::max(maxHops, double(r.p99Hops));
    maxHops = std::ceil(maxHops / 5.0) * 5.0;
    auto x = [&](double n) { return left + (std::log10(n) - 3.0) / 2.0 * (w - left - right); };
    auto y = [&](double hops) { return h - bottom - hops / maxHops * (h - top - bottom); };
    QString s;
    s += QStringLiteral("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%1\" height=\"%2\" "
                        "font-family=\"sans-serif\" font-size=\"12\">\n")
             .arg(w)
             .arg(h);
    s += QStringLiteral("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
    s += QStringLiteral("<text x=\"%1\" y=\"18\" font-size=\"14\">RayNet greedy routing: hops vs "
                        "N (10,000 lookups each)</text>\n")
             .arg(left);
    for (double t = 0; t <= maxHops; t += 5) {
        s += QStringLiteral("<line x1=\"%1\" y1=\"%2\" x2=\"%3\" y2=\"%2\" stroke=\"#ddd\"/>"
                            "<text x=\"%4\" y=\"%5\" text-anchor=\"end\">%6</text>\n")
                 .arg(left)
                 .arg(y(t))
                 .arg(w - right)
                 .arg(left - 6)
                 .arg(y(t) + 4)
                 .arg(t);
    }
    for (double n : { 1e3, 1e4, 1e5 }) {
        s += QStringLiteral("<line x1=\"%1\" y1=\"%2\" x2=\"%1\" y2=\"%3\" stroke=\"#ddd\"/>"
                            "<text x=\"%1\" y=\"%4\" text-anchor=\"middle\">%5</text>\n")
                 .arg(x(n))
                 .arg(top)
                 .arg(h - bottom)
                 .arg(h - bottom + 18)
                 .arg(QString::number(n, 'g', 6));
    }
    s += QStringLiteral(
        "<text x=\"%1\" y=\"%2\" text-anchor=\"middle\">N (nodes, log scale)</text>\n")
             .arg((left + w - right) / 2)
             .arg(h - 12);
    s += QStringLiteral("<text x=\"16\" y=\"%1\" transform=\"rotate(-90 16 %1)\" "
                        "text-anchor=\"middle\">hops</text>\n")
             .arg((top + h - bottom) / 2);
    struct Series
    {
        int dims;
        bool p99;
        const char *colour;
        const char *label;
    };
    const Series series[]
        = { { 2, false, "#1f77b4", "2-D mean" }, { 2, true, "#1f77b4", "2-D p99" },
              { 3, false, "#d62728", "3-D mean" }, { 3, true, "#d62728", "3-D p99" } };
    int legend = 0;
    for (const Series &se : series) {
        QString points;
        for (const Row &r : rows) {
            if (r.dims != se.dims)
                continue;
            const double v = se.p99 ? double(r.p99Hops) : r.meanHops;
            points += QStringLiteral("%1,%2 ").arg(x(double(r.n))).arg(y(v));
            s += QStringLiteral("<circle cx=\"%1\" cy=\"%2\" r=\"3\" fill=\"%3\"/>\n")
                     .arg(x(double(r.n)))
                     .arg(y(v))
                     .arg(QLatin1String(se.colour));
        }
        const QString dash = se.p99 ? QStringLiteral(" stroke-dasharray=\"6 4\"") : QString();
        s += QStringLiteral(
            "<polyline points=\"%1\" fill=\"none\" stroke=\"%2\" stroke-width=\"2\"%3/>\n")
                 .arg(points.trimmed(), QLatin1String(se.colour), dash);
        const double ly = top + 20 + 20 * legend++;
        s += QStringLiteral("<line x1=\"%1\" y1=\"%2\" x2=\"%3\" y2=\"%2\" stroke=\"%4\" "
                            "stroke-width=\"2\"%5/><text x=\"%6\" y=\"%7\">%8</text>\n")
                 .arg(w - right + 12)
                 .arg(ly)
                 .arg(w - right + 42)
                 .arg(QLatin1String(se.colour), dash)
                 .arg(w - right + 48)
                 .arg(ly + 4)
                 .arg(QLatin1String(se.label));
    }
    s += QStringLiteral("</svg>\n");
    return s;
}

} // namespace

int main(int argc, char **argv)
{
    std::size_t minN = 0;
    std::size_t maxN = 100000;
    const char *svgPath = nullptr;
    const char *plotFrom = nullptr;
    int onlyDims = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (std::strcmp(argv[i], "--min") == 0)
            minN = std::size_t(std::stoull(argv[i + 1]));
        else if (std::strcmp(argv[i], "--max") == 0)
            maxN = std::size_t(std::stoull(argv[i + 1]));
        else if (std::strcmp(argv[i], "--dims") == 0)
            onlyDims = std::atoi(argv[i + 1]);
        else if (std::strcmp(argv[i], "--plot-from") == 0)
            plotFrom = argv[i + 1];
        else if (std::strcmp(argv[i], "--svg") == 0)
            svgPath = argv[i + 1];
    }
    std::vector<Row> rows;
    if (plotFrom) {
        // Rebuild the rows from saved BENCH lines: "BENCH raynet.hops_mean_2d_n1000 value=5.07
        // ...".
        QFile in(QString::fromLocal8Bit(plotFrom));
        if (!in.open(QIODevice::ReadOnly)) {
            std::fprintf(stderr, "cannot read %s\n", plotFrom);
            return 1;
        }
        while (!in.atEnd()) {
            const QByteArray line = in.readLine();
            int dims = 0;
            unsigned long long n = 0;
            double value = 0.0;
            char kind[8] = {};
            if (std::sscanf(line.constData(), "BENCH raynet.hops_%4[a-z0-9]_%dd_n%llu value=%lf",
                    kind, &dims, &n, &value)
                != 4)
                continue;
            auto it = std::find_if(
                rows.begin(), rows.end(), [&](const Row &r) { return r.dims == dims && r.n == n; });
            if (it == rows.end()) {
                rows.push_back(Row { dims, std::size_t(n) });
                it = rows.end() - 1;
            }
            if (std::strcmp(kind, "mean") == 0)
                it->meanHops = value;
            else if (std::strcmp(kind, "p99") == 0)
                it->p99Hops = std::uint32_t(value);
        }
        maxN = 0; // measure nothing
    }
    for (int dims : { 2, 3 }) {
        for (std::size_t n : { std::size_t(1000), std::size_t(10000), std::size_t(100000) }) {
            if (n < minN || n > maxN || (onlyDims && dims != onlyDims))
                continue;
            const Row r = measure(dims, n);
            rows.push_back(r);
            const std::string tag = std::to_string(dims) + "d_n" + std::to_string(n);
            bench(("hops_mean_" + tag).c_str(), r.meanHops, "hops");
            bench(("hops_p99_" + tag).c_str(), r.p99Hops, "hops");
            bench(("success_" + tag).c_str(), r.success, "%", n == 10000 ? "value>=100" : nullptr);
            bench(("neighbours_" + tag).c_str(), r.neighbours, "nodes");
            bench(("long_links_" + tag).c_str(), r.longLinks, "nodes");
            bench(("messages_per_join_" + tag).c_str(), r.messagesPerJoin, "messages");
            bench(("sim_wall_" + tag).c_str(), r.wallSeconds, "s");
            bench(("sim_cpu_" + tag).c_str(), r.cpuSeconds, "s");
        }
    }
    if (svgPath) {
        QFile f(QString::fromLocal8Bit(svgPath));
        if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
            std::fprintf(stderr, "cannot write %s\n", svgPath);
            return 1;
        }
        f.write(svgPlot(rows).toUtf8());
    }
    return 0;
}
