// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
// The physics sim's messages survive a CBOR round trip exactly, and malformed ones are refused
// with an error that names the field.

#include "physics/PhysicsMessages.h"

#include "core/CoreCbor.h"

#include <QCborArray>
#include <QTest>

using namespace metatopia;
using namespace metatopia::physics;

namespace {

BodyDesc sphere(BodyId id)
{
    BodyDesc d;
    d.id = id;
    d.shape = Shape::Sphere;
    d.size = { Fixed::fromRatio(3, 4), Fixed::zero(), Fixed::zero() };
    d.mass = Fixed::fromInt(5);
    d.friction = Fixed::fromRatio(1, 3);
    d.restitution = Fixed::fromRatio(9, 10);
    return d;
}

BodyState moving()
{
    BodyState s;
    s.position = { Fixed::fromRatio(-7, 3), Fixed::fromInt(200), Fixed::fromRatio(1, 8) };
    s.rotation = FQuat::fromAxisAngle(FVec3::unitZ(), Fixed::fromRatio(1, 2));
    s.linearVelocity = { Fixed::fromInt(3), Fixed::zero(), Fixed::fromInt(-9) };
    s.angularVelocity = { Fixed::zero(), Fixed::fromRatio(1, 5), Fixed::zero() };
    return s;
}

QCborMap validRequest()
{
    StepRequest r;
    r.tick = 12;
    r.changes.push_back(AddBody { sphere(1), moving() });
    return encode(r);
}

} // namespace

