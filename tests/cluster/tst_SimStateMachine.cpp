// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// SimStateMachine without raft: the same committed entries give the same ticks and hashes on
// every replica, duplicates and malformed entries change nothing, a snapshot restores a state that
// continues identically, and a perturbed replica sees the leader's hash differ.

#include "cluster/SimReplica.h"
#include "cluster/SimStateMachine.h"

#include <QCborMap>
#include <QTest>

using namespace metatopia;
using namespace metatopia::cluster;

namespace {

QByteArray entry(const std::vector<Action> &actions, quint64 hashTick = 0, quint64 hash = 0)
{
    TickEntry tick;
    tick.hashTick = hashTick;
    tick.hash = hash;
    tick.actions = ActionBatch { actions }.encode();
    return tick.encode();
}

Action create(quint64 client, quint64 seq, const std::string &name)
{
    sim::CreateObject object;
    object.name = name;
    object.owner = client;
    object.position
        = FVec3 { Fixed::fromInt(qint64(seq % 100)), Fixed::fromInt(5), Fixed::fromInt(1) };
    object.scale = FVec3 { Fixed::one(), Fixed::one(), Fixed::one() };
    return Action { { client, seq }, SimStateMachine::encodeAction(object) };
}

// A deterministic stream of entries with resends mixed in.
std::vector<QByteArray> stream(int ticks)
{
    std::vector<QByteArray> out;
    for (int n = 1; n <= ticks; ++n) {
        std::vector<Action> actions;
        for (quint64 client = 1; client <= 3; ++client) {
            const quint64 seq = quint64(n);
            actions.push_back(
                create(client, seq, "c" + std::to_string(client) + "-" + std::to_string(seq)));
            if (n > 1 && n % 3 == 0) // a resend of an earlier action
                actions.push_back(create(client, seq - 1, "resent"));
        }
        out.push_back(entry(actions));
    }
    return out;
}

size_t objectCount(const SimStateMachine &machine)
{
    return machine.view().world->objects.size();
}

} // namespace

class SimStateMachineTest : public QObject
{
    Q_OBJECT

private slots:
    void replicasAgreeAndDeduplicate()
    {
        SimStateMachine a({});
        SimStateMachine b({});
        const auto entries = stream(30);
        quint64 index = 0;
        for (const QByteArray &bytes : entries) {
            index += 2; // raft's own entries take indices too
            a.apply(index, bytes);
            b.apply(index, bytes);
            QCOMPARE(a.view().hash, b.view().hash);
        }
        QCOMPARE(a.view().tick, quint64(30));
        QCOMPARE(a.tickOfIndex(index), std::optional<quint64>(30));
        QCOMPARE(objectCount(a), size_t(90)); // 3 clients x 30 actions, resends dropped
        QCOMPARE(a.view().duplicates, quint64(30)); // ticks 3, 6, ..., 30 x 3 clients
        QCOMPARE(a.view().actionsApplied, quint64(90));
        QCOMPARE(a.view().divergences, quint64(0));

        // A different cluster id seeds ticks differently, which must not matter to this world
        // but is part of what replicas agree on.
        QVERIFY(SimStateMachine::seedFor(1, 5) != SimStateMachine::seedFor(2, 5));
        QVERIFY(SimStateMachine::seedFor(1, 5) != SimStateMachine::seedFor(1, 6));
    }

    void malformedEntriesAreNoOps()
    {
        SimStateMachine machine({});
        machine.apply(1, entry({ create(1, 1, "x") }));
        const auto before = machine.view();
        machine.apply(2, QByteArray("garbage"));
        machine.apply(3, QByteArray(25, '\1'));
        QByteArray truncated = entry({ create(1, 2, "y") });
        truncated.chop(3);
        machine.apply(4, truncated);
        // An action whose payload the sim cannot decode is consumed without effect.
        machine.apply(5, entry({ Action { { 1, 3 }, QByteArray("not a sim input") } }));
        const auto after = machine.view();
        QCOMPARE(after.malformed, quint64(3));
        QCOMPARE(after.tick, before.tick + 1);
        QCOMPARE(objectCount(machine), size_t(1));
    }

