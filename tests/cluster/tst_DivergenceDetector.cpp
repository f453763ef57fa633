// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "cluster/DivergenceDetector.h"

#include <QTest>

using namespace metatopia::cluster;

class TestDivergenceDetector : public QObject
{
    Q_OBJECT

private slots:
    void agreeingReplicasAreQuiet()
    {
        DivergenceDetector detector({ 1, 2, 3 });
        for (quint64 tick = 1; tick <= 100; ++tick) {
            for (quint64 replica : { 3, 1, 2 })
                QVERIFY(detector.report(tick, replica, tick * 31).empty());
        }
        QCOMPARE(detector.divergenceCount(), quint64(0));
        QCOMPARE(detector.trackedTicks(), size_t(0)); // fully reported ticks are forgotten
    }

    void dissenterAfterMajorityIsFlagged()
    {
        DivergenceDetector detector({ 1, 2, 3 });
        QVERIFY(detector.report(5, 1, 0xaa).empty());
        QVERIFY(detector.report(5, 2, 0xaa).empty()); // majority reached: 0xaa
        const auto flagged = detector.report(5, 3, 0xbb);
        QCOMPARE(flagged.size(), size_t(1));
        QCOMPARE(flagged[0], (Divergence { 5, 3, 0xbb, 0xaa, false }));
        QVERIFY(detector.hasDiverged(3));
        QCOMPARE(detector.divergedReplicas().at(3), quint64(5));
        QCOMPARE(detector.divergenceCount(), quint64(1));
    }

    void dissenterBeforeMajorityIsFlaggedWhenMajorityArrives()
    {
        DivergenceDetector detector({ 1, 2, 3, 4, 5 });
        QVERIFY(detector.report(9, 4, 0x1).empty()); // the odd one reports first
        QVERIFY(detector.report(9, 1, 0x2).empty());
        QVERIFY(detector.report(9, 2, 0x2).empty());
        const auto flagged = detector.report(9, 3, 0x2); // 3 of 5 agree
        QCOMPARE(flagged.size(), size_t(1));
        QCOMPARE(flagged[0].replica, quint64(4));
        QCOMPARE(flagged[0].majorityHash, quint64(0x2));
        QVERIFY(detector.report(9, 5, 0x2).empty());
        QVERIFY(!detector.hasDiverged(1));
    }

    void noMajorityFlagsEveryone()
    {
        DivergenceDetector detector({ 1, 2, 3 });
        QVERIFY(detector.report(1, 1, 10).empty());
        QVERIFY(detector.report(1, 2, 20).empty());
        const auto flagged = detector.report(1, 3, 30);
        QCOMPARE(flagged.size(), size_t(3));
        for (const Divergence &d : flagged)
            QVERIFY(d.noMajority);
    }

    void contradictingOwnReportIsFlagged()
    {
        DivergenceDetector detector({ 1, 2, 3 });
        detector.report(2, 1, 7);
        QVERIFY(detector.report(2, 1, 7).empty());
        const auto flagged = detector.report(2, 1, 8);
        QCOMPARE(flagged.size(), size_t(1));
        QCOMPARE(flagged[0].replica, quint64(1));
    }

    void unknownReplicasAndOldTicksAreIgnored()
    {
        DivergenceDetector detector({ 1, 2, 3 }, 16);
        QVERIFY(detector.report(1, 9, 1).empty());
        // A dead replica never reports: its undecided ticks are dropped after the window.
        for (quint64 tick = 1; tick <= 100; ++tick) {
            detector.report(tick, 1, tick);
            detector.report(tick, 2, tick);
        }
        QVERIFY(detector.trackedTicks() <= 16);
        QVERIFY(detector.report(3, 3, 12345).empty()); // too old to judge
        QCOMPARE(detector.divergenceCount(), quint64(0));
        // After a resync the flag can be cleared; membership can change.
        detector.report(100, 3, 1);
        QVERIFY(detector.hasDiverged(3));
        detector.clear(3);
        QVERIFY(!detector.hasDiverged(3));
        detector.setReplicas({ 1, 2, 3, 4, 4 });
        QCOMPARE(detector.replicas().size(), size_t(4));
    }
};

QTEST_GUILESS_MAIN(TestDivergenceDetector)
#include "tst_DivergenceDetector.moc"
