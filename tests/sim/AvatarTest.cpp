// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
// Avatars in the world: scripts sense and hear them, they touch objects, and public chat
// (channel 0) said by scripts or avatars within range reaches them through TickReport::heard.

#include <QTest>

#include "SimTestUtil.h"

#include <algorithm>
#include <map>

using namespace metatopia;
using namespace metatopia::sim;
using namespace metatopia::sim::test;

namespace {

AvatarEnter avatarAt(AvatarId id, const char *name, int x, int y)
{
    AvatarEnter a;
    a.avatar = id;
    a.account = id + 1000;
    a.name = name;
    a.position = vec(x, y);
    return a;
}

// What each avatar heard this tick, as "speaker name: text" lines.
std::map<AvatarId, std::vector<std::string>> heardBy(const TickReport &report)
{
    std::map<AvatarId, std::vector<std::string>> lines;
    for (const HeardChat &h : report.heard)
        lines[h.avatar].push_back(h.line.name + ": " + h.line.text);
    return lines;
}

const char *Greeter = R"lua(
function on_touch(avatar, name)
  local seen = sensor(30)
  say(0, "hello " .. name .. " (" .. seen[1].kind .. " " .. seen[1].name .. " nearest)")
  whisper(0, "psst")
  shout(0, "loud")
  say(5, "private channel")
  if name == "Carol" then region_say(0, "everyone") end
end)lua";

} // namespace

class AvatarTest : public QObject
{
    Q_OBJECT

private slots:
    void scriptChatReachesAvatarsInRange();
    void avatarChatReachesAvatarsAndScripts();
    void heardListIsGroupedByAvatar();
};

void AvatarTest::scriptChatReachesAvatarsInRange()
{
    TickEngine engine({});
    BatchBuilder b;
    b.add(objectAt(12, 10, Greeter, "greeter"));
    b.add(avatarAt(1, "Alice", 10, 10)); // 2 m from the greeter
    b.add(avatarAt(2, "Bob", 52, 10)); // 40 m
    b.add(avatarAt(3, "Carol", 12, 200)); // 190 m
    QVERIFY(b.step(engine).heard.empty());

    b.add(Touch { 1, 1 });
    const TickReport &report = b.step(engine);
    QCOMPARE(report.stats.scriptErrors, 0u);
    auto heard = heardBy(report);
    // Alice is within whisper range, Bob only within shout range, Carol out of all but region.
    QCOMPARE(heard[1],
        (std::vector<std::string> {
            "greeter: hello Alice (avatar Alice nearest)", "greeter: psst", "greeter: loud" }));
    QCOMPARE(heard[2], std::vector<std::string> { "greeter: loud" });
    QVERIFY(!heard.count(3));
    // Every line came from the object, on channel 0; channel 5 reached no avatar.
    for (const HeardChat &h : report.heard) {
        QCOMPARE(h.line.speaker, std::uint64_t(1));
        QVERIFY(!h.line.fromAvatar);
        QCOMPARE(h.line.channel, std::int64_t(0));
    }

    // Carol touches from afar: region_say reaches her too; an avatar that left hears nothing.
    b.add(Touch { 3, 1 });
    b.add(AvatarLeave { 2 });
    heard = heardBy(b.step(engine));
    QCOMPARE(heard[3], std::vector<std::string> { "greeter: everyone" });
    QVERIFY(!heard.count(2));
    QCOMPARE(heard[1].size(), std::size_t(4));
}

void AvatarTest::avatarChatReachesAvatarsAndScripts()
{
    TickEngine engine({});
    BatchBuilder b;
    b.add(objectAt(20, 20,
        "listen(0)\nfunction on_listen(c, id, name, text) set_text(name .. '>' .. text) end",
        "ear"));
    b.add(avatarAt(1, "Alice", 10, 20));
    b.add(avatarAt(2, "Bob", 25, 20)); // 15 m from Alice
    b.add(avatarAt(3, "Carol", 60, 20)); // 50 m
    b.step(engine);

    AvatarChat chat;
    chat.avatar = 1;
    chat.channel = 0;
    chat.range = ChatRange::Say;
    chat.text = "hi all";
    b.add(chat);
    const TickReport &report = b.step(engine);
    auto heard = heardBy(report);
    // The speaker sees her own line, Bob hears it, Carol is too far.
    QCOMPARE(heard[1], std::vector<std::string> { "Alice: hi all" });
    QCOMPARE(heard[2], std::vector<std::string> { "Alice: hi all" });
    QVERIFY(!heard.count(3));
    QVERIFY(report.heard.front().line.fromAvatar);
    // The listening script hears it in the next tick (events queue for one tick).
    b.step(engine);
    QCOMPARE(QString::fromStdString(engine.state()->objects.find(1)->text),
        QStringLiteral("Alice>hi all"));

    // Not channel 0: scripts may listen, avatars do not see it.
    chat.channel = 7;
    b.add(chat);
    QVERIFY(b.step(engine).heard.empty());
}

void AvatarTest::heardListIsGroupedByAvatar()
{
    // Several speakers, several hearers: the list is sorted by avatar and, per avatar, in the
    // order the lines were said, so a gateway can hand each client its slice.
    TickEngine engine({});
    BatchBuilder b;
    for (int i = 0; i < 3; ++i)
        b.add(objectAt(30 + i, 30, "function on_touch(a, n) say(0, 'from ' .. id()) end", "obj"));
    b.add(avatarAt(5, "Eve", 30, 32));
    b.add(avatarAt(4, "Dan", 31, 31));
    b.step(engine);
    for (ObjectId id : { 3, 1, 2 })
        b.add(Touch { 5, id });
    const TickReport &report = b.step(engine);
    QCOMPARE(report.heard.size(), std::size_t(6));
    QVERIFY(std::is_sorted(report.heard.begin(), report.heard.end(),
        [](const HeardChat &a, const HeardChat &b) { return a.avatar < b.avatar; }));
    const auto heard = heardBy(report);
    const std::vector<std::string> expected { "obj: from 1", "obj: from 2", "obj: from 3" };
    QCOMPARE(heard.at(4), expected);
    QCOMPARE(heard.at(5), expected);
}

QTEST_GUILESS_MAIN(AvatarTest)
#include "AvatarTest.moc"