    void snapshotRestoresAnIdenticalContinuation()
    {
        SimStateMachine original({});
        const auto entries = stream(40);
        for (size_t i = 0; i < 20; ++i)
            original.apply(i + 1, entries[i]);
        const QByteArray snapshot = original.snapshot();
        QVERIFY(!snapshot.isEmpty());

        SimStateMachine copy({});
        QVERIFY(copy.restore(snapshot));
        QCOMPARE(copy.view().tick, original.view().tick);
        QCOMPARE(copy.view().hash, original.view().hash);
        for (size_t i = 20; i < 40; ++i) {
            original.apply(i + 1, entries[i]);
            copy.apply(i + 1, entries[i]);
            QCOMPARE(copy.view().hash, original.view().hash);
        }
        // The deduper came along: resends of actions applied before the snapshot are dropped.
        copy.apply(41, entry({ create(1, 5, "again") }));
        QCOMPARE(objectCount(copy), size_t(120));

        QVERIFY(!copy.restore(QByteArray("corrupt")));
        QByteArray damaged = snapshot;
        damaged.truncate(damaged.size() / 2);
        QVERIFY(!copy.restore(damaged));
    }

    void leaderHashMismatchIsDivergence()
    {
        SimStateMachineOptions faulty;
        faulty.faultAtTick = 3;
        SimStateMachine leader({});
        SimStateMachine follower(faulty);
        const auto entries = stream(5);
        for (size_t i = 0; i < entries.size(); ++i) {
            const auto published = leader.view();
            TickEntry tick = *TickEntry::decode(entries[i]);
            tick.hashTick = published.tick;
            tick.hash = published.hash;
            leader.apply(i + 1, tick.encode());
            follower.apply(i + 1, tick.encode());
        }
        QCOMPARE(leader.view().divergences, quint64(0));
        const auto view = follower.view();
        QVERIFY(view.divergences >= 1);
        QVERIFY(view.firstDivergence);
        QCOMPARE(view.firstDivergence->tick, quint64(3));
        QCOMPARE(view.firstDivergence->leaderHash, *leader.hashAt(3));
        QCOMPARE(view.firstDivergence->ownHash, *follower.hashAt(3));
    }

    void tickEntriesCarryReportsAndMembers()
    {
        TickEntry tick;
        tick.tick = 9;
        tick.reports = { HashReport { 1, 8, 0xdeadbeefcafef00dull }, HashReport { 2, 8, 7 } };
        tick.members = { MemberChange { 4, QStringLiteral("127.0.0.1:8004") },
            MemberChange { 2, QString() } };
        tick.actions = ActionBatch { { create(1, 1, "a") } }.encode();
        const QByteArray bytes = tick.encode();
        QCOMPARE(quint8(bytes[0]), TickEntry::VersionWithReports);
        const auto decoded = TickEntry::decode(bytes);
        QVERIFY(decoded);
        QCOMPARE(decoded->reports, tick.reports);
        QCOMPARE(decoded->members, tick.members);
        QCOMPARE(decoded->actions, tick.actions);
        // Without reports or members the compact version 1 is written, as before.
        TickEntry plain;
        plain.actions = tick.actions;
        QCOMPARE(quint8(plain.encode()[0]), TickEntry::Version);
        QVERIFY(TickEntry::decode(plain.encode()));
        // Truncated anywhere in the new sections: refused (a no-op on every replica).
        for (qsizetype cut = 26; cut < bytes.size() - tick.actions.size(); cut += 5)
            QVERIFY(!TickEntry::decode(bytes.left(cut)));

        // The member directory is part of the replicated state and of its snapshots.
        SimStateMachine machine({});
        machine.apply(1, bytes);
        QCOMPARE(machine.directory().size(), size_t(1));
        QCOMPARE(machine.directory().at(4), QStringLiteral("127.0.0.1:8004"));
        SimStateMachine copy({});
        QVERIFY(copy.restore(machine.snapshot()));
        QCOMPARE(copy.directory(), machine.directory());
        TickEntry removal;
        removal.members = { MemberChange { 4, QString() } };
        removal.actions = ActionBatch {}.encode();
        copy.apply(2, removal.encode());
        QVERIFY(copy.directory().empty());
    }

