// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "raynet/Messages.h"
#include "raynet/Node.h"

#include <QCborArray>
#include <QCborMap>
#include <QCborValue>
#include <QTest>

#include <cmath>

using namespace metatopia::raynet;

// The wire form of the protocol and the validation of what arrives, and a node's reaction to
// malformed or lying input fed to it directly.
class MessagesTest : public QObject
{
    Q_OBJECT

    static Descriptor desc(PeerId id, double x, double y, std::uint32_t v = 1)
    {
        return { id, v, Point { x, y, 0, 0 } };
    }

    static std::vector<Message> samples()
    {
        const Descriptor s = desc(42, 0.25, 0.75, 3);
        const std::vector<Descriptor> list { desc(1, 0.1, 0.2),
            desc(0xfedcba9876543210ULL, 1, 0, 9) };
        Route route { 7, RouteKind::Range, desc(5, 0.5, 0.5), Point { 0.3, 0.4, 0, 0 },
            Region::box(Point { 0.1, 0.1, 0, 0 }, Point { 0.2, 0.3, 0, 0 }), 12 };
        return {
            { s, Hello { list, true } },
            { s, Shuffle { list, true } },
            { s, Ping { true } },
            { s, route },
            { s, RouteDone { 99, RouteKind::Join, 4, list, { desc(3, 0.9, 0.9) } } },
            { s,
                RangeFlood {
                    8, desc(6, 0.1, 0.1), Region::ball(Point { 0.5, 0.5, 0, 0 }, 0.125), 3 } },
            { s, RangeHit { 8, 5 } },
            { s, Leave { list } },
        };
    }

private slots:
    void roundTrip()
    {
        for (const Message &m : samples()) {
            const QByteArray bytes = encodeMessage(m);
            QString error;
            const auto back = decodeMessage(bytes, &error);
            QVERIFY2(back.has_value(), qPrintable(error));
            QVERIFY(*back == m);
            QCOMPARE(validateMessage(*back, 42, Space {}, Limits {}), Rejection::None);
        }
    }

    void malformedBytesAreRejected()
    {
        const QByteArray good = encodeMessage(samples().front());
        QString error;
        QVERIFY(!decodeMessage(QByteArray(), &error));
        QVERIFY(!error.isEmpty());
        QVERIFY(!decodeMessage(QByteArray("\xff\x00garbage", 9)));
        // Every truncation of a valid message fails cleanly.
        for (int n = 0; n < good.size(); ++n)
            QVERIFY(!decodeMessage(good.left(n)));
        // Wrong protocol version, unknown type, wrong field types.
        QCborMap map = QCborValue::fromCbor(good).toMap();
        QCborMap v = map;
        v.insert(0, 2);
        QVERIFY(!decodeMessage(v.toCborValue().toCbor()));
        QCborMap t = map;
        t.insert(1, 77);
        QVERIFY(!decodeMessage(t.toCborValue().toCbor()));
        QCborMap f = map;
        f.insert(3, QStringLiteral("not a list"));
        QVERIFY(!decodeMessage(f.toCborValue().toCbor()));
        QCborMap d = map;
        d.insert(2, QCborArray { 1, 1, QCborArray { 0.1, 0.2, 0.3, 0.4, 0.5 } }); // 5 coordinates
        QVERIFY(!decodeMessage(d.toCborValue().toCbor()));
        // A list beyond the decoder's hard limit is refused before it is materialised.
        Message huge { desc(42, 0.5, 0.5),
            Hello { std::vector<Descriptor>(300, desc(1, 0.1, 0.1)), false } };
        QVERIFY(!decodeMessage(encodeMessage(huge), nullptr, 256));
    }

