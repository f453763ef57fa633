// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "raynet/Simulator.h"

#include <QTest>

#include <algorithm>

using namespace metatopia::raynet;

// Join, polite leave, crashes, moving nodes and range queries on a converged overlay: after each
// disturbance the gossip repairs the cells and routing is exact again.
class RepairTest : public QObject
{
    Q_OBJECT

    std::unique_ptr<Simulator> m_sim;

    void expectExactRouting(const char *what, std::size_t lookups = 2000)
    {
        const LookupStats stats = m_sim->runLookups(lookups);
        qInfo("%s: %llu/%llu correct (%llu answered), mean hops %.2f, neighbours %.2f", what,
            (unsigned long long)stats.correct, (unsigned long long)stats.issued,
            (unsigned long long)stats.completed, stats.meanHops(), m_sim->meanNeighbours());
        for (const auto &miss : stats.misses)
            qInfo("miss: %s", m_sim->explainMiss(miss).c_str());
        QCOMPARE(stats.issued, std::uint64_t(lookups));
        QCOMPARE(stats.correct, stats.issued);
    }

    // No live node still lists a node that is gone.
    void expectNoDeadNeighbours()
    {
        for (PeerId id : m_sim->liveNodes())
            for (const auto &[nid, n] : m_sim->node(id)->neighbours())
                QVERIFY2(m_sim->alive(nid), "a dead neighbour survived the repair");
    }

private slots:
    void initTestCase()
    {
        SimConfig cfg;
        cfg.seed = 99;
        m_sim = std::make_unique<Simulator>(cfg);
        m_sim->populate(2000, 10.0);
        m_sim->runFor(25.0);
        expectExactRouting("converged");
    }

    void cellVolumesTileTheSpace()
    {
        double total = 0.0;
        for (PeerId id : m_sim->liveNodes())
            total += m_sim->node(id)->cellVolume();
        qInfo("sum of estimated cell volumes: %.4f", total);
        QVERIFY(std::abs(total - 1.0) < 0.05);
    }

    void join()
    {
        // Newcomers at random places and one squeezed between existing nodes.
        std::vector<PeerId> added;
        for (int i = 0; i < 50; ++i)
            added.push_back(m_sim->addNode(m_sim->randomPoint(), m_sim->now()));
        const Point near = m_sim->node(m_sim->liveNodes().front())->descriptor().coords;
        added.push_back(
            m_sim->addNode(Point { std::min(near[0] + 1e-4, 1.0), near[1], 0, 0 }, m_sim->now()));
        m_sim->runFor(10.0);
        for (PeerId id : added) {
            const Node *n = m_sim->node(id);
            QVERIFY(n->joined());
            QVERIFY(n->neighbours().size() >= 2);
            // Every neighbour learned about the newcomer as well.
            for (const auto &[nid, nb] : n->neighbours())
                QVERIFY(m_sim->node(nid)->neighbours().count(id));
            // A lookup of its own position ends at it.
            QCOMPARE(m_sim->trueClosest(n->descriptor().coords), id);
        }
        expectExactRouting("after 51 joins");
    }

    void leave()
    {
        std::vector<PeerId> live = m_sim->liveNodes();
        for (std::size_t i = 0; i < live.size(); i += 20)
            m_sim->leave(live[i]);
        m_sim->runFor(10.0);
        expectNoDeadNeighbours();
        expectExactRouting("after 5% polite leaves");
    }

    void crash()
    {
        std::vector<PeerId> live = m_sim->liveNodes();
        for (std::size_t i = 3; i < live.size(); i += 10)
            m_sim->crash(live[i]);
        m_sim->runFor(30.0);
        expectNoDeadNeighbours();
        expectExactRouting("after 10% crashes");
    }

    void move()
    {
        std::vector<PeerId> live = m_sim->liveNodes();
        for (std::size_t i = 0; i < live.size(); i += 25) {
            Point p = m_sim->node(live[i])->descriptor().coords;
            if (i % 50 == 0) {
                p = m_sim->randomPoint(); // far: leave + re-join
            } else {
                p[0] = std::clamp(p[0] + 0.003, 0.0, 1.0); // small: local repair
            }
            m_sim->move(live[i], p);
        }
        m_sim->runFor(20.0);
        for (std::size_t i = 0; i < live.size(); i += 25)
            QVERIFY(m_sim->node(live[i])->joined());
        for (PeerId id : m_sim->liveNodes()) {
            for (const auto &[nid, n] : m_sim->node(id)->neighbours())
                QVERIFY2(n.descriptor.coords == m_sim->node(nid)->descriptor().coords,
                    "a neighbour's position is stale after its move");
        }
        expectExactRouting("after moves");
    }

    void rangeQueries()
    {
        const std::vector<PeerId> live = m_sim->liveNodes();
        const Region regions[] = {
            Region::ball(Point { 0.5, 0.5, 0, 0 }, 0.05),
            Region::ball(Point { 0.02, 0.97, 0, 0 }, 0.1),
            Region::box(Point { 0.1, 0.2, 0, 0 }, Point { 0.3, 0.25, 0, 0 }),
            Region::box(Point { 0.0, 0.0, 0, 0 }, Point { 1.0, 0.01, 0, 0 }),
            Region::ball(Point { 0.7, 0.3, 0, 0 }, 0.0), // probably empty
        };
        int k = 0;
        for (const Region &r : regions) {
            const PeerId from = live[std::size_t(k++ * 97) % live.size()];
            const std::vector<PeerId> got = m_sim->rangeQuery(from, r);
            const std::vector<PeerId> want = m_sim->nodesIn(r);
            qInfo("range query %d: %zu nodes", k, want.size());
            QCOMPARE(got, want);
        }
    }
};

QTEST_GUILESS_MAIN(RepairTest)
#include "RepairTest.moc"
