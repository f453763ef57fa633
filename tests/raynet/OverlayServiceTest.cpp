// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later

// OverlayService in one process over real TLS sockets on 127.0.0.1: address parsing, a small
// grid that finds its adjacent regions and answers lookups and range queries, an impostor
// connection that never proves its address (closed, its frames never reach the node); the nodes
// keep fewer links open than they have peers, so links are closed and reopened all the time.

#include "raynet/OverlayService.h"
#include "net/Connection.h"
#include "net/PinStore.h"
#include "net/Protocol.h"

#include <QCborArray>
#include <QTemporaryDir>
#include <QTest>

#include <memory>
#include <vector>

using namespace metatopia;
using namespace metatopia::raynet;

namespace {

constexpr int WaitMs = 30000;

class OverlayServiceTest : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    std::vector<std::unique_ptr<OverlayService>> m_services;

    OverlayService &add(double x, double y, const QStringList &seeds, int maxLinks = 64)
    {
        OverlayOptions o;
        o.dataDir = m_dir.filePath(QStringLiteral("n%1").arg(m_services.size()));
        o.seeds = seeds;
        o.position = Point { x, y };
        o.node.space.hi = 8.0;
        o.tickMs = 100;
        o.adjacencyMs = 200;
        o.verifyTimeoutMs = 3000;
        o.maxLinks = maxLinks;
        m_services.push_back(std::make_unique<OverlayService>(o));
        QString error;
        const bool started = m_services.back()->start(&error);
        if (!started)
            qWarning("%s", qPrintable(error));
        return *m_services.back();
    }

    static QSet<QString> addresses(const QList<OverlayPeer> &peers)
    {
        QSet<QString> out;
        for (const OverlayPeer &p : peers)
            out.insert(p.address);
        return out;
    }

    bool gridConverged(int width)
    {
        for (std::size_t i = 0; i < m_services.size(); ++i) {
            QSet<QString> expected;
            const int xi = int(i) % width;
            const int yi = int(i) / width;
            for (std::size_t j = 0; j < m_services.size(); ++j) {
                const int xj = int(j) % width;
                const int yj = int(j) / width;
                if (i != j && std::abs(xi - xj) <= 1 && std::abs(yi - yj) <= 1)
                    expected.insert(m_services[j]->address());
            }
            if (addresses(m_services[i]->adjacent()) != expected)
                return false;
        }
        return true;
    }

private Q_SLOTS:
    void cleanup() { m_services.clear(); }

