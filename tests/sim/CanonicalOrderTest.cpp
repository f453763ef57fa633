// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
// Per-script event order: independent of arrival order and thread count, different between
// scripts for the same events, the same in another process.

#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include "SimTestUtil.h"

#include <algorithm>
#include <random>

using namespace metatopia;
using namespace metatopia::sim;
using namespace metatopia::sim::test;

class CanonicalOrderTest : public QObject
{
    Q_OBJECT

private slots:
    void independentOfArrivalOrderAndThreads();
    void differsBetweenScripts();
    void differsBetweenTicks();
};

// Each recorder appends the text of every heard line, in the order its handler saw them.
static const char *Recorder = R"(
listen(4)
order = {}
function on_listen(ch, from, name, text) order[#order + 1] = text end
function on_touch() set_text(table.concat(order, ",")) order = {} end)";

constexpr int Recorders = 6;
constexpr int Lines = 10;

// Builds a world of recorders and avatars; in tick 2 the avatars each say one line; in tick 3 the
// recorders publish what they heard. `shuffle` permutes the batch vector (not the input ids).
static std::vector<std::string> heardOrders(std::uint64_t seed, int threads, std::uint64_t shuffle)
{
    EngineConfig config;
    config.threads = threads;
    TickEngine engine(config);
    TickBatch first;
    first.tick = 1;
    first.seed = seed;
    std::uint64_t id = 1;
    for (int i = 0; i < Recorders; ++i)
        first.inputs.push_back(Input { id++, objectAt(100 + i, 100, Recorder) });
    for (int a = 0; a < Lines; ++a)
        first.inputs.push_back(
            Input { id++, AvatarEnter { std::uint64_t(500 + a), 1, "av", vec(100, 101) } });
    engine.step(first);

    TickBatch talk;
    talk.tick = 2;
    talk.seed = seed + 1;
    for (int a = 0; a < Lines; ++a)
        talk.inputs.push_back(Input { id++,
            AvatarChat { std::uint64_t(500 + a), 4, ChatRange::Say, "L" + std::to_string(a) } });
    if (shuffle) {
        std::mt19937_64 rng(shuffle);
        std::shuffle(talk.inputs.begin(), talk.inputs.end(), rng);
    }
    engine.step(talk);

    TickBatch hear { 3, seed + 2, {} };
    engine.step(hear);
    TickBatch publish { 4, seed + 3, {} };
    for (int i = 0; i < Recorders; ++i)
        publish.inputs.push_back(Input { id++, Touch { 500, ObjectId(i + 1) } });
    engine.step(publish);

    std::vector<std::string> orders;
    for (int i = 0; i < Recorders; ++i)
        orders.push_back(engine.state()->objects.find(ObjectId(i + 1))->text);
    return orders;
}

void CanonicalOrderTest::independentOfArrivalOrderAndThreads()
{
    const auto reference = heardOrders(77, 1, 0);
    for (const auto &order : reference)
        QCOMPARE(QString::fromStdString(order).split(QLatin1Char(',')).size(), Lines);
    for (std::uint64_t shuffle : { 1, 2, 3, 4, 5 }) {
        for (int threads : { 1, 2, 8 })
            QCOMPARE(heardOrders(77, threads, shuffle), reference);
    }
}

void CanonicalOrderTest::differsBetweenScripts()
{
    const auto orders = heardOrders(77, 2, 0);
    std::vector<std::string> distinct = orders;
    std::sort(distinct.begin(), distinct.end());
    distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
    // 10 lines have 3.6 million orders: six scripts sharing one would mean the script id is
    // ignored.
    QVERIFY(distinct.size() >= 5);
    // And no script sees plain arrival (id) order.
    std::string arrival;
    for (int a = 0; a < Lines; ++a)
        arrival += (a ? "," : "") + std::string("L") + std::to_string(a);
    QVERIFY(std::count(orders.begin(), orders.end(), arrival) <= 1);
}

void CanonicalOrderTest::differsBetweenTicks()
{
    // The tick seed is part of the key: another seed reorders the same events.
    QVERIFY(heardOrders(77, 1, 0) != heardOrders(78, 1, 0));
}

QTEST_GUILESS_MAIN(CanonicalOrderTest)
#include "CanonicalOrderTest.moc"