class PhysicsMessagesTest : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void stepRequestRoundTrip()
    {
        StepRequest r;
        r.tick = 99;
        r.changes.push_back(AddBody { sphere(0xffffffffffffff01ull), moving() });
        r.changes.push_back(RemoveBody { 4 });
        r.changes.push_back(
            ApplyImpulse { 5, { Fixed::fromInt(1), Fixed::fromInt(2), Fixed::fromInt(3) } });
        r.changes.push_back(SetVelocity { 6, FVec3::unitX(), FVec3::unitZ() });
        // Through bytes, as on the wire.
        const auto bytes = cbor::toBytes(encode(r));
        const auto value = cbor::fromBytes(bytes);
        QVERIFY(value && value->isMap());
        const auto back = decodeStepRequest(value->toMap());
        QVERIFY2(back, qPrintable(back.error()));
        QCOMPARE(back->tick, std::uint64_t(99));
        QCOMPARE(back->changes.size(), std::size_t(4));
        const auto &add = std::get<AddBody>(back->changes[0]);
        QCOMPARE(add.desc, sphere(0xffffffffffffff01ull));
        QCOMPARE(add.state.position, moving().position);
        QCOMPARE(add.state.linearVelocity, moving().linearVelocity);
        QCOMPARE(std::get<RemoveBody>(back->changes[1]).id, BodyId(4));
        QCOMPARE(std::get<ApplyImpulse>(back->changes[2]).impulse.z, Fixed::fromInt(3));
        QCOMPARE(std::get<SetVelocity>(back->changes[3]).angular, FVec3::unitZ());
    }

    void stepReplyRoundTrip()
    {
        StepReply r;
        r.tick = 7;
        r.events.push_back(TransformEvent { 1, moving().position, moving().rotation });
        r.events.push_back(CollisionEvent { 1, GroundId });
        r.events.push_back(HandedOffEvent { 2, { -1, 3 } });
        r.events.push_back(ArrivedEvent { sphere(3), moving(), { 4, -5 } });
        r.refused.push_back("add 9: id exists");
        const auto back = decodeStepReply(encode(r));
        QVERIFY2(back, qPrintable(back.error()));
        QCOMPARE(back->events.size(), std::size_t(4));
        QVERIFY(back->events == r.events);
        QCOMPARE(back->refused, r.refused);
    }

    void neighbourBatchRoundTrip()
    {
        NeighbourBatch b;
        b.from = { 2, 3 };
        b.tick = 1000;
        b.messages.push_back(GhostUpdate { sphere(1), moving() });
        b.messages.push_back(GhostRemove { 2 });
        b.messages.push_back(HandoffOffer { 10, sphere(3), moving() });
        b.messages.push_back(HandoffAccept { 11 });
        b.messages.push_back(HandoffReject { 12, "owned here" });
        b.messages.push_back(HandoffAbort { 13 });
        b.messages.push_back(HandoffCommit { 14, sphere(4), moving() });
        b.messages.push_back(HandoffCommitAck { 15, false });
        const auto back = decodeNeighbourBatch(encode(b));
        QVERIFY2(back, qPrintable(back.error()));
        QCOMPARE(back->from, b.from);
        QCOMPARE(back->tick, b.tick);
        QCOMPARE(back->messages.size(), b.messages.size());
        QCOMPARE(std::get<GhostUpdate>(back->messages[0]).desc, sphere(1));
        QCOMPARE(std::get<GhostRemove>(back->messages[1]).id, BodyId(2));
        QCOMPARE(std::get<HandoffOffer>(back->messages[2]).handoff, std::uint64_t(10));
        QCOMPARE(std::get<HandoffAccept>(back->messages[3]).handoff, std::uint64_t(11));
        QCOMPARE(std::get<HandoffReject>(back->messages[4]).reason, std::string("owned here"));
        QCOMPARE(std::get<HandoffAbort>(back->messages[5]).handoff, std::uint64_t(13));
        QCOMPARE(std::get<HandoffCommit>(back->messages[6]).state.position, moving().position);
        QCOMPARE(std::get<HandoffCommitAck>(back->messages[7]).taken, false);
    }

    void malformedRequests_data()
    {
        QTest::addColumn<QString>("path"); // what to break, see below
        QTest::addColumn<QCborValue>("value");
        QTest::addColumn<QString>("expected"); // part of the error text
        QTest::newRow("tick missing") << "tick" << QCborValue() << "tick";
        QTest::newRow("tick negative") << "tick" << QCborValue(-1) << "tick";
        QTest::newRow("tick text") << "tick" << QCborValue(QStringLiteral("5")) << "tick";
        QTest::newRow("changes not array") << "changes" << QCborValue(3) << "changes";
        QTest::newRow("change not map") << "change" << QCborValue(7) << "change 0";
        QTest::newRow("unknown op") << "op" << QCborValue(QStringLiteral("explode")) << "op";
        QTest::newRow("id zero") << "id" << QCborValue(0) << "ground";
        QTest::newRow("id text") << "id" << QCborValue(QStringLiteral("x")) << "id";
        QTest::newRow("shape") << "shape" << QCborValue(QStringLiteral("cone")) << "shape";
        QTest::newRow("size double")
            << "size" << QCborValue(QCborArray { 1.5, 1.5, 1.5 }) << "size";
        QTest::newRow("size short") << "size" << QCborValue(QCborArray { 1, 2 }) << "size";
        QTest::newRow("size negative")
            << "size"
            << QCborValue(QCborArray { -(qint64(1) << 32), qint64(1) << 32, qint64(1) << 32 })
            << "size";
        QTest::newRow("mass huge")
            << "mass" << QCborValue(std::numeric_limits<qint64>::max()) << "mass";
        QTest::newRow("mass negative") << "mass" << QCborValue(-(qint64(1) << 32)) << "mass";
        QTest::newRow("restitution")
            << "restitution" << QCborValue(qint64(2) << 32) << "restitution";
        QTest::newRow("position far")
            << "p" << QCborValue(QCborArray { std::numeric_limits<qint64>::max(), 0, 0 }) << "p";
        QTest::newRow("rotation zero")
            << "r" << QCborValue(QCborArray { 0, 0, 0, 0 }) << "rotation";
        QTest::newRow("velocity huge")
            << "v" << QCborValue(QCborArray { qint64(1) << 60, 0, 0 }) << "v";
    }

    void malformedRequests()
    {
        QFETCH(QString, path);
        QFETCH(QCborValue, value);
        QFETCH(QString, expected);
        QCborMap message = validRequest();
        QVERIFY(decodeStepRequest(message));
        QCborArray changes = message.value(QStringLiteral("changes")).toArray();
        QCborMap change = changes.at(0).toMap();
        QCborMap body = change.value(QStringLiteral("body")).toMap();
        QCborMap state = change.value(QStringLiteral("state")).toMap();
        if (path == QLatin1String("tick") || path == QLatin1String("changes")) {
            if (value.isUndefined())
                message.remove(path);
            else
                message.insert(path, value);
        } else {
            if (path == QLatin1String("change"))
                changes[0] = value;
            else if (path == QLatin1String("op"))
                change.insert(path, value);
            else if (path == QLatin1String("p") || path == QLatin1String("r")
                || path == QLatin1String("v"))
                state.insert(path, value);
            else
                body.insert(path, value);
            if (path != QLatin1String("change")) {
                change.insert(QStringLiteral("body"), body);
                change.insert(QStringLiteral("state"), state);
                changes[0] = change;
            }
            message.insert(QStringLiteral("changes"), changes);
        }
        const auto decoded = decodeStepRequest(message);
        QVERIFY(!decoded);
        QVERIFY2(decoded.error().contains(expected), qPrintable(decoded.error()));
    }

    void malformedNeighbourMessages()
    {
        QCborMap batch = encode(NeighbourBatch { { 1, 0 }, 5, { HandoffAccept { 3 } } });
        QVERIFY(decodeNeighbourBatch(batch));
        QCborMap bad = batch;
        bad.insert(QStringLiteral("from"), QCborArray { qint64(1) << 40, 0 });
        QVERIFY(!decodeNeighbourBatch(bad));
        bad = batch;
        bad.insert(QStringLiteral("messages"),
            QCborArray { QCborMap { { QStringLiteral("m"), QStringLiteral("accept") } } });
        const auto noHandoff = decodeNeighbourBatch(bad);
        QVERIFY(!noHandoff);
        QVERIFY2(
            noHandoff.error().contains(QStringLiteral("\"h\"")), qPrintable(noHandoff.error()));
        bad.insert(QStringLiteral("messages"),
            QCborArray { QCborMap { { QStringLiteral("m"), QStringLiteral("teleport") } } });
        QVERIFY(!decodeNeighbourBatch(bad));
        QVERIFY(!decodeStepReply(QCborMap {}));
    }
};

QTEST_GUILESS_MAIN(PhysicsMessagesTest)
#include "PhysicsMessagesTest.moc"
