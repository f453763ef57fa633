// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "chat/LocalChat.h"

#include <QTest>

#include <random>

using namespace metatopia;

namespace {

Fixed metres(std::int64_t m)
{
    return Fixed::fromInt(m);
}

AvatarPosition at(Fixed x, Fixed y = Fixed::zero(), Fixed z = Fixed::zero(),
    const QString &region = QStringLiteral("home"))
{
    return AvatarPosition { region, FVec3 { x, y, z } };
}

} // namespace

class LocalChatTest : public QObject
{
    Q_OBJECT
private slots:
    void rangesAreTheDocumentedOnes()
    {
        QCOMPARE(LocalChat::range(LocalChatMode::Whisper), metres(10));
        QCOMPARE(LocalChat::range(LocalChatMode::Say), metres(20));
        QCOMPARE(LocalChat::range(LocalChatMode::Shout), metres(100));
    }

    void modeNamesRoundTrip()
    {
        for (auto mode : { LocalChatMode::Whisper, LocalChatMode::Say, LocalChatMode::Shout })
            QCOMPARE(LocalChat::modeFromName(LocalChat::modeName(mode)), mode);
        QVERIFY(!LocalChat::modeFromName(QStringLiteral("yell")).has_value());
    }

    void edgeOfRangeHearsOneStepBeyondDoesNot_data()
    {
        QTest::addColumn<int>("mode");
        QTest::addColumn<int>("rangeMetres");
        QTest::newRow("whisper") << int(LocalChatMode::Whisper) << 10;
        QTest::newRow("say") << int(LocalChatMode::Say) << 20;
        QTest::newRow("shout") << int(LocalChatMode::Shout) << 100;
    }
    void edgeOfRangeHearsOneStepBeyondDoesNot()
    {
        QFETCH(int, mode);
        QFETCH(int, rangeMetres);
        const auto m = LocalChatMode(mode);
        const auto origin = at(metres(5), metres(-3), metres(7));
        // Along each axis and in both directions: exactly on the edge hears.
        for (int axis = 0; axis < 3; ++axis) {
            for (int sign : { 1, -1 }) {
                AvatarPosition p = origin;
                Fixed *c = axis == 0 ? &p.position.x : axis == 1 ? &p.position.y : &p.position.z;
                *c = *c + metres(sign * rangeMetres);
                QVERIFY(LocalChat::inRange(origin, p, m));
                *c = *c + Fixed::fromRaw(sign); // the smallest step further
                QVERIFY(!LocalChat::inRange(origin, p, m));
            }
        }
    }

    void diagonalDistanceIsEuclidean()
    {
        // (12, 16, 0) is exactly 20 m away: heard by say, not by whisper.
        const auto a = at(metres(0));
        const auto b = at(metres(12), metres(16));
        QVERIFY(LocalChat::inRange(a, b, LocalChatMode::Say));
        QVERIFY(!LocalChat::inRange(a, b, LocalChatMode::Whisper));
        // (12, 16, 1) is sqrt(401) > 20 m although every axis is within 20 m.
        const auto c = at(metres(12), metres(16), metres(1));
        QVERIFY(!LocalChat::inRange(a, c, LocalChatMode::Say));
        QVERIFY(LocalChat::inRange(a, c, LocalChatMode::Shout));
        // Symmetric.
        QCOMPARE(LocalChat::inRange(c, a, LocalChatMode::Say), false);
        QCOMPARE(LocalChat::inRange(b, a, LocalChatMode::Say), true);
    }

    void otherRegionsNeverHear()
    {
        const auto a = at(metres(0));
        const auto b = at(metres(0), metres(0), metres(0), QStringLiteral("elsewhere"));
        QVERIFY(!LocalChat::inRange(a, b, LocalChatMode::Shout));
    }

