// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
// Misbehaving scripts (errors, infinite loops, memory hogs, event floods) are contained and
// reported; the tick and every other script go on.

#include <QTest>

#include "SimTestUtil.h"

using namespace metatopia;
using namespace metatopia::sim;
using namespace metatopia::sim::test;

class MisbehaviourTest : public QObject
{
    Q_OBJECT

private slots:
    void badScriptsAreSuspendedOthersRun();
    void eventFloodsAreCappedAndCounted();
    void regionScriptMemoryLimitRefusesLoads();
    void badHostCallsAreScriptErrors();
};

// A well-behaved neighbour: counts its timer events.
static const char *Counter = R"(
n = 0
set_timer(0.02)
function on_timer() n = n + 1 kv_set("n", n) end)";

static std::int64_t counted(const TickEngine &engine, ObjectId id)
{
    const Object *o = engine.state()->objects.find(id);
    auto it = o->storage.find("n");
    return it == o->storage.end() ? 0 : std::get<std::int64_t>(it->second);
}

static bool hasProblem(const std::vector<ScriptProblem> &problems, ObjectId id, const char *needle)
{
    for (const auto &p : problems) {
        if (p.object == id
            && QString::fromStdString(p.message).contains(
                QLatin1String(needle), Qt::CaseInsensitive))
            return true;
    }
    return false;
}

void MisbehaviourTest::badScriptsAreSuspendedOthersRun()
{
    EngineConfig config;
    config.threads = 2;
    config.region.limits.instructionsPerCall = 200000;
    config.region.limits.scriptMemoryBytes = 256 * 1024;
    TickEngine engine(config);
    BatchBuilder b;
    b.add(objectAt(10, 10, Counter)); // 1
    b.add(objectAt(20, 10, "set_timer(0.02) function on_timer() error('boom') end")); // 2
    b.add(objectAt(30, 10, "set_timer(0.02) function on_timer() while true do end end"));
    b.add(objectAt(40, 10,
        "set_timer(0.02) function on_timer() local t = {} for i = 1, 1e9 do t[i] = string.rep('x', "
        "100) .. i end end"));
    b.add(objectAt(50, 10, "this is not lua")); // 5
    b.add(objectAt(60, 10,
        "local function f() return f() + 1 end set_timer(0.02) function on_timer() f() end"));
    b.add(objectAt(70, 10, Counter)); // 7
    std::vector<ScriptProblem> problems;
    for (int i = 0; i < 6; ++i) {
        const auto &report = b.step(engine);
        problems.insert(problems.end(), report.problems.begin(), report.problems.end());
    }
    QVERIFY(hasProblem(problems, 2, "boom"));
    for (ObjectId id : { 2, 3, 4, 5, 6 }) {
        const Object *o = engine.state()->objects.find(id);
        QVERIFY2(o->status.suspended, qPrintable(QString::number(id)));
        QVERIFY(!o->status.error.empty());
        QVERIFY(hasProblem(problems, id, ""));
    }
    QVERIFY(!engine.state()->objects.find(1)->status.suspended);
    QCOMPARE(counted(engine, 1), std::int64_t(5));
    QCOMPARE(counted(engine, 7), std::int64_t(5));
    // Suspended scripts get no more events and cost nothing.
    const auto &report = b.step(engine);
    QCOMPARE(report.stats.scriptsRun, 2u);
    QCOMPARE(report.stats.scriptErrors, 0u);
    // Editing the script revives it.
    b.add(EditScript { 0, 2, Counter });
    b.step(engine);
    b.step(engine);
    QVERIFY(!engine.state()->objects.find(2)->status.suspended);
    QCOMPARE(counted(engine, 2), std::int64_t(1));
}

void MisbehaviourTest::eventFloodsAreCappedAndCounted()
{
    TickEngine engine({});
    BatchBuilder b;
    b.add(objectAt(10, 10, R"(
set_timer(0.02)
function on_timer() for i = 1, 1000 do say(3, "spam " .. i) end end)"));
    b.add(objectAt(12, 10, R"(
listen(3)
got = 0
function on_listen() got = got + 1 kv_set("got", got) end)"));
    b.add(objectAt(14, 10, "listen(3) function on_listen() end"));
    b.add(objectAt(16, 10, "listen(3) function on_listen() end"));
    b.step(engine);
    b.step(engine); // the flood is said
    const auto &flood = engine.lastReport();
    QCOMPARE(flood.stats.eventsDroppedOut, 1000u - 64u);
    QVERIFY(hasProblem(flood.problems, 1, "dropped"));
    const auto &heard = b.step(engine); // heard, capped per listener
    QCOMPARE(heard.stats.eventsDroppedIn, 0u);
    QCOMPARE(std::get<std::int64_t>(engine.state()->objects.find(2)->storage.at("got")),
        std::int64_t(64));
    // Three floods at once overflow a listener's inbox of 64.
    b.add(objectAt(
        11, 11, "set_timer(0.02) function on_timer() for i = 1, 64 do say(3, 'more') end end"));
    b.step(engine);
    b.step(engine);
    const auto &overflow = b.step(engine);
    QVERIFY(overflow.stats.eventsDroppedIn >= 64u);
    QVERIFY(hasProblem(overflow.problems, 2, "overflow"));
    QVERIFY(!engine.state()->objects.find(2)->status.suspended);
}

void MisbehaviourTest::regionScriptMemoryLimitRefusesLoads()
{
    EngineConfig config;
    config.region.limits.maxScriptMemory = 1; // any loaded script fills it
    TickEngine engine(config);
    BatchBuilder b;
    b.add(objectAt(10, 10, Counter));
    b.step(engine);
    b.add(objectAt(20, 10, Counter));
    const auto &report = b.step(engine);
    QCOMPARE(report.stats.refused, 1u);
    QVERIFY(engine.state()->objects.find(2)->status.suspended);
    QVERIFY(!engine.state()->objects.find(1)->status.suspended);
    QVERIFY(report.stats.scriptMemory > 0);
}

void MisbehaviourTest::badHostCallsAreScriptErrors()
{
    TickEngine engine({});
    BatchBuilder b;
    b.add(objectAt(10, 10, "set_position('up')"));
    b.add(objectAt(20, 10, "rez({position = {x = 200, y = 200, z = 20}})"));
    b.add(objectAt(30, 10, "derez(1)"));
    b.add(objectAt(40, 10, "local ok, e = pcall(set_colour, 300, 0, 0) set_text(tostring(e))"));
    const auto &report = b.step(engine);
    QVERIFY(hasProblem(report.problems, 1, "set_position"));
    QVERIFY(hasProblem(report.problems, 2, "10 m"));
    QVERIFY(hasProblem(report.problems, 3, "derez"));
    QVERIFY(engine.state()->objects.find(1));
    QVERIFY(QString::fromStdString(engine.state()->objects.find(4)->text)
                .contains(QLatin1String("0..255")));
    QVERIFY(!engine.state()->objects.find(4)->status.suspended);
}

QTEST_GUILESS_MAIN(MisbehaviourTest)
#include "MisbehaviourTest.moc"
