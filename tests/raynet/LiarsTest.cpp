// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "raynet/Simulator.h"

#include <QTest>

using namespace metatopia::raynet;

// 10% of the nodes poison their gossip (NaN/inf/out-of-space coordinates, oversized views,
// real nodes claimed to sit next to the receiver, phantom nodes). The honest nodes reject all of
// it, keep only first-hand positions, and routing stays exact.
class LiarsTest : public QObject
{
    Q_OBJECT

    void liars(int dims, std::size_t n)
    {
        SimConfig cfg;
        cfg.seed = 4242 + std::uint64_t(dims);
        cfg.node.space.dimensions = dims;
        Simulator sim(cfg);
        sim.populate(n, 10.0, 0.10);
        sim.runFor(30.0);

        std::size_t liars = 0;
        std::uint64_t rejected = 0;
        for (PeerId id = 1; sim.node(id); ++id)
            liars += sim.isLiar(id) ? 1 : 0;
        for (PeerId id : sim.liveNodes()) {
            const Node *node = sim.node(id);
            rejected += node->stats().rejectedMessages;
            // Every position an honest node uses is the peer's own (no forged or phantom entry).
            for (const auto &[nid, nb] : node->neighbours()) {
                QVERIFY2(sim.node(nid), "phantom neighbour");
                QVERIFY2(
                    nb.descriptor.coords == sim.node(nid)->descriptor().coords, "forged position");
            }
            for (const Descriptor &l : node->longLinks()) {
                QVERIFY2(sim.node(l.id), "phantom long link");
                QVERIFY2(l.coords == sim.node(l.id)->descriptor().coords, "forged long link");
            }
        }
        QVERIFY(liars >= n / 20);
        QVERIFY(rejected > 0);
        const LookupStats stats = sim.runLookups(10000);
        qInfo("%dD N=%zu with %zu liars: %llu messages rejected by honest nodes, lookups "
              "%llu/%llu correct, mean hops %.2f",
            dims, n, liars, (unsigned long long)rejected, (unsigned long long)stats.correct,
            (unsigned long long)stats.issued, stats.meanHops());
        for (std::size_t i = 0; i < stats.misses.size() && i < 8; ++i)
            qInfo("miss: %s (liars: answerer %d, expected %d)",
                sim.explainMiss(stats.misses[i]).c_str(), int(sim.isLiar(stats.misses[i].answered)),
                int(sim.isLiar(stats.misses[i].expected)));
        QCOMPARE(stats.correct, stats.issued);
    }

private slots:
    void liars2d() { liars(2, 3000); }
    void liars3d() { liars(3, 2000); }
};

QTEST_GUILESS_MAIN(LiarsTest)
#include "LiarsTest.moc"