    void addresses_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<bool>("valid");
        QTest::newRow("ipv4") << QStringLiteral("127.0.0.1:7000") << true;
        QTest::newRow("name") << QStringLiteral("sim.example.org:1") << true;
        QTest::newRow("ipv6") << QStringLiteral("[::1]:7000") << true;
        QTest::newRow("bare ipv6") << QStringLiteral("::1:7000") << false;
        QTest::newRow("no port") << QStringLiteral("127.0.0.1") << false;
        QTest::newRow("port 0") << QStringLiteral("127.0.0.1:0") << false;
        QTest::newRow("big port") << QStringLiteral("127.0.0.1:70000") << false;
        QTest::newRow("no host") << QStringLiteral(":7000") << false;
        QTest::newRow("space") << QStringLiteral("a b:1") << false;
    }
    void addresses()
    {
        QFETCH(QString, text);
        QFETCH(bool, valid);
        QCOMPARE(splitAddress(text).has_value(), valid);
    }

    void idsAndPoints()
    {
        QCOMPARE(peerIdForAddress(QStringLiteral("127.0.0.1:7000")),
            peerIdForAddress(QStringLiteral("127.0.0.1:7000")));
        QVERIFY(peerIdForAddress(QStringLiteral("127.0.0.1:7000"))
            != peerIdForAddress(QStringLiteral("127.0.0.1:7001")));
        int dims = 0;
        const auto p = parsePoint(QStringLiteral("3, 4.5,1"), &dims);
        QVERIFY(p);
        QCOMPARE(dims, 3);
        QCOMPARE((*p)[1], 4.5);
        QVERIFY(!parsePoint(QStringLiteral("3")));
        QVERIFY(!parsePoint(QStringLiteral("1,nan")));
        QVERIFY(!parsePoint(QStringLiteral("1,x")));
        QVERIFY(!parsePoint(QStringLiteral("1,2,3,4,5")));
    }

    void refusesBadOptions()
    {
        OverlayOptions o;
        o.dataDir = m_dir.filePath(QStringLiteral("bad"));
        o.position = Point { 2.0, 2.0 }; // outside the default [0, 1] space
        OverlayService outside(o);
        QString error;
        QVERIFY(!outside.start(&error));
        QVERIFY(error.contains(QStringLiteral("outside")));
        o.position = Point { 0.5, 0.5 };
        o.listenAddress = QStringLiteral("0.0.0.0:0");
        OverlayService anyAddress(o);
        QVERIFY(!anyAddress.start(&error));
        o.listenAddress = QStringLiteral("127.0.0.1:0");
        o.seeds = { QStringLiteral("nonsense") };
        OverlayService badSeed(o);
        QVERIFY(!badSeed.start(&error));
    }

    void gridQueriesAndImpostor()
    {
        // A 3x3 grid; the centre sees all eight others.
        add(0, 0, {});
        const QString seed = m_services.front()->address();
        for (int i = 1; i < 9; ++i)
            add(i % 3, i / 3, { seed }, 4); // fewer links than peers: the cache churns
        QVERIFY(QTest::qWaitFor([&] { return gridConverged(3); }, WaitMs));
        QCOMPARE(m_services[4]->adjacent().size(), 8);
        // Lookups and range queries through the service API.
        std::optional<OverlayPeer> found;
        int hops = -1;
        m_services[0]->lookup(Point { 2.0, 2.0 }, [&](std::optional<OverlayPeer> p, int h) {
            found = p;
            hops = h;
        });
        QVERIFY(QTest::qWaitFor([&] { return hops >= 0; }, WaitMs));
        QVERIFY(found);
        QCOMPARE(found->address, m_services[8]->address());
        QList<OverlayPeer> inBox;
        bool rangeDone = false;
        m_services[8]->rangeQuery(Region::box(Point { 0.5, 0.5 }, Point { 2.0, 1.5 }), 500,
            [&](const QList<OverlayPeer> &peers) {
                inBox = peers;
                rangeDone = true;
            });
        QVERIFY(QTest::qWaitFor([&] { return rangeDone; }, WaitMs));
        QCOMPARE(addresses(inBox),
            (QSet<QString> { m_services[4]->address(), m_services[5]->address() }));

        // An impostor claims to be the centre node and says it moved next to node 0. It cannot
        // return the nonce node 0 sends to the real centre: the connection is closed and node 0
        // keeps the centre where it is.
        OverlayService &victim = *m_services[0];
        OverlayService &centre = *m_services[4];
        net::PinStore pins(m_dir.filePath(QStringLiteral("impostor-pins.txt")));
        const auto parts = splitAddress(victim.address());
        auto impostor = net::Connection::connectToHost(parts->first, parts->second, pins);
        QVERIFY(QTest::qWaitFor([&] { return impostor->isReady(); }, WaitMs));
        const Descriptor forged { centre.id(), centre.node().descriptor().version + 1,
            Point { 0.2, 0.2 } };
        QCborMap frame;
        frame.insert(net::key::type, wire::message);
        frame.insert(QStringLiteral("f"), centre.address());
        frame.insert(QStringLiteral("m"), encodeMessage({ forged, Hello { {}, true } }));
        frame.insert(QStringLiteral("a"), QCborArray {});
        QVERIFY(impostor->send(frame));
        QVERIFY(QTest::qWaitFor([&] { return victim.counters().impostors >= 1; }, WaitMs));
        QVERIFY(QTest::qWaitFor(
            [&] { return impostor->state() == net::Connection::State::Closed; }, WaitMs));
        QVERIFY(victim.counters().unverifiedFrames >= 1);
        for (const auto &[id, n] : victim.node().neighbours())
            QVERIFY(n.descriptor.coords != forged.coords);
        // The honest overlay is unaffected.
        QVERIFY(QTest::qWaitFor([&] { return gridConverged(3); }, WaitMs));
    }
};

} // namespace

QTEST_MAIN(OverlayServiceTest)
#include "OverlayServiceTest.moc"
