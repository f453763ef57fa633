// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
// A region's physics on real Bullet: a body falls onto the ground and comes to rest, with
// quantised Fixed transforms, and the same input sequence gives exactly the same output.

#include "physics/PhysicsRegion.h"

#include "core/CoreCbor.h"

#include <QTest>

using namespace metatopia;
using namespace metatopia::physics;

namespace {

BodyDesc box(BodyId id, Fixed half = Fixed::fromRatio(1, 2))
{
    BodyDesc d;
    d.id = id;
    d.shape = Shape::Box;
    d.size = { half, half, half };
    d.mass = Fixed::one();
    return d;
}

BodyState at(std::int64_t x, std::int64_t y, std::int64_t z)
{
    BodyState s;
    s.position = { Fixed::fromInt(x), Fixed::fromInt(y), Fixed::fromInt(z) };
    return s;
}

bool onGrid(Fixed v)
{
    return v.raw() % 65536 == 0;
}

// A busy scene: boxes and spheres dropped on each other, pushed around by impulses.
QByteArray runScene()
{
    PhysicsRegion region({ 0, 0 }, PhysicsConfig {});
    QByteArray out;
    for (std::uint64_t tick = 1; tick <= 200; ++tick) {
        StepRequest request;
        request.tick = tick;
        if (tick == 1) {
            for (int i = 0; i < 20; ++i) {
                BodyDesc d = box(BodyId(100 + i));
                if (i % 3 == 0) {
                    d.shape = Shape::Sphere;
                    d.size = { Fixed::fromRatio(4, 10), Fixed::zero(), Fixed::zero() };
                }
                BodyState s = at(100 + (i % 4), 100 + (i % 3), 2 + 2 * i);
                s.rotation = FQuat::fromAxisAngle(FVec3::unitX(), Fixed::fromRatio(i, 7));
                request.changes.push_back(AddBody { d, s });
            }
        }
        if (tick % 37 == 0) {
            request.changes.push_back(ApplyImpulse { BodyId(100 + tick % 20),
                { Fixed::fromInt(3), Fixed::fromInt(-2), Fixed::fromInt(4) } });
        }
        if (tick == 120)
            request.changes.push_back(RemoveBody { 105 });
        const auto reply = region.step(request);
        if (!reply)
            return {};
        out += cbor::toBytes(encode(*reply));
    }
    return out;
}

} // namespace

class PhysicsWorldTest : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void fallsOntoGroundAndRests()
    {
        PhysicsRegion region({ 0, 0 }, PhysicsConfig {});
        std::vector<TransformEvent> transforms;
        std::vector<std::uint64_t> transformTicks;
        std::vector<CollisionEvent> collisions;
        for (std::uint64_t tick = 1; tick <= 360; ++tick) {
            StepRequest request;
            request.tick = tick;
            if (tick == 1)
                request.changes.push_back(AddBody { box(1), at(10, 20, 10) });
            const auto reply = region.step(request);
            QVERIFY2(reply, qPrintable(reply.error()));
            QVERIFY(reply->refused.empty());
            for (const PhysicsEvent &event : reply->events) {
                if (const auto *t = std::get_if<TransformEvent>(&event)) {
                    transforms.push_back(*t);
                    transformTicks.push_back(tick);
                } else if (const auto *c = std::get_if<CollisionEvent>(&event)) {
                    collisions.push_back(*c);
                } else {
                    QFAIL("no hand-off without neighbours");
                }
            }
        }
        QVERIFY(transforms.size() > 30);
        for (const TransformEvent &t : transforms) {
            QCOMPARE(t.id, BodyId(1));
            QVERIFY(onGrid(t.position.x) && onGrid(t.position.y) && onGrid(t.position.z));
            QVERIFY(onGrid(t.rotation.w) && onGrid(t.rotation.x) && onGrid(t.rotation.y)
                && onGrid(t.rotation.z));
        }
        // It fell: z went down from 10 to half its height (lying flat), x and y stayed about the
        // same (a 14 m/s landing lets it skid a little).
        QVERIFY(transforms.front().position.z < Fixed::fromInt(10));
        const TransformEvent &last = transforms.back();
        QVERIFY2(last.position.z > Fixed::fromRatio(45, 100)
                && last.position.z < Fixed::fromRatio(55, 100),
            qPrintable(QString::number(last.position.z.toDouble())));
        QVERIFY((last.position.x - Fixed::fromInt(10)).abs() < Fixed::one());
        QVERIFY((last.position.y - Fixed::fromInt(20)).abs() < Fixed::one());
        // It rests: no transform in the last second (the body sleeps, nothing is reported).
        QVERIFY2(
            transformTicks.back() < 360 - 45, qPrintable(QString::number(transformTicks.back())));
        // It hit the ground (id 0), and the report names the body first.
        QVERIFY(!collisions.empty());
        QCOMPARE(collisions.front(), (CollisionEvent { 1, GroundId }));
        const auto info = region.body(1);
        QVERIFY(info);
        QCOMPARE(info->role, PhysicsRegion::Role::Owned);
        QCOMPARE(info->state.position, last.position);
    }

    void sameInputSameOutput()
    {
        const QByteArray first = runScene();
        QVERIFY(!first.isEmpty());
        const QByteArray second = runScene();
        QCOMPARE(second.size(), first.size());
        QVERIFY(second == first);
    }

    void refusesBadSteps()
    {
        PhysicsRegion region({ 0, 0 }, PhysicsConfig {});
        QVERIFY(region.step({ 5, {} }));
        const auto behind = region.step({ 4, {} });
        QVERIFY(!behind);
        QVERIFY(behind.error().contains(QStringLiteral("behind")));
        QVERIFY(!region.step({ 5 + 10000, {} }));
        QCOMPARE(region.tick(), std::uint64_t(5));

        StepRequest request;
        request.tick = 6;
        request.changes.push_back(AddBody { box(1), at(1, 1, 1) });
        request.changes.push_back(AddBody { box(1), at(2, 2, 2) }); // same id
        BodyDesc broken = box(2);
        broken.size.x = Fixed::fromInt(-1);
        request.changes.push_back(AddBody { broken, at(3, 3, 3) });
        request.changes.push_back(ApplyImpulse { 99, FVec3::unitX() });
        request.changes.push_back(RemoveBody { 98 });
        const auto reply = region.step(request);
        QVERIFY(reply);
        QCOMPARE(reply->refused.size(), std::size_t(4));
        QVERIFY(QString::fromStdString(reply->refused[0]).contains(QStringLiteral("id exists")));
        QVERIFY(QString::fromStdString(reply->refused[1]).contains(QStringLiteral("size")));
        QVERIFY(QString::fromStdString(reply->refused[2]).contains(QStringLiteral("not owned")));
        QCOMPARE(region.ids(PhysicsRegion::Role::Owned), std::vector<BodyId> { 1 });
    }
};

QTEST_GUILESS_MAIN(PhysicsWorldTest)
#include "PhysicsWorldTest.moc"