    void resyncInstallSkipsWhatTheSnapshotContains()
    {
        SimStateMachineOptions faulty;
        faulty.faultAtTick = 4;
        SimStateMachine healthy({});
        SimStateMachine diverged(faulty);
        const auto entries = stream(30);
        for (size_t i = 0; i < 10; ++i) {
            healthy.apply(i + 1, entries[i]);
            diverged.apply(i + 1, entries[i]);
        }
        QVERIFY(healthy.view().hash != diverged.view().hash);
        QVERIFY(diverged.worldAt(4) && healthy.worldAt(4));
        QCOMPARE(diverged.worldAt(4)->objects.size(), healthy.worldAt(4)->objects.size() + 1);

        // The healthy replica is two entries ahead when its snapshot is taken.
        healthy.apply(11, entries[10]);
        healthy.apply(12, entries[11]);
        const QByteArray snapshot = healthy.snapshot();
        QString error;
        SimStateMachine ahead({});
        for (size_t i = 0; i < 13; ++i)
            ahead.apply(i + 1, entries[i]);
        QVERIFY(!ahead.install(12, snapshot, &error)); // behind what it applied: refused
        QVERIFY(error.contains(QStringLiteral("behind")));

        QVERIFY2(diverged.install(12, snapshot, &error), qPrintable(error));
        QCOMPARE(diverged.view().hash, healthy.view().hash);
        QCOMPARE(diverged.view().index, quint64(12));
        // Raft still delivers entries 11 and 12 to it: skipped, they are in the snapshot.
        diverged.apply(11, entries[10]);
        diverged.apply(12, entries[11]);
        QCOMPARE(diverged.view().hash, healthy.view().hash);
        for (size_t i = 12; i < 20; ++i) {
            healthy.apply(i + 1, entries[i]);
            diverged.apply(i + 1, entries[i]);
            QCOMPARE(diverged.view().hash, healthy.view().hash);
        }

        // A snapshot raft takes of the resynced replica remembers how far its state really is,
        // so a restart that restores it and replays the log from an older index skips again.
        SimStateMachine resynced(faulty);
        for (size_t i = 0; i < 10; ++i)
            resynced.apply(i + 1, entries[i]);
        QVERIFY(resynced.install(12, snapshot));
        const QByteArray after = resynced.snapshot();
        SimStateMachine restarted({});
        QVERIFY(restarted.restore(after));
        restarted.apply(11, entries[10]);
        restarted.apply(12, entries[11]);
        restarted.apply(13, entries[12]);
        SimStateMachine reference({});
        for (size_t i = 0; i < 13; ++i)
            reference.apply(i + 1, entries[i]);
        QCOMPARE(restarted.view().hash, reference.view().hash);
    }