    void farApartPositionsDoNotWrapAround()
    {
        // Raw differences of extreme coordinates overflow int64; they must still be "far".
        const auto a = at(Fixed::max());
        const auto b = at(Fixed::min());
        QVERIFY(!LocalChat::inRange(a, b, LocalChatMode::Shout));
        const auto c = at(Fixed::max(), Fixed::min(), Fixed::max());
        const auto d = at(Fixed::min(), Fixed::max(), Fixed::min());
        QVERIFY(!LocalChat::inRange(c, d, LocalChatMode::Shout));
    }

    void hearersAreSortedAndExcludeSpeaker()
    {
        AvatarPositionMap map;
        map.setPosition(QStringLiteral("speaker"), at(metres(0)));
        map.setPosition(QStringLiteral("zoe"), at(metres(5))); // whisper
        map.setPosition(QStringLiteral("adam"), at(metres(0), metres(15))); // say
        map.setPosition(QStringLiteral("mia"), at(metres(-60), metres(80))); // exactly 100: shout
        map.setPosition(QStringLiteral("far"), at(metres(101)));
        map.setPosition(
            QStringLiteral("away"), at(metres(1), metres(0), metres(0), QStringLiteral("other")));

        QCOMPARE(LocalChat::hearers(map, QStringLiteral("speaker"), LocalChatMode::Whisper),
            QStringList { QStringLiteral("zoe") });
        QCOMPARE(LocalChat::hearers(map, QStringLiteral("speaker"), LocalChatMode::Say),
            (QStringList { QStringLiteral("adam"), QStringLiteral("zoe") }));
        QCOMPARE(LocalChat::hearers(map, QStringLiteral("speaker"), LocalChatMode::Shout),
            (QStringList { QStringLiteral("adam"), QStringLiteral("mia"), QStringLiteral("zoe") }));
        // Unknown speaker: nobody.
        QVERIFY(LocalChat::hearers(map, QStringLiteral("ghost"), LocalChatMode::Shout).isEmpty());
        // Moving and removing avatars is seen by the next query.
        map.setPosition(QStringLiteral("far"), at(metres(99)));
        map.remove(QStringLiteral("zoe"));
        QCOMPARE(LocalChat::hearers(map, QStringLiteral("speaker"), LocalChatMode::Shout),
            (QStringList { QStringLiteral("adam"), QStringLiteral("far"), QStringLiteral("mia") }));
    }

    void agreesWithFVec3DistanceForNearbyAvatars()
    {
        // Random positions (fixed seed) in a 300 m cube with sub-millimetre fractions: the exact
        // comparison agrees with FVec3's 128-bit distanceSquared wherever that cannot overflow.
        std::mt19937_64 rng(20261125);
        const auto coordinate
            = [&] { return Fixed::fromRaw(std::int64_t(rng() % (std::uint64_t(300) << 32))); };
        int heardSay = 0;
        for (int i = 0; i < 20000; ++i) {
            const auto a = at(coordinate(), coordinate(), coordinate());
            const auto b = at(coordinate(), coordinate(), coordinate());
            const Fixed d2 = distanceSquared(a.position, b.position);
            for (auto mode : { LocalChatMode::Whisper, LocalChatMode::Say, LocalChatMode::Shout }) {
                const Fixed r = LocalChat::range(mode);
                QCOMPARE(LocalChat::inRange(a, b, mode), d2 <= r * r);
            }
            heardSay += LocalChat::inRange(a, b, LocalChatMode::Say) ? 1 : 0;
        }
        QVERIFY(heardSay > 0); // the sample does reach inside the ranges
    }

    void fractionalPositionsAreExact()
    {
        // 0.1 m steps built from ratios: 10 m made of a hundred 0.1 m steps stays within whisper
        // range only if it is really <= 10 m; compare against the exact ratio.
        const Fixed tenth = Fixed::fromRatio(1, 10);
        Fixed x = Fixed::zero();
        for (int i = 0; i < 100; ++i)
            x = x + tenth;
        const bool expected = x <= metres(10);
        QCOMPARE(LocalChat::inRange(at(Fixed::zero()), at(x), LocalChatMode::Whisper), expected);
    }
};

QTEST_GUILESS_MAIN(LocalChatTest)
#include "LocalChatTest.moc"
