// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "core/StateHash.h"

#include <QTest>

#include <algorithm>
#include <map>
#include <random>

using namespace metatopia;
using namespace metatopia::literals;

class StateHashTest : public QObject
{
    Q_OBJECT

private slots:
    void contentHashDependsOnValuesOnly()
    {
        const auto h = [](Fixed f, FVec3 v, const QString &s) {
            return ContentHasher().add(f).add(v).add(s).finish();
        };
        const FVec3 v{1_fix, 2_fix, 3_fix};
        QCOMPARE(h(1.5_fix, v, QStringLiteral("door")), h(1.5_fix, v, QStringLiteral("door")));
        QVERIFY(h(1.5_fix, v, QStringLiteral("door")) != h(1.5_fix + Fixed::epsilon(), v, QStringLiteral("door")));
        QVERIFY(h(1.5_fix, v, QStringLiteral("door")) != h(1.5_fix, FVec3{1_fix, 3_fix, 2_fix}, QStringLiteral("door")));
        QVERIFY(h(1.5_fix, v, QStringLiteral("door")) != h(1.5_fix, v, QStringLiteral("Door")));
        // Length prefixes keep field boundaries.
        QVERIFY(ContentHasher().add("ab").add("c").finish() != ContentHasher().add("a").add("bc").finish());
        // QString and its UTF-8 bytes hash alike; quaternions and ids are plain values.
        QCOMPARE(ContentHasher().add(QStringLiteral("é")).finish(), ContentHasher().add(QByteArray("\xc3\xa9")).finish());
        QCOMPARE(ContentHasher().add(FQuat::identity()).finish(),
                 ContentHasher().add(1_fix).add(0_fix).add(0_fix).add(0_fix).finish());
        QCOMPARE(ContentHasher().add(ObjectId(5)).finish(), ContentHasher().add(std::uint64_t(5)).finish());
    }

    void orderIndependentAndIncremental()
    {
        std::mt19937_64 rng(3);
        std::map<std::uint64_t, std::uint64_t> objects;
        for (int i = 0; i < 2000; ++i)
            objects[rng() % 100000 + 1] = rng();

        StateHash forward;
        for (const auto &[id, content] : objects)
            forward.insert(ObjectId(id), content);
        std::vector<std::pair<std::uint64_t, std::uint64_t>> shuffled(objects.begin(), objects.end());
        std::shuffle(shuffled.begin(), shuffled.end(), rng);
        StateHash backward;
        for (const auto &[id, content] : shuffled)
            backward.insert(ObjectId(id), content);
        QCOMPARE(forward.value(), backward.value());
        QCOMPARE(forward.count(), std::uint64_t(objects.size()));

        // Apply a delta incrementally and compare with a rebuild from scratch.
        StateHash incremental = forward;
        int changed = 0;
        for (auto &[id, content] : objects) {
            if (rng() % 10 == 0) {
                const std::uint64_t next = rng();
                incremental.update(ObjectId(id), content, next);
                content = next;
                ++changed;
            }
        }
        QVERIFY(changed > 0);
        const auto erased = objects.begin();
        incremental.erase(ObjectId(erased->first), erased->second);
        objects.erase(erased);
        incremental.insert(ObjectId(424242424), 7);
        objects[424242424] = 7;
        StateHash rebuilt;
        for (const auto &[id, content] : objects)
            rebuilt.insert(ObjectId(id), content);
        QCOMPARE(incremental.value(), rebuilt.value());
        QVERIFY(incremental.value() != forward.value());
    }

    void sensitiveToEachPart()
    {
        StateHash a;
        a.insert(ObjectId(1), 10);
        StateHash b;
        b.insert(ScriptId(1), 10); // same number, other id space
        StateHash c;
        c.insert(ObjectId(2), 10);
        StateHash d;
        d.insert(ObjectId(1), 11);
        QVERIFY(a.value() != b.value());
        QVERIFY(a.value() != c.value());
        QVERIFY(a.value() != d.value());
        StateHash empty;
        StateHash emptied = a;
        emptied.erase(ObjectId(1), 10);
        QCOMPARE(emptied.value(), empty.value());
        // Swapping contents between two ids changes the hash.
        StateHash e;
        e.insert(ObjectId(1), 10);
        e.insert(ObjectId(2), 20);
        StateHash f;
        f.insert(ObjectId(1), 20);
        f.insert(ObjectId(2), 10);
        QVERIFY(e.value() != f.value());
    }
};

QTEST_APPLESS_MAIN(StateHashTest)
#include "StateHashTest.moc"
