// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "core/EventOrder.h"

#include <QTest>

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <unordered_set>

#include <xxhash.h>

using namespace metatopia;

namespace {

std::vector<Event> makeEvents(int n)
{
    std::vector<Event> events;
    for (int i = 1; i <= n; ++i) {
        Event e;
        e.id = EventId(std::uint64_t(i) * 1000 + 7);
        e.tick = 42;
        e.kind = QStringLiteral("touch");
        e.target = ObjectTargets{{ObjectId(9)}};
        events.push_back(e);
    }
    return events;
}

std::vector<EventId> idsOf(const std::vector<Event> &events)
{
    std::vector<EventId> ids;
    for (const Event &e : events)
        ids.push_back(e.id);
    return ids;
}

} // namespace

class EventOrderTest : public QObject
{
    Q_OBJECT

private slots:
    void idsAreStrongAndOrdered()
    {
        static_assert(!std::is_convertible_v<ObjectId, ScriptId>);
        static_assert(!std::is_convertible_v<std::uint64_t, ObjectId>);
        QVERIFY(ObjectId(1) < ObjectId(2));
        QVERIFY(!ObjectId().isValid());
        QVERIFY(ObjectId(3).isValid());
        std::set<ScriptId> ordered{ScriptId(5), ScriptId(1), ScriptId(3)};
        QCOMPARE(ordered.begin()->value(), std::uint64_t(1));
        std::unordered_set<AvatarId> hashed{AvatarId(1), AvatarId(2), AvatarId(1)};
        QCOMPARE(hashed.size(), std::size_t(2));
        QCOMPARE(qHash(AccountId(7)), qHash(AccountId(7)));
        QVERIFY(std::hash<EventId>()(EventId(1)) != std::hash<EventId>()(EventId(2)));
    }

    void independentOfArrivalOrder()
    {
        const auto events = makeEvents(50);
        auto reference = events;
        sortCanonical(reference, 77, 0xfeed);
        std::mt19937_64 rng(1);
        for (int i = 0; i < 50; ++i) {
            auto shuffled = events;
            std::shuffle(shuffled.begin(), shuffled.end(), rng);
            sortCanonical(shuffled, 77, 0xfeed);
            QCOMPARE(idsOf(shuffled), idsOf(reference));
        }
        // Sorting is a permutation: nothing lost or duplicated.
        auto a = idsOf(reference);
        auto b = idsOf(events);
        std::sort(a.begin(), a.end());
        std::sort(b.begin(), b.end());
        QCOMPARE(a, b);
    }

    void stableForSeedDifferentPerTargetAndTick()
    {
        const auto events = makeEvents(20);
        auto first = events;
        auto again = events;
        sortCanonical(first, 1, 100);
        sortCanonical(again, 1, 100);
        QCOMPARE(idsOf(first), idsOf(again));
        // Over many targets the orders differ (20! possibilities: a repeat would be a bug).
        std::set<std::vector<EventId>> orders;
        for (std::uint64_t target = 1; target <= 50; ++target) {
            auto e = events;
            sortCanonical(e, target, 100);
            orders.insert(idsOf(e));
        }
        QCOMPARE(orders.size(), std::size_t(50));
        auto otherTick = events;
        sortCanonical(otherTick, 1, 101);
        QVERIFY(idsOf(otherTick) != idsOf(first));
        // Not simply id order.
        QVERIFY(idsOf(first) != idsOf(events));
    }

    void positionsAreUnbiased()
    {
        // Each event lands first for roughly 1/n of the targets: the hash does not favour ids.
        const int n = 4;
        std::vector<EventId> ids = {EventId(1), EventId(2), EventId(3), EventId(4)};
        std::map<std::uint64_t, int> firsts;
        const int targets = 4000;
        for (int t = 1; t <= targets; ++t) {
            auto order = ids;
            sortCanonical(order, std::uint64_t(t), 5);
            ++firsts[order.front().value()];
        }
        for (const auto &[id, count] : firsts)
            QVERIFY2(std::abs(count - targets / n) < targets / n / 5, qPrintable(QString::number(id)));
    }

    void keyIsFixedAcrossBuilds()
    {
        // The key is part of the contract between replicas: it is XXH3 of the little-endian
        // bytes of (target, event id) seeded with the tick seed, on every architecture.
        const unsigned char bytes[16] = {0x22, 0x11, 0, 0, 0, 0, 0, 0, 0x44, 0x33, 0, 0, 0, 0, 0, 0};
        QCOMPARE(eventOrderKey(99, 0x1122, EventId(0x3344)), XXH3_64bits_withSeed(bytes, 16, 99));
        QVERIFY(eventOrderKey(1, 2, EventId(3)) != eventOrderKey(1, 3, EventId(2)));
        QVERIFY(eventOrderKey(1, 2, EventId(3)) != eventOrderKey(2, 2, EventId(3)));
    }
};

QTEST_APPLESS_MAIN(EventOrderTest)
#include "EventOrderTest.moc"
