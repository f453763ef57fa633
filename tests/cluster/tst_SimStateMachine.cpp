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
};

QTEST_GUILESS_MAIN(SimStateMachineTest)
#include "tst_SimStateMachine.moc"
