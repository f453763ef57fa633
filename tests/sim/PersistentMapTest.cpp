// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "sim/PersistentMap.h"

#include <QTest>

#include <map>
#include <random>

using namespace metatopia::sim;

class PersistentMapTest : public QObject
{
    Q_OBJECT

private slots:
    void matchesStdMapUnderRandomChanges();
    void oldVersionsStayIntact();
    void sharesUntouchedSubtrees();
    void iteratesInKeyOrder();
};

using Map = PersistentMap<int>;

static std::vector<std::pair<std::uint64_t, int>> entries(const Map &map)
{
    std::vector<std::pair<std::uint64_t, int>> out;
    map.forEach([&](std::uint64_t key, const int &value) { out.emplace_back(key, value); });
    return out;
}

void PersistentMapTest::matchesStdMapUnderRandomChanges()
{
    std::mt19937_64 rng(42);
    Map map;
    std::map<std::uint64_t, int> reference;
    for (int round = 0; round < 300; ++round) {
        std::map<std::uint64_t, std::shared_ptr<const int>> batch;
        const int count = int(rng() % 40) + 1;
        for (int i = 0; i < count; ++i) {
            // Mostly dense ids (as the sim allocates them), some huge ones to force a tall trie.
            const std::uint64_t key = rng() % 8 == 0 ? rng() : rng() % 5000;
            if (rng() % 3 == 0) {
                batch[key] = nullptr;
                reference.erase(key);
            } else {
                const int value = int(rng() % 1000000);
                batch[key] = std::make_shared<const int>(value);
                reference[key] = value;
            }
        }
        std::vector<Map::Change> changes(batch.begin(), batch.end());
        map = map.withChanges(changes);
        QCOMPARE(map.size(), reference.size());
    }
    const auto got = entries(map);
    QCOMPARE(got.size(), reference.size());
    auto it = reference.begin();
    for (const auto &[key, value] : got) {
        QCOMPARE(key, it->first);
        QCOMPARE(value, it->second);
        QVERIFY(map.find(key) != nullptr);
        QCOMPARE(*map.find(key), value);
        ++it;
    }
    QVERIFY(map.find(123456789012345ULL) == nullptr || reference.count(123456789012345ULL));
}

void PersistentMapTest::oldVersionsStayIntact()
{
    Map v1
        = Map().with(1, std::make_shared<const int>(10)).with(2, std::make_shared<const int>(20));
    Map v2 = v1.with(1, std::make_shared<const int>(11))
                 .without(2)
                 .with(1ULL << 40, std::make_shared<const int>(40));
    QCOMPARE(*v1.find(1), 10);
    QCOMPARE(*v1.find(2), 20);
    QVERIFY(!v1.contains(1ULL << 40));
    QCOMPARE(v1.size(), std::size_t(2));
    QCOMPARE(*v2.find(1), 11);
    QVERIFY(!v2.contains(2));
    QCOMPARE(*v2.find(1ULL << 40), 40);
    QCOMPARE(v2.size(), std::size_t(2));
    const Map v3 = v2.without(1).without(1ULL << 40);
    QVERIFY(v3.empty());
    QCOMPARE(v3.size(), std::size_t(0));
}

void PersistentMapTest::sharesUntouchedSubtrees()
{
    std::vector<Map::Change> changes;
    for (std::uint64_t i = 0; i < 10000; ++i)
        changes.emplace_back(i, std::make_shared<const int>(int(i)));
    const Map big = Map().withChanges(changes);
    const auto valueBefore = big.get(5000);
    const Map changed = big.with(7, std::make_shared<const int>(-7));
    // The untouched value is the same object in both versions: nothing was deep-copied.
    QCOMPARE(changed.get(5000).get(), valueBefore.get());
    QCOMPARE(*changed.find(7), -7);
    QCOMPARE(*big.find(7), 7);
    QVERIFY(!changed.sharesRootWith(big));
    QVERIFY(big.withChanges({}).sharesRootWith(big));
}

void PersistentMapTest::iteratesInKeyOrder()
{
    std::vector<Map::Change> changes;
    for (std::uint64_t key : { 3ULL, 31ULL, 32ULL, 1024ULL, 99999ULL, 1ULL << 62 })
        changes.emplace_back(key, std::make_shared<const int>(int(key % 1000)));
    const Map map = Map().withChanges(changes);
    std::vector<std::uint64_t> keys;
    map.forEach([&](std::uint64_t key, const int &) { keys.push_back(key); });
    QCOMPARE(keys, (std::vector<std::uint64_t> { 3, 31, 32, 1024, 99999, 1ULL << 62 }));
    int visited = 0;
    map.forEach([&](std::uint64_t, const int &) { return ++visited < 2; });
    QCOMPARE(visited, 2);
}

QTEST_GUILESS_MAIN(PersistentMapTest)
#include "PersistentMapTest.moc"
