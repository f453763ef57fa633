// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "core/FQuat.h"
#include "core/FVec3.h"
#include "core/FixedMath.h"

#include <QTest>

#include <cmath>
#include <random>

using namespace metatopia;
using namespace metatopia::literals;

namespace {

long double ld(Fixed f)
{
    return static_cast<long double>(f.raw()) / 4294967296.0L;
}

Fixed randomFixed(std::mt19937_64 &rng, std::int64_t range)
{
    return Fixed::fromRaw(static_cast<std::int64_t>(rng() % std::uint64_t(2 * range * Fixed::RawOne))
                          - range * Fixed::RawOne);
}

FVec3 randomVec(std::mt19937_64 &rng, std::int64_t range)
{
    return {randomFixed(rng, range), randomFixed(rng, range), randomFixed(rng, range)};
}

bool near(FVec3 a, FVec3 b, Fixed tolerance)
{
    return (a.x - b.x).abs() <= tolerance && (a.y - b.y).abs() <= tolerance
        && (a.z - b.z).abs() <= tolerance;
}

bool sameRotation(FQuat a, FQuat b, Fixed tolerance)
{
    // q and -q are the same rotation.
    const FQuat nb{-b.w, -b.x, -b.y, -b.z};
    const auto close = [&](FQuat p, FQuat q) {
        return (p.w - q.w).abs() <= tolerance && (p.x - q.x).abs() <= tolerance
            && (p.y - q.y).abs() <= tolerance && (p.z - q.z).abs() <= tolerance;
    };
    return close(a, b) || close(a, nb);
}

} // namespace

class FVec3Test : public QObject
{
    Q_OBJECT

private slots:
    void vectorBasics()
    {
        const FVec3 a{1_fix, 2_fix, 3_fix};
        const FVec3 b{4_fix, -5_fix, 6_fix};
        QCOMPARE(a + b, (FVec3{5_fix, -3_fix, 9_fix}));
        QCOMPARE(a - b, (FVec3{-3_fix, 7_fix, -3_fix}));
        QCOMPARE(a * 2_fix, (FVec3{2_fix, 4_fix, 6_fix}));
        QCOMPARE(dot(a, b), 12_fix);
        QCOMPARE(cross(a, b), (FVec3{27_fix, 6_fix, -13_fix}));
        QCOMPARE(cross(FVec3::unitX(), FVec3::unitY()), FVec3::unitZ());
        QCOMPARE((FVec3{3_fix, 4_fix, 12_fix}).length(), 13_fix);
        QCOMPARE(distance(FVec3{1_fix, 1_fix, 1_fix}, FVec3{4_fix, 5_fix, 1_fix}), 5_fix);
        QCOMPARE(distanceSquared(FVec3{1_fix, 1_fix, 1_fix}, FVec3{4_fix, 5_fix, 1_fix}), 25_fix);
        QCOMPARE(lerp(a, b, 0.5_fix), (FVec3{2.5_fix, -1.5_fix, 4.5_fix}));
        QCOMPARE(FVec3::zero().normalized(), FVec3::zero());
        QCOMPARE((FVec3{0_fix, -7_fix, 0_fix}).normalized(), (FVec3{0_fix, -1_fix, 0_fix}));
        // Lengths do not overflow in the middle and saturate at the end.
        const FVec3 huge{Fixed::max(), Fixed::max(), Fixed::max()};
        QCOMPARE(huge.length(), Fixed::max());
        const FVec3 big{2000000000_fix, 0_fix, 0_fix};
        QCOMPARE(big.length(), 2000000000_fix);
        QCOMPARE(big.normalized(), FVec3::unitX());
    }

    void vectorAccuracy()
    {
        std::mt19937_64 rng(11);
        for (int i = 0; i < 20000; ++i) {
            const FVec3 a = randomVec(rng, 1000);
            const FVec3 b = randomVec(rng, 1000);
            const long double d = ld(a.x) * ld(b.x) + ld(a.y) * ld(b.y) + ld(a.z) * ld(b.z);
            QVERIFY(std::fabs(ld(dot(a, b)) - d) <= 0.5000001L / 4294967296.0L + std::fabs(d) * 1e-18L);
            const long double len = std::sqrt(ld(a.x) * ld(a.x) + ld(a.y) * ld(a.y) + ld(a.z) * ld(a.z));
            QVERIFY(std::fabs(ld(a.length()) - len) <= 0.5000001L / 4294967296.0L + len * 1e-18L);
            const FVec3 n = a.normalized();
            QVERIFY((n.length() - 1_fix).abs() <= Fixed::fromRaw(2));
            // a × b is perpendicular to both (up to rounding of the inputs' size).
            const FVec3 c = cross(a, b);
            QVERIFY(dot(c, a).abs() <= 1_fix);
            QVERIFY(dot(c, b).abs() <= 1_fix);
        }
    }

