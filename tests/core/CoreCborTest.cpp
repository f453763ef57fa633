// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "core/CoreCbor.h"

#include "core/CoreDebug.h"

#include <QCborMap>
#include <QTest>

#include <random>

using namespace metatopia;
using namespace metatopia::literals;

namespace {

Event sampleEvent(std::mt19937_64 &rng, int variant)
{
    Event e;
    e.id = EventId(rng() | 1);
    e.tick = rng();
    e.kind = QStringLiteral("touch-ä");
    e.source = ObjectId(rng());
    switch (variant % 3) {
    case 0:
        e.target = ObjectTargets{{ObjectId(rng()), ObjectId(~std::uint64_t(0)), ObjectId(1)}};
        break;
    case 1:
        e.target = ChannelTarget{-5, FVec3{Fixed::min(), Fixed::max(), 1.25_fix}, 20_fix};
        break;
    default:
        e.target = ListenerTarget{QStringLiteral("tick")};
        break;
    }
    e.payload.insert(QStringLiteral("force"), cbor::encode(FVec3{1_fix, -2_fix, 0.5_fix}));
    e.payload.insert(QStringLiteral("note"), QStringLiteral("hello"));
    return e;
}

} // namespace

class CoreCborTest : public QObject
{
    Q_OBJECT

private slots:
    void valuesRoundTrip()
    {
        std::mt19937_64 rng(1);
        for (int i = 0; i < 1000; ++i) {
            const Fixed f = Fixed::fromRaw(static_cast<std::int64_t>(rng()));
            QCOMPARE(*cbor::decodeFixed(cbor::encode(f)), f);
            const FVec3 v{Fixed::fromRaw(static_cast<std::int64_t>(rng())),
                          Fixed::fromRaw(static_cast<std::int64_t>(rng())), Fixed::min()};
            QCOMPARE(*cbor::decodeVec3(cbor::encode(v)), v);
            const FQuat q{Fixed::max(), Fixed::fromRaw(static_cast<std::int64_t>(rng())), 0_fix, -1_fix};
            QCOMPARE(*cbor::decodeQuat(cbor::encode(q)), q);
            const ObjectId id(rng());
            QCOMPARE(*cbor::decodeId<ObjectIdTag>(cbor::encode(id)), id);
            // Through bytes too.
            const auto bytes = cbor::toBytes(cbor::encode(v));
            QCOMPARE(*cbor::decodeVec3(*cbor::fromBytes(bytes)), v);
        }
    }

    void eventsRoundTrip()
    {
        std::mt19937_64 rng(2);
        for (int i = 0; i < 300; ++i) {
            const Event e = sampleEvent(rng, i);
            const QByteArray bytes = cbor::eventToBytes(e);
            const auto back = cbor::eventFromBytes(bytes);
            QVERIFY2(back.hasValue(), qPrintable(back.error()));
            QVERIFY(*back == e);
            // Encoding is deterministic.
            QCOMPARE(cbor::eventToBytes(*back), bytes);
        }
    }

    void contentHashFollowsContent()
    {
        std::mt19937_64 rng(6);
        const Event e = sampleEvent(rng, 1);
        Event same = *cbor::eventFromBytes(cbor::eventToBytes(e));
        QCOMPARE(cbor::contentHash(same), cbor::contentHash(e));
        Event moved = e;
        std::get<ChannelTarget>(moved.target).radius += Fixed::epsilon();
        QVERIFY(cbor::contentHash(moved) != cbor::contentHash(e));
        Event other = e;
        other.payload.insert(QStringLiteral("note"), QStringLiteral("hellO"));
        QVERIFY(cbor::contentHash(other) != cbor::contentHash(e));
        // QCOMPARE prints core values readably (CoreDebug.h).
        QCOMPARE(FVec3(std::get<ChannelTarget>(same.target).origin), std::get<ChannelTarget>(e.target).origin);
        QCOMPARE(same.id, e.id);
        QCOMPARE(Fixed::one(), 1_fix);
    }

