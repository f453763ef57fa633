// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "raynet/Simulator.h"

#include <QElapsedTimer>
#include <QTest>

using namespace metatopia::raynet;

// Greedy routing after convergence: every lookup must end at the true closest node (issue 7:
// 100% of 10,000 random targets at N = 10^4 in 2-D and 3-D). The overlay is built by the protocol
// alone: 10^4 joins over 20 s of simulated time, then 15 s of gossip.
class RoutingTest : public QObject
{
    Q_OBJECT

private:
    void route(int dims, std::size_t n)
    {
        QElapsedTimer timer;
        timer.start();
        SimConfig cfg;
        cfg.seed = 7 + std::uint64_t(dims);
        cfg.node.space.dimensions = dims;
        Simulator sim(cfg);
        sim.populate(n, 20.0);
        sim.runFor(20.0 + 15.0);
        const double built = timer.elapsed() / 1000.0;

        const LookupStats stats = sim.runLookups(10000);
        qInfo("%dD N=%zu: built+converged in %.1f s (%llu msgs), lookups %llu/%llu correct, "
              "hops mean %.2f p99 %u, neighbours %.2f, long links %.2f",
            dims, n, built, (unsigned long long)sim.messagesSent(),
            (unsigned long long)stats.correct, (unsigned long long)stats.issued, stats.meanHops(),
            stats.percentileHops(99), sim.meanNeighbours(), sim.meanLongLinks());
        for (const auto &miss : stats.misses)
            qInfo("miss: %s", sim.explainMiss(miss).c_str());
        QCOMPARE(stats.issued, std::uint64_t(10000));
        QCOMPARE(stats.completed, stats.issued);
        QCOMPARE(stats.correct, stats.issued);
    }

private slots:
    void routes2d() { route(2, 10000); }
    void routes3d() { route(3, 10000); }
};

QTEST_GUILESS_MAIN(RoutingTest)
#include "RoutingTest.moc"