    void validationRejectsLies()
    {
        const Space space;
        const Limits limits;
        auto check = [&](const Message &m, PeerId from) {
            return validateMessage(m, from, space, limits);
        };
        const std::vector<Descriptor> ok { desc(1, 0.1, 0.2) };
        QCOMPARE(check({ desc(42, 0.5, 0.5), Hello { ok, false } }, 42), Rejection::None);
        // Sender must be the transport peer and sit inside the space.
        QCOMPARE(check({ desc(42, 0.5, 0.5), Hello { ok, false } }, 43), Rejection::BadSender);
        QCOMPARE(check({ desc(42, NAN, 0.5), Hello { ok, false } }, 42), Rejection::BadSender);
        QCOMPARE(check({ desc(0, 0.5, 0.5), Hello { ok, false } }, 0), Rejection::BadSender);
        // Entries: NaN, infinity, out of range, non-zero unused axis, id 0.
        for (const Descriptor &bad :
            { desc(1, NAN, 0.1), desc(1, INFINITY, 0.1), desc(1, 1.5, 0.1), desc(1, 0.1, -0.01),
                Descriptor { 1, 1, Point { 0.1, 0.1, 0.5, 0 } }, desc(0, 0.1, 0.1) }) {
            QCOMPARE(check({ desc(42, 0.5, 0.5), Shuffle { { bad }, false } }, 42),
                Rejection::BadDescriptor);
        }
        QCOMPARE(check({ desc(42, 0.5, 0.5),
                           Hello { std::vector<Descriptor>(65, desc(1, 0.1, 0.1)), false } },
                     42),
            Rejection::OversizedList);
        Route r { 1, RouteKind::Lookup, desc(5, 0.5, 0.5), Point { 2.0, 0.5, 0, 0 }, {}, 0 };
        QCOMPARE(check({ desc(42, 0.5, 0.5), r }, 42), Rejection::BadRoute);
        r.target = Point { 0.5, 0.5, 0, 0 };
        r.hops = limits.maxHops + 1;
        QCOMPARE(check({ desc(42, 0.5, 0.5), r }, 42), Rejection::BadRoute);
        RangeFlood f { 1, desc(5, 0.5, 0.5), Region::ball(Point { 0.5, 0.5, 0, 0 }, NAN), 0 };
        QCOMPARE(check({ desc(42, 0.5, 0.5), f }, 42), Rejection::BadRoute);
    }

    void nodeIgnoresBadInputAndBlacklistsLiars()
    {
        NodeConfig cfg;
        Node node(cfg, 1, Point { 0.5, 0.5, 0, 0 }, 1);
        node.bootstrapAlone();
        // An honest neighbour introduces itself.
        node.receive(2, { desc(2, 0.6, 0.5), Hello { {}, true } });
        QCOMPARE(node.neighbours().size(), std::size_t(1));
        QCOMPARE(node.takeOutbox().size(), std::size_t(1)); // the reply
        // Malformed input changes nothing and is counted.
        node.receive(3, { desc(3, NAN, 0.5), Hello { {}, true } });
        node.receive(3, { desc(4, 0.4, 0.5), Hello { {}, true } }); // sender is not the peer
        node.receive(3,
            { desc(3, 0.4, 0.5),
                Hello { std::vector<Descriptor>(500, desc(9, 0.5, 0.51)), true } });
        QCOMPARE(node.stats().rejectedMessages, std::uint64_t(3));
        QCOMPARE(node.neighbours().size(), std::size_t(1));
        QVERIFY(node.takeOutbox().empty());
        // Third-party claims never shape the cell: a forged descriptor of node 2 right next to us
        // and a phantom only earn a probe, and the neighbour keeps its first-hand position.
        node.receive(5,
            { desc(5, 0.3, 0.5),
                Hello { { desc(2, 0.5001, 0.5), desc(777, 0.5, 0.5001) }, false } });
        QCOMPARE(node.neighbours().at(2).descriptor.coords, (Point { 0.6, 0.5, 0, 0 }));
        QVERIFY(!node.neighbours().count(777));
        const auto probes = node.takeOutbox();
        QVERIFY(std::any_of(
            probes.begin(), probes.end(), [](const Envelope &e) { return e.to == 777; }));
        // The phantom cannot be reached: forgotten, routing unaffected.
        for (const Envelope &e : probes)
            if (e.to == 777)
                node.sendFailed(777, e.message);
        QVERIFY(!node.neighbours().count(777));
        // Node 2 claiming another position under the same version is lying: blacklisted.
        node.receive(2, { desc(2, 0.52, 0.5), Hello { {}, false } });
        QVERIFY(node.isBlacklisted(2));
        QVERIFY(!node.neighbours().count(2));
        QCOMPARE(node.stats().blacklisted, std::uint64_t(1));
        // A move announced with a newer version is accepted.
        node.receive(5, { desc(5, 0.35, 0.5, 2), Hello { {}, false } });
        QCOMPARE(node.neighbours().at(5).descriptor.coords, (Point { 0.35, 0.5, 0, 0 }));
        // An older version is a replay and ignored.
        node.receive(5, { desc(5, 0.3, 0.5, 1), Hello { {}, false } });
        QCOMPARE(node.neighbours().at(5).descriptor.coords, (Point { 0.35, 0.5, 0, 0 }));
    }
};

QTEST_GUILESS_MAIN(MessagesTest)
#include "MessagesTest.moc"
