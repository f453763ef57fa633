// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
// Real `metatopia-server --role physics` processes on 127.0.0.1, driven by PhysicsLink as a main
// sim would: a body falls and comes back as sim inputs; two processes of adjacent regions hand a
// thrown body over exactly once; garbage on the port is refused and the process keeps serving.

#include "PhysicsProcess.h"

#include "physics/PhysicsLink.h"

#include <QCborArray>
#include <QFile>
#include <QRandomGenerator>
#include <QSslSocket>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>
#include <QtEndian>
#include <array>

using namespace metatopia;
using namespace metatopia::physics;
using metatopia::test::PhysicsClient;
using metatopia::test::PhysicsProcess;

namespace {

constexpr int Wait = 15000;

const QStringList smallRegions { QStringLiteral("--physics-region-size"), QStringLiteral("64"),
    QStringLiteral("--physics-margin"), QStringLiteral("8") };

BodyDesc ball(BodyId id)
{
    BodyDesc d;
    d.id = id;
    d.shape = Shape::Sphere;
    d.size = { Fixed::one(), Fixed::zero(), Fixed::zero() };
    d.mass = Fixed::one();
    return d;
}

BodyState at(std::int64_t x, std::int64_t y, std::int64_t z, std::int64_t vx = 0)
{
    BodyState s;
    s.position = { Fixed::fromInt(x), Fixed::fromInt(y), Fixed::fromInt(z) };
    s.linearVelocity = { Fixed::fromInt(vx), Fixed::zero(), Fixed::zero() };
    return s;
}

QByteArray rawFrame(const QByteArray &payload)
{
    QByteArray frame(4, Qt::Uninitialized);
    qToBigEndian<quint32>(quint32(payload.size()), frame.data());
    return frame + payload;
}

std::unique_ptr<PhysicsLink> openLink(quint16 port, net::PinStore &pins)
{
    auto link = std::make_unique<PhysicsLink>(QStringLiteral("127.0.0.1"), port, pins);
    QSignalSpy ready(link.get(), &PhysicsLink::ready);
    link->open();
    if (!ready.wait(Wait))
        return nullptr;
    return link;
}

bool advanced(PhysicsLink &link, std::uint64_t tick)
{
    if (!link.advance(tick))
        return false;
    QElapsedTimer timer;
    timer.start();
    QSignalSpy stepped(&link, &PhysicsLink::stepped);
    while (link.answeredTick() < tick && timer.elapsed() < Wait)
        stepped.wait(100);
    return link.answeredTick() == tick;
}

} // namespace

