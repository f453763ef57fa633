// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
// The tick engine with real Lua scripts: world state, copy-on-write, routing, the script API,
// script edits with history, limits and snapshots.

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include "SimTestUtil.h"
#include "sim/Hash.h"
#include "sim/ScriptValueCodec.h"

using namespace metatopia;
using namespace metatopia::sim;
using namespace metatopia::sim::test;

class TickEngineTest : public QObject
{
    Q_OBJECT

private slots:
    void createsObjectsAndAvatars();
    void ticksCopyOnlyChangedObjects();
    void hashFollowsTheDeltas();
    void touchRunsTheHandler();
    void chatReachesListenersByRange();
    void timersFireAtTheirInterval();
    void rezAndDerezChildren();
    void messagesBetweenObjects();
    void sensorFindsNearbyObjectsAndAvatars();
    void storageKeepsValues();
    void scriptEditsTakeEffectAtTickBoundaryWithHistory();
    void deleteNeedsOwner();
    void regionObjectLimitIsEnforced();
    void snapshotRestoresAndContinues();
    void corruptSnapshotIsRejected();
    void exampleScriptsRunCleanly();
};

static const Object &object(const TickEngine &engine, ObjectId id)
{
    const Object *o = engine.state()->objects.find(id);
    if (!o)
        qFatal("no object %llu", static_cast<unsigned long long>(id));
    return *o;
}

static std::string storedString(const Object &o, const std::string &key)
{
    auto it = o.storage.find(key);
    if (it == o.storage.end())
        return {};
    if (const auto *s = std::get_if<std::string>(&it->second))
        return *s;
    if (const auto *i = std::get_if<std::int64_t>(&it->second))
        return std::to_string(*i);
    return "?";
}

void TickEngineTest::createsObjectsAndAvatars()
{
    TickEngine engine({});
    BatchBuilder b;
    b.add(objectAt(10, 10, {}, "a"));
    b.add(objectAt(20, 20, {}, "b"));
    b.add(AvatarEnter { 900, 9, "Alice", vec(30, 30) });
    const auto before = engine.state();
    b.step(engine);
    QCOMPARE(engine.tick(), std::uint64_t(1));
    QCOMPARE(engine.state()->objects.size(), std::size_t(2));
    QCOMPARE(object(engine, 1).name, std::string("a"));
    QCOMPARE(object(engine, 2).position, vec(20, 20));
    QVERIFY(engine.state()->avatars.find(900));
    QCOMPARE(engine.state()->avatars.find(900)->name, std::string("Alice"));
    // S(0) is untouched by tick 1.
    QCOMPARE(before->objects.size(), std::size_t(0));
    QCOMPARE(before->tick, std::uint64_t(0));
    // Positions are clamped into the region.
    b.add(objectAt(-50, 9000));
    b.step(engine);
    QCOMPARE(object(engine, 3).position.x, Fixed::zero());
    QCOMPARE(object(engine, 3).position.y, Fixed::fromInt(256));
}

void TickEngineTest::ticksCopyOnlyChangedObjects()
{
    TickEngine engine({});
    BatchBuilder b;
    for (int i = 0; i < 2000; ++i)
        b.add(objectAt(i % 200 + 1, i / 10 + 1));
    b.step(engine);
    const auto s1 = engine.state();
    b.add(PhysicsTransform { 1234, vec(5, 5), FQuat::identity() });
    b.step(engine);
    const auto s2 = engine.state();
    QCOMPARE(engine.lastReport().stats.objectsChanged, 1u);
    int shared = 0;
    s1->objects.forEach([&](ObjectId id, const Object &o) {
        if (s2->objects.find(id) == &o)
            ++shared;
    });
    QCOMPARE(shared, 1999);
    QCOMPARE(s1->objects.find(1234)->position, vec(1233 % 200 + 1, 1233 / 10 + 1));
    QCOMPARE(s2->objects.find(1234)->position, vec(5, 5));
}