    void gatewayActionsParseWithoutFloatingPoint()
    {
        QString error;
        const auto create = SimReplica::parseAction(
            QCborMap { { QStringLiteral("kind"), QStringLiteral("create") },
                { QStringLiteral("name"), QStringLiteral("box") }, { QStringLiteral("x"), 1500 },
                { QStringLiteral("y"), -250 }, { QStringLiteral("z"), 0 } },
            &error);
        QVERIFY2(create, qPrintable(error));
        const auto &object = std::get<sim::CreateObject>(*create);
        QCOMPARE(object.position.x, Fixed::fromRatio(3, 2));
        QCOMPARE(object.position.y, Fixed::fromRatio(-1, 4));
        QVERIFY(!SimReplica::parseAction(
            QCborMap { { QStringLiteral("kind"), QStringLiteral("create") },
                { QStringLiteral("x"), 1.5 } },
            &error));
        QVERIFY(!SimReplica::parseAction(
            QCborMap { { QStringLiteral("kind"), QStringLiteral("fly") } }, &error));
        QVERIFY(error.contains(QStringLiteral("fly")));

        // A move carries the avatar's rotation as raw fixed-point [w, x, y, z]; without one it
        // is the identity. Out of range, the wrong shape or the zero quaternion are refused.
        const qint64 half = Fixed::fromRatio(1, 2).raw();
        const auto move = [](const QCborValue &rot) {
            QCborMap m { { QStringLiteral("kind"), QStringLiteral("move") },
                { QStringLiteral("avatar"), 5 }, { QStringLiteral("x"), 1000 },
                { QStringLiteral("y"), 2000 }, { QStringLiteral("z"), 0 } };
            if (!rot.isUndefined())
                m.insert(QStringLiteral("rot"), rot);
            return m;
        };
        const auto turned = SimReplica::parseAction(move(QCborArray { half, 0, 0, -half }), &error);
        QVERIFY2(turned, qPrintable(error));
        QCOMPARE(std::get<sim::AvatarMove>(*turned).rotation.w, Fixed::fromRatio(1, 2));
        QCOMPARE(std::get<sim::AvatarMove>(*turned).rotation.z, Fixed::fromRatio(-1, 2));
        const auto plain = SimReplica::parseAction(move(QCborValue()), &error);
        QVERIFY2(plain, qPrintable(error));
        QVERIFY(std::get<sim::AvatarMove>(*plain).rotation == FQuat::identity());
        const qint64 two = Fixed::fromInt(2).raw();
        for (const QCborValue &bad : { QCborValue(QCborArray { two, 0, 0, 0 }),
                 QCborValue(QCborArray { 0, 0, 0 }), QCborValue(QCborArray { 0, 0, 0, 0 }),
                 QCborValue(QCborArray { 0.5, 0, 0, 0 }), QCborValue(QStringLiteral("north")) }) {
            error.clear();
            QVERIFY(!SimReplica::parseAction(move(bad), &error));
            QVERIFY2(error.contains(QStringLiteral("rot")), qPrintable(error));
        }

        // A script sent with create runs; editScript replaces it at a tick boundary.
        const auto scripted = SimReplica::parseAction(
            QCborMap { { QStringLiteral("kind"), QStringLiteral("create") },
                { QStringLiteral("name"), QStringLiteral("sign") },
                { QStringLiteral("script"), QStringLiteral("set_text(\"alive\")") },
                { QStringLiteral("owner"), 7 }, { QStringLiteral("x"), 1000 },
                { QStringLiteral("y"), 1000 }, { QStringLiteral("z"), 0 } },
            &error);
        QVERIFY2(scripted, qPrintable(error));
        const auto edit = SimReplica::parseAction(
            QCborMap { { QStringLiteral("kind"), QStringLiteral("editScript") },
                { QStringLiteral("author"), 7 }, { QStringLiteral("object"), 1 },
                { QStringLiteral("source"), QStringLiteral("set_text(\"edited\")") } },
            &error);
        QVERIFY2(edit, qPrintable(error));
        SimStateMachine machine({});
        const auto signText = [&machine] {
            std::string text;
            machine.view().world->objects.forEach([&text](sim::ObjectId, const sim::Object &o) {
                if (o.name == "sign")
                    text = o.text;
            });
            return text;
        };
        quint64 index = 0;
        machine.apply(++index,
            entry({ Action { { 7, 1 }, SimStateMachine::encodeAction(*scripted) } }));
        for (int i = 0; i < 3; ++i)
            machine.apply(++index, entry({}));
        QCOMPARE(signText(), std::string("alive"));
        machine.apply(
            ++index, entry({ Action { { 7, 2 }, SimStateMachine::encodeAction(*edit) } }));
        for (int i = 0; i < 3; ++i)
            machine.apply(++index, entry({}));
        QCOMPARE(signText(), std::string("edited"));

        const auto peers
            = parseSimPeers(QStringLiteral("1=127.0.0.1:7001/127.0.0.1:8001,2=h:2/h:3"));
        QVERIFY(peers);
        QCOMPARE(peers->size(), 2);
        QCOMPARE(peers->at(1).id, quint64(2));
        QCOMPARE(peers->at(0).raftAddress, QStringLiteral("127.0.0.1:7001"));
        QCOMPARE(peers->at(0).clientAddress, QStringLiteral("127.0.0.1:8001"));
        QVERIFY(!parseSimPeers(QStringLiteral("x=1:2/3:4")));
        QVERIFY(!parseSimPeers(QStringLiteral("1=127.0.0.1:7001")));
    }