    void wrongTypesAreRejectedWithReasons()
    {
        const auto fixed = cbor::decodeFixed(QCborValue(1.5));
        QVERIFY(!fixed);
        QVERIFY2(fixed.error().contains(QStringLiteral("floating-point")), qPrintable(fixed.error()));
        QVERIFY(!cbor::decodeVec3(QCborArray{1, 2}));
        QVERIFY(!cbor::decodeVec3(QCborArray{1, 2, QStringLiteral("3")}));
        QVERIFY(cbor::decodeVec3(QCborArray{1, 2, QStringLiteral("3")}).error().contains(QStringLiteral("element 2")));
        QVERIFY(!cbor::decodeQuat(QCborArray{1, 2, 3}));
        QVERIFY(!cbor::decodeId(QCborValue(QStringLiteral("7"))));
        QVERIFY(!cbor::decodeTarget(QCborArray{9, 1}));
        QVERIFY(!cbor::decodeTarget(QCborArray{0, 5}));
        QVERIFY(!cbor::decodeTarget(QCborArray{1, 5, QCborArray{1, 2, 3}}));
        QVERIFY(!cbor::decodeTarget(QCborArray{}));

        std::mt19937_64 rng(3);
        const QCborMap good = cbor::encode(sampleEvent(rng, 0)).toMap();
        QVERIFY(cbor::decodeEvent(good));
        QCborMap noKind = good;
        noKind.remove(2);
        QVERIFY(!cbor::decodeEvent(noKind));
        QCborMap extra = good;
        extra.insert(17, 1);
        QVERIFY(!cbor::decodeEvent(extra));
        QCborMap badPayload = good;
        badPayload.insert(5, QCborArray{});
        QVERIFY(cbor::decodeEvent(badPayload).error().contains(QStringLiteral("payload")));
        QCborMap zeroId = good;
        zeroId.insert(0, 0);
        QVERIFY(!cbor::decodeEvent(zeroId));
        QVERIFY(!cbor::decodeEvent(QCborArray{}));
    }

    void truncatedAndTrailingBytesAreRejected()
    {
        std::mt19937_64 rng(4);
        for (int i = 0; i < 30; ++i) {
            const QByteArray bytes = cbor::eventToBytes(sampleEvent(rng, i));
            for (qsizetype cut = 0; cut < bytes.size(); ++cut) {
                const auto r = cbor::eventFromBytes(QByteArrayView(bytes).first(cut));
                QVERIFY2(!r, qPrintable(QString::number(cut)));
                QVERIFY(!r.error().isEmpty());
            }
            QVERIFY(!cbor::eventFromBytes(QByteArray(bytes + QByteArray(1, '\0'))));
        }
    }

    void garbageNeverCrashes()
    {
        std::mt19937_64 rng(5);
        const QByteArray valid = cbor::eventToBytes(sampleEvent(rng, 1));
        int accepted = 0;
        for (int i = 0; i < 5000; ++i) {
            QByteArray bytes;
            if (i % 2 == 0) {
                bytes.resize(qsizetype(rng() % 64));
                for (char &c : bytes)
                    c = char(rng());
            } else {
                // Mutations of a valid event reach deeper into the decoder.
                bytes = valid;
                const int flips = 1 + int(rng() % 4);
                for (int k = 0; k < flips; ++k)
                    bytes[qsizetype(rng() % std::uint64_t(bytes.size()))] = char(rng());
            }
            const auto r = cbor::eventFromBytes(bytes);
            if (r) {
                ++accepted;
                // Anything accepted re-encodes to something that decodes to the same event.
                QVERIFY(*cbor::eventFromBytes(cbor::eventToBytes(*r)) == *r);
            } else {
                QVERIFY(!r.error().isEmpty());
            }
        }
        qInfo("accepted %d of 5000 fuzzed inputs", accepted);
    }
};

QTEST_APPLESS_MAIN(CoreCborTest)
#include "CoreCborTest.moc"