void TickEngineTest::hashFollowsTheDeltas()
{
    TickEngine a({});
    TickEngine c({});
    BatchBuilder ba;
    BatchBuilder bc;
    for (int i = 0; i < 50; ++i) {
        ba.add(objectAt(i + 1, 7));
        bc.add(objectAt(i + 1, 7));
    }
    ba.step(a);
    bc.step(c);
    QCOMPARE(a.stateHash(), c.stateHash());
    // The incremental sum equals a recomputation over the whole world.
    std::uint64_t sum = 0;
    a.state()->objects.forEach([&](ObjectId, const Object &o) {
        Object copy = o;
        copy.finalize();
        sum += copy.hash;
    });
    QCOMPARE(sum, a.state()->objectHashSum);
    ba.add(PhysicsTransform { 10, vec(3, 3), FQuat::identity() });
    bc.add(PhysicsTransform { 10, vec(3, 4), FQuat::identity() });
    ba.step(a);
    bc.step(c);
    QVERIFY(a.stateHash() != c.stateHash());
    sum = 0;
    a.state()->objects.forEach([&](ObjectId, const Object &o) { sum += o.hash; });
    QCOMPARE(sum, a.state()->objectHashSum);
    // An empty tick still moves the hash on (the tick number is part of the state).
    const std::uint64_t h = a.stateHash();
    ba.step(a);
    QVERIFY(a.stateHash() != h);
}

void TickEngineTest::touchRunsTheHandler()
{
    TickEngine engine({});
    BatchBuilder b;
    b.add(AvatarEnter { 900, 9, "Alice", vec(30, 30) });
    b.add(objectAt(30, 31, R"(
function on_touch(avatar, name)
  set_text("touched by " .. name .. " " .. avatar)
  set_colour(10, 20, 30)
  local p = get_position()
  p.z = p.z + 1.5
  set_position(p)
  set_rotation({x = 0, y = 0, z = 0.6, w = 0.8})
end)"));
    b.step(engine);
    QCOMPARE(engine.lastReport().problems.size(), std::size_t(0));
    QVERIFY(object(engine, 1).status.loaded);
    b.add(Touch { 900, 1 });
    b.step(engine);
    const Object &o = object(engine, 1);
    QCOMPARE(o.text, std::string("touched by Alice 900"));
    QCOMPARE(o.colour, 0x0a141effu);
    QCOMPARE(o.position.z, Fixed::fromRatio(43, 2));
    QCOMPARE(o.rotation.w, Fixed::fromRatio(4, 5));
}

void TickEngineTest::chatReachesListenersByRange()
{
    TickEngine engine({});
    BatchBuilder b;
    const std::string listener = R"(
heard = {}
listen(5)
function on_listen(channel, from, name, text)
  heard[#heard + 1] = text
  kv_set("heard", table.concat(heard, ","))
end)";
    // The speaker at x = 100 talks on its first timer; listeners at 8, 15, 50, 150 m.
    b.add(objectAt(100, 100, R"(
set_timer(0.01)
local n = 0
function on_timer()
  n = n + 1
  if n == 1 then whisper(5, "w") say(5, "s") shout(5, "sh") region_say(5, "r") say(6, "other") end
end)",
        "speaker"));
    b.add(objectAt(108, 100, listener));
    b.add(objectAt(115, 100, listener));
    b.add(objectAt(150, 100, listener));
    b.add(objectAt(250, 100, listener));
    for (int i = 0; i < 4; ++i)
        b.step(engine);
    QCOMPARE(engine.lastReport().problems.size(), std::size_t(0));
    auto heard = [&](ObjectId id) {
        std::string s = storedString(object(engine, id), "heard");
        std::vector<std::string> parts;
        for (const auto &p : QString::fromStdString(s).split(QLatin1Char(','), Qt::SkipEmptyParts))
            parts.push_back(p.toStdString());
        std::sort(parts.begin(), parts.end());
        return parts;
    };
    QCOMPARE(heard(2), (std::vector<std::string> { "r", "s", "sh", "w" }));
    QCOMPARE(heard(3), (std::vector<std::string> { "r", "s", "sh" }));
    QCOMPARE(heard(4), (std::vector<std::string> { "r", "sh" }));
    QCOMPARE(heard(5), (std::vector<std::string> { "r" }));
    QVERIFY(heard(1).empty());
}