    void quaternionBasics()
    {
        const FVec3 v{1_fix, 2_fix, 3_fix};
        QCOMPARE(FQuat::identity().rotate(v), v);
        QCOMPARE(FQuat::identity() * FQuat::identity(), FQuat::identity());
        const FQuat quarterZ = FQuat::fromAxisAngle(FVec3::unitZ(), fmath::halfPi());
        const Fixed tol = Fixed::fromRaw(8);
        QVERIFY(near(quarterZ.rotate(FVec3::unitX()), FVec3::unitY(), tol));
        QVERIFY(near(quarterZ.rotate(FVec3::unitY()), -FVec3::unitX(), tol));
        QVERIFY(near(quarterZ.conjugate().rotate(FVec3::unitY()), FVec3::unitX(), tol));
        const FQuat quarterX = FQuat::fromAxisAngle(FVec3{5_fix, 0_fix, 0_fix}, fmath::halfPi());
        QVERIFY(near(quarterX.rotate(FVec3::unitY()), FVec3::unitZ(), tol));
        // Composition: apply X first, then Z.
        const FQuat both = quarterZ * quarterX;
        QVERIFY(near(both.rotate(FVec3::unitY()), quarterZ.rotate(quarterX.rotate(FVec3::unitY())), tol));
        QVERIFY(near(both.rotate(FVec3::unitY()), FVec3::unitZ(), tol));
        QCOMPARE(FQuat::fromAxisAngle(FVec3::zero(), 1_fix), FQuat::identity());
        QCOMPARE((FQuat{0_fix, 0_fix, 0_fix, 0_fix}).normalized(), FQuat::identity());
        QCOMPARE((FQuat{2_fix, 0_fix, 0_fix, 0_fix}).normalized(), FQuat::identity());
        QVERIFY((FQuat{1_fix, 2_fix, 3_fix, 4_fix}.normalized().length() - 1_fix).abs() <= Fixed::fromRaw(2));
    }

    void quaternionRandom()
    {
        std::mt19937_64 rng(12);
        const Fixed tol = Fixed::fromRaw(64);
        for (int i = 0; i < 5000; ++i) {
            const FQuat a = FQuat::fromAxisAngle(randomVec(rng, 10), randomFixed(rng, 10));
            const FQuat b = FQuat::fromAxisAngle(randomVec(rng, 10), randomFixed(rng, 10));
            const FVec3 v = randomVec(rng, 100);
            // Rotation keeps lengths and composes.
            QVERIFY((a.rotate(v).length() - v.length()).abs() <= Fixed::fromRaw(2048));
            QVERIFY(near((a * b).rotate(v), a.rotate(b.rotate(v)), Fixed::fromRaw(4096)));
            QVERIFY(sameRotation(a * a.conjugate(), FQuat::identity(), tol));
            QVERIFY(sameRotation(nlerp(a, b, Fixed::zero()), a, tol));
            QVERIFY(sameRotation(nlerp(a, b, Fixed::one()), b, tol));
            // Euler round trip away from gimbal lock.
            const FEuler e{randomFixed(rng, 3), Fixed::fromRaw(static_cast<std::int64_t>(rng() % (3ull << 32)) - (std::int64_t(3) << 31)),
                           randomFixed(rng, 3)};
            const FQuat q = FQuat::fromEuler(e);
            QVERIFY(sameRotation(FQuat::fromEuler(q.toEuler()), q, Fixed::fromRaw(1 << 12)));
        }
        // Gimbal lock still gives an equivalent rotation.
        const FQuat locked = FQuat::fromEuler({0.3_fix, fmath::halfPi(), 0.9_fix});
        const FEuler e = locked.toEuler();
        QCOMPARE(e.roll, Fixed::zero());
        QVERIFY(near(FQuat::fromEuler(e).rotate(FVec3::unitX()), locked.rotate(FVec3::unitX()), Fixed::fromRaw(1 << 16)));
        QVERIFY(near(FQuat::fromEuler(e).rotate(FVec3::unitY()), locked.rotate(FVec3::unitY()), Fixed::fromRaw(1 << 16)));
    }
};

QTEST_APPLESS_MAIN(FVec3Test)
#include "FVec3Test.moc"