    // The gateway's source of heard chat: per avatar, in tick order, only the span asked for,
    // bounded, and ticks no longer kept are counted instead of given.
    void heardLinesAreKeptBoundedPerAvatar()
    {
        SimStateMachineOptions options;
        options.heardHistory = 8;
        SimStateMachine machine(options);
        SimStateMachine twin(options);
        auto enter = [](quint64 seq, sim::AvatarId avatar, int x) {
            sim::AvatarEnter a;
            a.avatar = avatar;
            a.account = avatar;
            a.name = "a" + std::to_string(avatar);
            a.position = FVec3 { Fixed::fromInt(x), Fixed::fromInt(10), Fixed::zero() };
            return Action { { 9, seq }, SimStateMachine::encodeAction(a) };
        };
        auto say = [](quint64 seq, sim::AvatarId avatar, const std::string &text) {
            sim::AvatarChat chat;
            chat.avatar = avatar;
            chat.text = text;
            return Action { { 9, seq }, SimStateMachine::encodeAction(chat) };
        };
        std::vector<QByteArray> entries {
            entry({ enter(1, 1, 10), enter(2, 2, 15), enter(3, 3, 100) }),
            entry({ say(4, 1, "one") }), entry({}), entry({ say(5, 2, "two") }),
            entry({ say(6, 3, "far") })
        };
        quint64 index = 0;
        for (const QByteArray &bytes : entries) {
            ++index;
            machine.apply(index, bytes);
            twin.apply(index, bytes);
        }
        // Avatar 1 hears itself and avatar 2 (5 m away), not avatar 3 (90 m away).
        const auto heard = machine.heardBy(1, 0, 5);
        QCOMPARE(heard.lines.size(), size_t(2));
        QCOMPARE(heard.missedTicks, quint64(0));
        QCOMPARE(heard.lines[0].first, quint64(2));
        QCOMPARE(heard.lines[0].second.text, std::string("one"));
        QVERIFY(heard.lines[0].second.fromAvatar);
        QCOMPARE(heard.lines[1].first, quint64(4));
        QCOMPARE(heard.lines[1].second.speaker, quint64(2));
        QCOMPARE(machine.heardBy(1, 2, 5).lines.size(), size_t(1));
        QCOMPARE(machine.heardBy(1, 0, 3).lines.size(), size_t(1));
        QCOMPARE(machine.heardBy(1, 5, 5).lines.size(), size_t(0));
        QCOMPARE(machine.heardBy(3, 0, 5).lines.size(), size_t(1));
        QCOMPARE(machine.heardBy(3, 0, 5).lines[0].second.text, std::string("far"));
        QCOMPARE(machine.heardBy(4, 0, 5).lines.size(), size_t(0));
        // Every replica hears the same.
        const auto other = twin.heardBy(1, 0, 5);
        QCOMPARE(other.lines.size(), heard.lines.size());
        for (size_t i = 0; i < heard.lines.size(); ++i) {
            QCOMPARE(other.lines[i].first, heard.lines[i].first);
            QCOMPARE(other.lines[i].second.text, heard.lines[i].second.text);
        }
        // Past the kept history: the old ticks are counted as missed, newer lines still come.
        for (int i = 0; i < 10; ++i)
            machine.apply(++index, entry({}));
        machine.apply(++index, entry({ say(7, 1, "late") }));
        const quint64 now = machine.view().tick;
        const auto late = machine.heardBy(1, 0, now);
        QCOMPARE(late.lines.size(), size_t(1));
        QCOMPARE(late.lines[0].second.text, std::string("late"));
        QCOMPARE(late.missedTicks, now - options.heardHistory);
        QCOMPARE(machine.heardBy(1, now - 2, now).missedTicks, quint64(0));
    }
};

QTEST_GUILESS_MAIN(SimStateMachineTest)
#include "tst_SimStateMachine.moc"