void TickEngineTest::timersFireAtTheirInterval()
{
    TickEngine engine({});
    BatchBuilder b;
    // 0.2 s at 45 Hz = 9 ticks.
    b.add(objectAt(10, 10, R"(
count = 0
set_timer(0.2)
function on_timer() count = count + 1 kv_set("count", count) kv_set("tick", tick()) end)"));
    for (int i = 0; i < 91; ++i)
        b.step(engine);
    QCOMPARE(storedString(object(engine, 1), "count"), std::string("10"));
    QCOMPARE(storedString(object(engine, 1), "tick"), std::string("91"));
}

void TickEngineTest::rezAndDerezChildren()
{
    TickEngine engine({});
    BatchBuilder b;
    b.add(objectAt(50, 50, R"(
kids = {}
made = 0
set_timer(0.02)
function on_timer()
  if made < 3 then
    made = made + 1
    local p = get_position()
    p.x = p.x + 2
    rez({name = "kid", position = p, script = [[set_text('child of ' .. parent())]]})
  elseif #kids == 3 then
    set_timer(0)
    derez(kids[1])
  end
end
function on_object_rez(child) kids[#kids + 1] = child end)"));
    int rezzed = 0;
    int derezzed = 0;
    for (int i = 0; i < 20; ++i) {
        const auto &report = b.step(engine);
        rezzed += int(report.stats.rezzed);
        derezzed += int(report.stats.derezzed);
    }
    QCOMPARE(rezzed, 3);
    QCOMPARE(derezzed, 1);
    QCOMPARE(engine.state()->objects.size(), std::size_t(3));
    QVERIFY(!engine.state()->objects.find(2));
    const Object &kid = object(engine, 3);
    QCOMPARE(kid.parent, ObjectId(1));
    QCOMPARE(kid.owner, object(engine, 1).owner);
    QCOMPARE(kid.text, std::string("child of 1"));
    QCOMPARE(kid.position.x, Fixed::fromInt(52));
}

void TickEngineTest::messagesBetweenObjects()
{
    TickEngine engine({});
    BatchBuilder b;
    b.add(objectAt(10, 10, R"(
function on_touch() message(2, {word = "hello", n = 42, list = {1, 2.5, "x"}}) end)"));
    b.add(objectAt(200, 200, R"(
function on_message(from, value)
  kv_set("got", value.word .. " " .. value.n .. " " .. value.list[2] .. " from " .. from)
end)"));
    b.add(AvatarEnter { 900, 9, "Alice", vec(10, 11) });
    b.step(engine);
    b.add(Touch { 900, 1 });
    b.step(engine);
    b.step(engine);
    QCOMPARE(storedString(object(engine, 2), "got"), std::string("hello 42 2.5 from 1"));
}

void TickEngineTest::sensorFindsNearbyObjectsAndAvatars()
{
    TickEngine engine({});
    BatchBuilder b;
    b.add(objectAt(100, 100, R"(
function on_touch()
  local found = {}
  for i, hit in ipairs(sensor(30)) do found[#found + 1] = hit.kind .. ":" .. hit.name end
  set_text(table.concat(found, ","))
end)",
        "eye"));
    b.add(objectAt(110, 100, {}, "near"));
    b.add(objectAt(100, 120, {}, "far"));
    b.add(objectAt(160, 100, {}, "out"));
    b.add(AvatarEnter { 900, 9, "Alice", vec(104, 100) });
    b.step(engine);
    b.add(Touch { 900, 1 });
    b.step(engine);
    QCOMPARE(object(engine, 1).text, std::string("avatar:Alice,object:near,object:far"));
}

void TickEngineTest::storageKeepsValues()
{
    TickEngine engine({});
    BatchBuilder b;
    b.add(objectAt(10, 10, R"(
kv_set("a", 1) kv_set("b", "two") kv_set("c", 2.5) kv_set("d", true) kv_set("a", nil)
local keys = kv_keys()
set_text(table.concat(keys, ",") .. " " .. kv_get("b") .. " " .. tostring(kv_get("a")))
local ok, err = pcall(kv_set, "t", {1})
kv_set("err", tostring(not ok))
)"));
    b.step(engine);
    const Object &o = object(engine, 1);
    QCOMPARE(o.text, std::string("b,c,d two nil"));
    QCOMPARE(std::get<Fixed>(o.storage.at("c")), Fixed::fromRatio(5, 2));
    QCOMPARE(storedString(o, "err"), std::string("true"));
}

void TickEngineTest::scriptEditsTakeEffectAtTickBoundaryWithHistory()
{
    TickEngine engine({});
    BatchBuilder b;
    b.add(objectAt(10, 10, "set_text('v1')", "box", 7));
    b.step(engine);
    QCOMPARE(object(engine, 1).text, std::string("v1"));
    b.add(EditScript { 7, 1, "set_text('v2')" });
    b.step(engine);
    QCOMPARE(object(engine, 1).text, std::string("v2"));
    // Someone else may not edit (no modify permission)...
    b.add(EditScript { 8, 1, "set_text('evil')" });
    const auto &report = b.step(engine);
    QCOMPARE(report.stats.refused, 1u);
    QCOMPARE(object(engine, 1).text, std::string("v2"));
    // ...but anyone may read the source and its history.
    b.add(EditScript { 7, 1, "set_text('v3')" });
    b.step(engine);
    const auto history = engine.scriptHistory(1);
    QCOMPARE(history.size(), std::size_t(3));
    QCOMPARE(history[0].source, std::string("set_text('v1')"));
    QCOMPARE(history[1].source, std::string("set_text('v2')"));
    QCOMPARE(history[2].source, std::string("set_text('v3')"));
    QCOMPARE(history[2].revision, 3u);
    QCOMPARE(object(engine, 1).text, std::string("v3"));
    // Scripts can read any script's source too.
    b.add(objectAt(20, 20, "set_text(script_source(1))"));
    b.step(engine);
    QCOMPARE(object(engine, 2).text, std::string("set_text('v3')"));
}

void TickEngineTest::deleteNeedsOwner()
{
    TickEngine engine({});
    BatchBuilder b;
    b.add(objectAt(10, 10, {}, "x", 7));
    b.step(engine);
    b.add(DeleteObject { 8, 1 });
    b.step(engine);
    QVERIFY(engine.state()->objects.find(1));
    b.add(DeleteObject { 7, 1 });
    b.step(engine);
    QVERIFY(!engine.state()->objects.find(1));
}

void TickEngineTest::regionObjectLimitIsEnforced()
{
    EngineConfig config;
    config.region.limits.maxObjects = 5;
    TickEngine engine(config);
    BatchBuilder b;
    b.add(objectAt(50, 50, R"(
set_timer(0.02)
function on_timer() rez({name = "kid"}) end)"));
    for (int i = 0; i < 3; ++i)
        b.add(objectAt(10 + i, 10));
    b.step(engine);
    std::uint32_t refused = 0;
    for (int i = 0; i < 10; ++i)
        refused += b.step(engine).stats.refused;
    QCOMPARE(engine.state()->objects.size(), std::size_t(5));
    QVERIFY(refused >= 5);
}

void TickEngineTest::snapshotRestoresAndContinues()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(QStringLiteral("snap.sqlite"));
    const std::string script = R"(
local t = {n = 0, log = {}}
listen(1)
set_timer(0.05)
function on_timer()
  t.n = t.n + 1
  t.log[#t.log + 1] = math.random(1000)
  if #t.log > 5 then table.remove(t.log, 1) end
  say(1, "n=" .. t.n)
  local p = get_position() p.y = p.y + 0.5 set_position(p)
end
function on_listen(ch, from, name, text) kv_set("last", text) end)";
    auto runTo = [&](TickEngine &engine, BatchBuilder &b, std::uint64_t until,
                     std::vector<std::uint64_t> &hashes) {
        while (engine.tick() < until) {
            if (engine.tick() == 0) {
                for (int i = 0; i < 30; ++i)
                    b.add(objectAt(20 + i * 3, 20 + i, script));
                b.add(AvatarEnter { 900, 9, "Alice", vec(30, 30) });
            }
            b.step(engine);
            hashes.push_back(engine.stateHash());
        }
    };
    TickEngine straight({});
    BatchBuilder b1;
    std::vector<std::uint64_t> expected;
    runTo(straight, b1, 80, expected);

    TickEngine first({});
    BatchBuilder b2;
    std::vector<std::uint64_t> got;
    runTo(first, b2, 40, got);
    QCOMPARE(first.saveSnapshot(path), std::optional<std::string>());
    std::string error;
    auto restored = TickEngine::loadSnapshot(path, 2, &error);
    QVERIFY2(restored, error.c_str());
    QCOMPARE(restored->tick(), std::uint64_t(40));
    QCOMPARE(restored->stateHash(), first.stateHash());
    runTo(*restored, b2, 80, got);
    QCOMPARE(got, expected);
}

void TickEngineTest::corruptSnapshotIsRejected()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("bad.sqlite"));
    std::string error;
    QVERIFY(!TickEngine::loadSnapshot(path, 1, &error));
    QVERIFY(!error.empty());
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("this is not a database at all, just text that goes on and on");
    file.close();
    error.clear();
    QVERIFY(!TickEngine::loadSnapshot(path, 1, &error));
    QVERIFY(!error.empty());
}

void TickEngineTest::exampleScriptsRunCleanly()
{
    // The examples documented in docs/scripting.md load and handle their events without errors.
    const QDir dir(QStringLiteral(METATOPIA_SOURCE_DIR "/resources/scripts"));
    const QStringList files = dir.entryList({ QStringLiteral("*.lua") }, QDir::Files, QDir::Name);
    QVERIFY(files.size() >= 5);
    TickEngine engine({});
    BatchBuilder b;
    b.add(AvatarEnter { 900, 9, "Alice", vec(100, 100) });
    for (int i = 0; i < files.size(); ++i) {
        QFile file(dir.filePath(files[i]));
        QVERIFY(file.open(QIODevice::ReadOnly));
        b.add(objectAt(100 + i, 102, file.readAll().toStdString(), files[i].toStdString()));
    }
    std::vector<ScriptProblem> problems;
    bool greeted = false;
    for (int t = 0; t < 200; ++t) {
        if (t % 20 == 5) {
            for (int i = 0; i < files.size(); ++i)
                b.add(Touch { 900, ObjectId(i + 1) });
            b.add(AvatarChat { 900, 0, ChatRange::Say, "hello there" });
        }
        const auto &report = b.step(engine);
        problems.insert(problems.end(), report.problems.begin(), report.problems.end());
        for (const auto &line : report.chat)
            greeted = greeted || line.text == "Hello, Alice!";
    }
    for (const auto &p : problems)
        qWarning("object %llu: %s", static_cast<unsigned long long>(p.object), p.message.c_str());
    QVERIFY(problems.empty());
    QVERIFY(greeted);
    int scripted = 0;
    engine.state()->objects.forEach([&](ObjectId, const Object &o) {
        if (o.script && o.status.loaded && !o.status.suspended)
            ++scripted;
    });
    QVERIFY(scripted >= files.size());
}

QTEST_GUILESS_MAIN(TickEngineTest)
#include "TickEngineTest.moc"