class PhysicsProcessTest : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void linkDeliversSimInputs()
    {
        PhysicsProcess server(m_dir.filePath(QStringLiteral("solo")));
        QVERIFY2(server.start(QStringLiteral("0,0")), qPrintable(server.stderrLog()));
        net::PinStore pins(m_dir.filePath(QStringLiteral("pins-solo")));
        auto link = openLink(server.port(), pins);
        QVERIFY(link);

        BodyDesc box;
        box.id = 42;
        link->addBody(box, at(30, 40, 5));
        link->addBody(box, at(1, 1, 1)); // the same id again: refused, reported
        std::vector<sim::InputAction> actions;
        for (std::uint64_t tick = 1; tick <= 180; ++tick) {
            QVERIFY(advanced(*link, tick));
            for (auto &a : link->takeActions())
                actions.push_back(std::move(a));
        }
        const auto refused = link->takeRefused();
        QCOMPARE(refused.size(), std::size_t(1));
        QVERIFY(QString::fromStdString(refused[0]).contains(QStringLiteral("42")));
        // Transforms came as PhysicsTransform inputs for object 42, falling to rest on the
        // ground (half a metre up), and the landing as a Collision with the ground.
        int transforms = 0;
        int groundHits = 0;
        sim::PhysicsTransform last;
        for (const sim::InputAction &a : actions) {
            if (const auto *t = std::get_if<sim::PhysicsTransform>(&a)) {
                QCOMPARE(t->object, sim::ObjectId(42));
                last = *t;
                ++transforms;
            } else if (const auto *c = std::get_if<sim::Collision>(&a)) {
                QCOMPARE(c->object, sim::ObjectId(42));
                QCOMPARE(c->other, std::uint64_t(GroundId));
                ++groundHits;
            } else {
                QFAIL("only physics inputs");
            }
        }
        QVERIFY(transforms > 30);
        QVERIFY(groundHits >= 1);
        QVERIFY((last.position.z - Fixed::fromRatio(1, 2)).abs() < Fixed::fromRatio(5, 100));

        // An advance into the past is refused with a reason; the link stays usable.
        QSignalSpy failures(link.get(), &PhysicsLink::stepFailed);
        QVERIFY(link->advance(10));
        QVERIFY(failures.wait(Wait));
        QVERIFY(failures.at(0).at(1).toString().contains(QStringLiteral("behind")));
        QVERIFY(advanced(*link, 181));
        QVERIFY(server.terminate());
    }

    void twoProcessesSameInputSameOutput()
    {
        // Two separate processes of the same build, fed the same sequence, answer the same bits.
        const auto run = [&](const QString &name) {
            std::vector<std::array<std::int64_t, 9>> out;
            PhysicsProcess server(m_dir.filePath(name));
            if (!server.start(QStringLiteral("0,0")))
                return out;
            net::PinStore pins(m_dir.filePath(QStringLiteral("pins-") + name));
            auto link = openLink(server.port(), pins);
            if (!link)
                return out;
            for (int i = 0; i < 12; ++i) {
                BodyDesc d = ball(BodyId(10 + i));
                if (i % 2) {
                    d.shape = Shape::Box;
                    d.size = { Fixed::fromRatio(1, 2), Fixed::fromRatio(3, 4), Fixed::one() };
                }
                link->addBody(d, at(50 + (i % 3), 50 + (i % 2), 2 + 2 * i));
            }
            for (std::uint64_t tick = 1; tick <= 120; ++tick) {
                if (tick % 30 == 0)
                    link->applyImpulse(
                        10 + tick % 12, { Fixed::fromInt(2), Fixed::zero(), Fixed::fromInt(3) });
                if (!advanced(*link, tick))
                    return decltype(out) {};
                for (const sim::InputAction &a : link->takeActions()) {
                    if (const auto *t = std::get_if<sim::PhysicsTransform>(&a))
                        out.push_back(
                            { std::int64_t(tick), std::int64_t(t->object), t->position.x.raw(),
                                t->position.y.raw(), t->position.z.raw(), t->rotation.w.raw(),
                                t->rotation.x.raw(), t->rotation.y.raw(), t->rotation.z.raw() });
                    else if (const auto *c = std::get_if<sim::Collision>(&a))
                        out.push_back({ std::int64_t(tick), std::int64_t(c->object), -1,
                            std::int64_t(c->other), 0, 0, 0, 0, 0 });
                }
            }
            server.terminate();
            return out;
        };
        const auto first = run(QStringLiteral("same-a"));
        const auto second = run(QStringLiteral("same-b"));
        QVERIFY(first.size() > 200);
        QCOMPARE(second.size(), first.size());
        QVERIFY(second == first);
    }

    void handOffBetweenTwoProcesses_data()
    {
        QTest::addColumn<bool>("bothDial");
        QTest::newRow("z dials y") << false;
        // Two connections between the same regions: sends use one, any drop bounces the link.
        QTest::newRow("both dial") << true;
    }

    void handOffBetweenTwoProcesses()
    {
        QFETCH(bool, bothDial);
        const QString tag = bothDial ? QStringLiteral("both") : QStringLiteral("one");
        // For "both dial", Z's port is chosen first so that Y can be told about it; Y keeps
        // dialling until Z is up.
        quint16 zPort = 0;
        if (bothDial) {
            QTcpServer probe;
            QVERIFY(probe.listen(QHostAddress::LocalHost, 0));
            zPort = probe.serverPort();
        }
        PhysicsProcess y(m_dir.filePath(QStringLiteral("y-") + tag));
        QVERIFY2(y.start(QStringLiteral("0,0"),
                     smallRegions
                         + (bothDial ? QStringList { QStringLiteral("--physics-neighbours"),
                                QStringLiteral("127.0.0.1:%1").arg(zPort) }
                                     : QStringList {})),
            qPrintable(y.stderrLog()));
        PhysicsProcess z(m_dir.filePath(QStringLiteral("z-") + tag));
        QVERIFY2(z.start(QStringLiteral("1,0"),
                     smallRegions
                         + QStringList { QStringLiteral("--physics-neighbours"),
                             QStringLiteral("127.0.0.1:%1").arg(y.port()), QStringLiteral("--port"),
                             QString::number(zPort) }),
            qPrintable(z.stderrLog()));
        net::PinStore pins(m_dir.filePath(QStringLiteral("pins-yz-") + tag));
        PhysicsClient yClient(y.port(), pins);
        QVERIFY(yClient.waitReady());
        // Z dials Y; both see the link.
        QTRY_VERIFY_WITH_TIMEOUT(
            yClient.links().value_or(std::vector<RegionCoord> {}).size() == 1, Wait);
        QCOMPARE(yClient.links()->front(), (RegionCoord { 1, 0 }));
        if (bothDial) {
            // Y dials Z as well: a second connection between the two regions.
            PhysicsClient zProbe(z.port(), pins);
            QVERIFY(zProbe.waitReady());
            QTRY_VERIFY_WITH_TIMEOUT(
                zProbe.links().value_or(std::vector<RegionCoord> {}).size() == 1, Wait);
        }

        auto yLink = openLink(y.port(), pins);
        auto zLink = openLink(z.port(), pins);
        QVERIFY(yLink && zLink);
        // Thrown from x = 60 at 10 m/s towards Z's border at x = 64.
        yLink->addBody(ball(7), at(60, 32, 10, 10));
        std::uint64_t handedOffAt = 0;
        std::uint64_t arrivedAt = 0;
        std::vector<HandedOffEvent> left;
        std::vector<ArrivedEvent> arrived;
        std::uint64_t lastYTransform = 0;
        std::uint64_t firstZTransform = 0;
        for (std::uint64_t tick = 1; tick <= 90; ++tick) {
            QVERIFY(advanced(*yLink, tick));
            QVERIFY(advanced(*zLink, tick));
            for (const auto &h : yLink->takeHandedOff()) {
                left.push_back(h);
                handedOffAt = tick;
            }
            for (const auto &a : zLink->takeArrived()) {
                arrived.push_back(a);
                arrivedAt = tick;
            }
            for (const auto &a : yLink->takeActions()) {
                if (const auto *t = std::get_if<sim::PhysicsTransform>(&a); t && t->object == 7)
                    lastYTransform = tick;
            }
            for (const auto &a : zLink->takeActions()) {
                if (const auto *t = std::get_if<sim::PhysicsTransform>(&a);
                    t && t->object == 7 && !firstZTransform)
                    firstZTransform = tick;
            }
        }
        QCOMPARE(left.size(), std::size_t(1));
        QCOMPARE(left[0], (HandedOffEvent { 7, { 1, 0 } }));
        QCOMPARE(arrived.size(), std::size_t(1));
        QCOMPARE(arrived[0].desc, ball(7));
        QCOMPARE(arrived[0].from, (RegionCoord { 0, 0 }));
        QVERIFY((arrived[0].state.linearVelocity.x - Fixed::fromInt(10)).abs()
            < Fixed::fromRatio(1, 10));
        QVERIFY(arrived[0].state.position.x >= Fixed::zero()
            && arrived[0].state.position.x < Fixed::fromInt(2));
        // Reports about 7 move from Y to Z: Y's end before Z's begin.
        QVERIFY(handedOffAt > 0 && arrivedAt > 0);
        QVERIFY(lastYTransform <= handedOffAt);
        QVERIFY(firstZTransform >= arrivedAt);
        QVERIFY(firstZTransform > 0);

        // Z owns it and it flew on (about 16 m into Z after 2 s); Y does not own it.
        PhysicsClient zClient(z.port(), pins);
        QVERIFY(zClient.waitReady());
        const auto zOwned = zClient.owned();
        const auto yOwned = yClient.owned();
        QVERIFY(zOwned && yOwned);
        QVERIFY(zOwned->count(7) == 1 && yOwned->count(7) == 0);
        QVERIFY(zOwned->at(7).position.x > Fixed::fromInt(12));

        // Z dies: Y notices the link drop and keeps serving its main sim.
        z.kill();
        QTRY_VERIFY_WITH_TIMEOUT(
            yClient.links().value_or(std::vector<RegionCoord> { { 9, 9 } }).empty(), Wait);
        QVERIFY(advanced(*yLink, 91));
        QVERIFY(y.terminate());
    }

    void garbageIsRefusedAndServingGoesOn()
    {
        PhysicsProcess server(m_dir.filePath(QStringLiteral("garbage")));
        QVERIFY2(server.start(QStringLiteral("5,5")), qPrintable(server.stderrLog()));
        net::PinStore pins(m_dir.filePath(QStringLiteral("pins-garbage")));
        auto link = openLink(server.port(), pins);
        QVERIFY(link);
        link->addBody(ball(1), at(10, 10, 3));
        QVERIFY(advanced(*link, 1));

        // Not even TLS: random bytes.
        {
            QTcpSocket raw;
            QSignalSpy closed(&raw, &QTcpSocket::disconnected);
            raw.connectToHost(QStringLiteral("127.0.0.1"), server.port());
            QVERIFY(raw.waitForConnected(Wait));
            QByteArray junk(4096, Qt::Uninitialized);
            for (char &c : junk)
                c = char(QRandomGenerator::global()->bounded(256));
            raw.write(junk);
            QVERIFY(closed.wait(Wait) || raw.state() == QAbstractSocket::UnconnectedState);
        }
        // TLS, hello, then frames that are not CBOR maps: error replies, then the server hangs up.
        {
            QSslSocket raw;
            raw.setPeerVerifyMode(QSslSocket::QueryPeer);
            QSignalSpy encrypted(&raw, &QSslSocket::encrypted);
            QSignalSpy closed(&raw, &QSslSocket::disconnected);
            raw.connectToHostEncrypted(QStringLiteral("127.0.0.1"), server.port());
            QVERIFY(encrypted.wait(Wait));
            raw.write(rawFrame(QCborValue(QCborMap { { net::key::type, net::msg::hello },
                                              { net::key::version, net::ProtocolVersion } })
                                   .toCbor()));
            raw.write(rawFrame("\xff\x00junk"));
            raw.write(rawFrame(QCborValue(5).toCbor()));
            raw.write(rawFrame(QCborValue(QCborMap()).toCbor()));
            raw.write(rawFrame("more junk"));
            QVERIFY(closed.wait(Wait) || raw.state() == QAbstractSocket::UnconnectedState);
        }
        // Well-formed frames with bad physics content: clear errors, the connection stays.
        PhysicsClient client(server.port(), pins);
        QVERIFY(client.waitReady());
        QCborMap badStep;
        badStep.insert(QStringLiteral("tick"), 2);
        badStep.insert(QStringLiteral("changes"),
            QCborArray { QCborMap { { QStringLiteral("op"), QStringLiteral("impulse") },
                { QStringLiteral("id"), 1 },
                { QStringLiteral("impulse"), QCborArray { 1.5, 0, 0 } } } });
        const auto stepError = client.request(msg::step, badStep);
        QVERIFY(stepError && !net::isOk(*stepError));
        QVERIFY2(net::errorText(*stepError).contains(QStringLiteral("impulse")),
            qPrintable(net::errorText(*stepError)));
        const auto borderError
            = client.request(msg::border, encode(NeighbourBatch { { 5, 6 }, 1, {} }));
        QVERIFY(borderError && net::errorText(*borderError).contains(QStringLiteral("hello")));
        QCborMap farHello;
        farHello.insert(QStringLiteral("region"), encode(RegionCoord { 9, 9 }));
        farHello.insert(QStringLiteral("size"), qint64(Fixed::fromInt(256).raw()));
        const auto helloError = client.request(msg::hello, farHello);
        QVERIFY(helloError && net::errorText(*helloError).contains(QStringLiteral("adjacent")));
        const auto unknown = client.request(QStringLiteral("physics.explode"));
        QVERIFY(unknown && net::errorText(*unknown).contains(QStringLiteral("unknown")));
        QVERIFY(client.connection().isReady());

        // The main sim's link never noticed: it keeps stepping its ball.
        QVERIFY(server.isRunning());
        for (std::uint64_t tick = 2; tick <= 20; ++tick)
            QVERIFY(advanced(*link, tick));
        const auto owned = client.owned();
        QVERIFY(owned && owned->count(1) == 1);
        QVERIFY(owned->at(1).position.z < Fixed::fromInt(3));
        QVERIFY(server.terminate());
    }

    void tokenIsRequired()
    {
        PhysicsProcess server(m_dir.filePath(QStringLiteral("secret")));
        QVERIFY2(server.start(QStringLiteral("0,0"),
                     { QStringLiteral("--cluster-token"), QStringLiteral("s3cret") }),
            qPrintable(server.stderrLog()));
        net::PinStore pins(m_dir.filePath(QStringLiteral("pins-secret")));
        auto stranger = openLink(server.port(), pins);
        QVERIFY(stranger);
        QSignalSpy refused(stranger.get(), &PhysicsLink::stepFailed);
        stranger->addBody(ball(1), at(10, 10, 3));
        QVERIFY(stranger->advance(1));
        QVERIFY(refused.wait(Wait));
        QVERIFY(refused.at(0).at(1).toString().contains(QStringLiteral("token")));
        stranger->setToken(QStringLiteral("guess"));
        QVERIFY(stranger->advance(1));
        QVERIFY(refused.wait(Wait));

        // A neighbour without the secret is not linked.
        PhysicsProcess intruder(m_dir.filePath(QStringLiteral("intruder")));
        QVERIFY(intruder.start(QStringLiteral("1,0"),
            { QStringLiteral("--physics-neighbours"),
                QStringLiteral("127.0.0.1:%1").arg(server.port()) }));
        PhysicsClient client(server.port(), pins);
        QVERIFY(client.waitReady());
        QCborMap withToken;
        withToken.insert(QStringLiteral("token"), QStringLiteral("s3cret"));

        auto member = openLink(server.port(), pins);
        QVERIFY(member);
        member->setToken(QStringLiteral("s3cret"));
        member->addBody(ball(1), at(10, 10, 3));
        QVERIFY(advanced(*member, 1));
        QVERIFY(member->takeRefused().empty());
        const auto bodies = client.request(msg::bodies, withToken);
        QVERIFY(bodies && net::isOk(*bodies));
        QCOMPARE(bodies->value(QStringLiteral("owned")).toArray().size(), 1);
        // The intruder was told why (its log says so), and is not linked.
        const auto intruderLog = [&] {
            QFile log(intruder.stderrLog());
            return log.open(QIODevice::ReadOnly) ? QString::fromUtf8(log.readAll()) : QString();
        };
        QTRY_VERIFY_WITH_TIMEOUT(
            intruderLog().contains(QStringLiteral("wrong or missing token")), Wait);
        const auto after = client.request(msg::bodies, withToken);
        QVERIFY(after && after->value(QStringLiteral("links")).toArray().isEmpty());
        const auto anonymous = client.request(msg::bodies);
        QVERIFY(anonymous && !net::isOk(*anonymous));
        QVERIFY(server.terminate());
    }

    void configFile()
    {
        // Keys are the long options; the region's comma is left unquoted on purpose.
        const QString path = m_dir.filePath(QStringLiteral("physics.ini"));
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(QStringLiteral("role=physics\nregion=2,3\nport=0\nphysics-region-size=64\n"
                                  "physics-margin=8\ndata-dir=%1\n")
                       .arg(m_dir.filePath(QStringLiteral("configured")))
                       .toUtf8());
        file.close();
        PhysicsProcess server(m_dir.filePath(QStringLiteral("configured")));
        QVERIFY2(
            server.startWith({ QStringLiteral("--config"), path }), qPrintable(server.stderrLog()));
        QCOMPARE(server.region(), QStringLiteral("2,3"));
        net::PinStore pins(m_dir.filePath(QStringLiteral("pins-config")));
        auto link = openLink(server.port(), pins);
        QVERIFY(link);
        QVERIFY(advanced(*link, 1));
        QVERIFY(server.terminate());

        // A bad value is refused before anything starts.
        PhysicsProcess wrong(m_dir.filePath(QStringLiteral("wrong")));
        QVERIFY(!wrong.startWith({ QStringLiteral("--config"), path,
            QStringLiteral("--physics-margin"), QStringLiteral("lots") }));
        QCOMPARE(wrong.exitCode(), 2);
    }

private:
    QTemporaryDir m_dir;
};

QTEST_GUILESS_MAIN(PhysicsProcessTest)
#include "PhysicsProcessTest.moc"
