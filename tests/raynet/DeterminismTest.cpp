// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "raynet/Simulator.h"

#include <QCryptographicHash>
#include <QTest>

using namespace metatopia::raynet;

// Same seed, same run: joins, churn, liars, lookups and every node's tables are identical.
class DeterminismTest : public QObject
{
    Q_OBJECT

    static QByteArray run(std::uint64_t seed)
    {
        SimConfig cfg;
        cfg.seed = seed;
        cfg.node.space.dimensions = 3;
        Simulator sim(cfg);
        sim.populate(800, 8.0, 0.05);
        sim.runFor(15.0);
        sim.scheduleChurn(0.2, 20.0);
        const LookupStats stats = sim.runLookups(500, 20.0);
        QCryptographicHash h(QCryptographicHash::Sha256);
        auto add = [&](const auto &v) {
            h.addData(QByteArrayView(reinterpret_cast<const char *>(&v), sizeof v));
        };
        add(stats.correct);
        for (auto hop : stats.hops)
            add(hop);
        add(sim.messagesSent());
        add(sim.eventsProcessed());
        for (PeerId id : sim.liveNodes()) {
            const Node *n = sim.node(id);
            add(id);
            for (const auto &[nid, nb] : n->neighbours())
                add(nid);
            for (const Descriptor &l : n->longLinks())
                add(l.id);
            add(n->cellVolume());
        }
        qInfo("seed %llu: %llu messages, %llu/%llu lookups correct", (unsigned long long)seed,
            (unsigned long long)sim.messagesSent(), (unsigned long long)stats.correct,
            (unsigned long long)stats.issued);
        return h.result();
    }

private slots:
    void sameSeedSameRun()
    {
        const QByteArray a = run(5);
        const QByteArray b = run(5);
        QCOMPARE(a.toHex(), b.toHex());
        QVERIFY(run(6) != a);
    }
};

QTEST_GUILESS_MAIN(DeterminismTest)
#include "DeterminismTest.moc"
