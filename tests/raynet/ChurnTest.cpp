// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "raynet/Simulator.h"

#include <QTest>

using namespace metatopia::raynet;

// Issue 7: with 10% of the nodes crashing (and as many joining) per minute of simulated time,
// at least 99% of greedy lookups still end at the true closest live node. The lookups run during
// the churn and each answer is checked against the overlay as it is when the answer arrives.
class ChurnTest : public QObject
{
    Q_OBJECT

    void churn(int dims, std::size_t n)
    {
        SimConfig cfg;
        cfg.seed = 1234 + std::uint64_t(dims);
        cfg.node.space.dimensions = dims;
        Simulator sim(cfg);
        sim.populate(n, 20.0);
        sim.runFor(35.0);
        const std::uint64_t before = sim.messagesSent();
        sim.scheduleChurn(0.10, 60.0);
        const LookupStats stats = sim.runLookups(10000, 60.0);
        qInfo("%dD N=%zu, 10%%/min churn: %llu/%llu correct (%.3f%%), %llu answered, mean hops "
              "%.2f, %llu delivery failures, %.1f msgs/node/s",
            dims, n, (unsigned long long)stats.correct, (unsigned long long)stats.issued,
            100.0 * stats.successRate(), (unsigned long long)stats.completed, stats.meanHops(),
            (unsigned long long)sim.deliveryFailures(),
            double(sim.messagesSent() - before) / double(n) / 60.0);
        QCOMPARE(stats.issued, std::uint64_t(10000));
        QVERIFY(stats.successRate() >= 0.99);
        // Everyone who crashed has been replaced.
        QVERIFY(sim.liveCount() >= n - n / 100);
    }

private slots:
    void churn2d() { churn(2, 10000); }
    void churn3d() { churn(3, 3000); }
};

QTEST_GUILESS_MAIN(ChurnTest)
#include "ChurnTest.moc"
