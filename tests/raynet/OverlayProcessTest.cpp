// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later

// RayNet over TCP with real metatopia-server processes on 127.0.0.1 (issue 7):
//  - 20 nodes (--role raynet) for the regions of a 5x4 grid join through one seed; each finds
//    exactly the regions around it; one is killed with SIGKILL, its neighbours drop it and
//    routing to every live region still works; a newcomer takes the freed region and is found;
//  - a --role sim replica with --region finds its neighbours through the overlay it runs;
//  - hostile input: raw garbage, malformed overlay frames, an impostor speaking for an honest
//    node and a lying peer (a real overlay node in this process that sends forged gossip) do
//    not change what the honest nodes find or where their lookups end.

#include "net/Connection.h"
#include "net/PinStore.h"
#include "net/Protocol.h"
#include "raynet/OverlayService.h"

#include <QCborArray>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QHash>
#include <QProcess>
#include <QRandomGenerator>
#include <QSet>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <memory>
#include <vector>

using namespace metatopia;
using namespace metatopia::raynet;

namespace {

constexpr int StartMs = 20000;
constexpr int ConvergeMs = 60000;
constexpr int RequestMs = 10000;

struct Cell
{
    int x = 0;
    int y = 0;
    friend bool operator==(const Cell &, const Cell &) = default;
};

// One metatopia-server --role raynet process.
class NodeProcess
{
public:
    NodeProcess(const QString &dataDir, Cell cell)
        : m_dataDir(dataDir)
        , m_cell(cell)
    { }
    ~NodeProcess()
    {
        if (m_process.state() != QProcess::NotRunning) {
            m_process.terminate();
            if (!m_process.waitForFinished(3000))
                m_process.kill();
            m_process.waitForFinished(3000);
        }
    }

    // roleArgs: "--role raynet" by default; a sim replica brings its own.
    void start(const QStringList &seeds, int worldSize, const QStringList &roleArgs = {})
    {
        m_process.setProgram(QStringLiteral(METATOPIA_BIN_DIR "/metatopia-server"));
        QStringList args = roleArgs.isEmpty()
            ? QStringList { QStringLiteral("--role"), QStringLiteral("raynet") }
            : roleArgs;
        args << QStringList { QStringLiteral("--data-dir"), m_dataDir,
            QStringLiteral("--raynet-listen"), QStringLiteral("127.0.0.1:0"),
            QStringLiteral("--region"), QStringLiteral("%1,%2").arg(m_cell.x).arg(m_cell.y),
            QStringLiteral("--raynet-world-size"), QString::number(worldSize),
            QStringLiteral("--raynet-tick-ms"), QStringLiteral("200"),
            QStringLiteral("--raynet-adjacency-ms"), QStringLiteral("400") };
        if (!seeds.isEmpty())
            args << QStringLiteral("--raynet-seeds") << seeds.join(QLatin1Char(','));
        m_process.setArguments(args);
        m_process.setStandardErrorFile(m_dataDir + QStringLiteral("/stderr.log"));
        m_process.start();
    }

    // Reads "RAYNET LISTENING host:port" from stdout.
    bool poll()
    {
        m_out += m_process.readAllStandardOutput();
        const qsizetype at = m_out.indexOf("RAYNET LISTENING ");
        if (at < 0 || m_out.indexOf('\n', at) < 0)
            return false;
        const qsizetype end = m_out.indexOf('\n', at);
        m_address = QString::fromUtf8(m_out.mid(at + 17, end - at - 17)).trimmed();
        return true;
    }

    void kill()
    {
        m_process.kill(); // SIGKILL: no goodbye to anyone
        m_process.waitForFinished(5000);
    }
    bool running() const { return m_process.state() != QProcess::NotRunning; }
    QString address() const { return m_address; }
    Cell cell() const { return m_cell; }
    bool logContains(const QString &text) const
    {
        QFile f(m_dataDir + QStringLiteral("/stderr.log"));
        return f.open(QIODevice::ReadOnly) && QString::fromUtf8(f.readAll()).contains(text);
    }
    QString log() const
    {
        QFile f(m_dataDir + QStringLiteral("/stderr.log"));
        return f.open(QIODevice::ReadOnly) ? QString::fromUtf8(f.readAll().right(3000)) : QString();
    }

private:
    QString m_dataDir;
    Cell m_cell;
    QProcess m_process;
    QByteArray m_out;
    QString m_address;
};

// Query connections to the nodes' overlay ports, one per address, kept open.
class Queries
{
public:
    explicit Queries(const QString &pinFile)
        : m_pins(pinFile)
    { }

    net::Connection *connection(const QString &address)
    {
        auto it = m_connections.find(address);
        if (it != m_connections.end() && it->second->state() != net::Connection::State::Closed)
            return it->second.get();
        const auto parts = splitAddress(address);
        if (!parts)
            return nullptr;
        auto c = net::Connection::connectToHost(parts->first, parts->second, m_pins);
        net::Connection *raw = c.get();
        QObject::connect(
            raw, &net::Connection::messageReceived, raw, [this, raw](const QCborMap &m) {
                if (const auto id = net::requestId(m))
                    m_replies.insert({ raw->connectionId(), *id }, m);
            });
        m_connections[address] = std::move(c);
        return raw;
    }

    // Sends all requests, then waits (bounded) for every reply. Missing replies are empty maps.
    std::vector<QCborMap> ask(const std::vector<std::pair<QString, QCborMap>> &requests)
    {
        std::vector<QPointer<net::Connection>> conns;
        for (const auto &r : requests)
            conns.push_back(connection(r.first));
        // Missing replies come back as empty maps; callers check what they got.
        (void)QTest::qWaitFor(
            [&] {
                return std::all_of(conns.begin(), conns.end(), [](const auto &c) {
                    return !c || c->isReady() || c->state() == net::Connection::State::Closed;
                });
            },
            RequestMs);
        // Request ids are per connection.
        std::vector<std::pair<quint64, quint64>> ids;
        for (std::size_t i = 0; i < requests.size(); ++i)
            ids.emplace_back(conns[i] ? conns[i]->connectionId() : 0,
                conns[i] && conns[i]->isReady() ? conns[i]->request(requests[i].second) : 0);
        (void)QTest::qWaitFor(
            [&] {
                return std::all_of(ids.begin(), ids.end(),
                    [&](const auto &id) { return id.second == 0 || m_replies.contains(id); });
            },
            RequestMs);
        std::vector<QCborMap> out;
        for (const auto &id : ids)
            out.push_back(m_replies.take(id));
        return out;
    }

    QCborMap status(const QString &address)
    {
        return ask({ { address, net::makeMessage(wire::neighbours) } }).front();
    }

private:
    net::PinStore m_pins;
    std::map<QString, std::unique_ptr<net::Connection>> m_connections;
    QHash<std::pair<quint64, quint64>, QCborMap> m_replies; // (connection, request id)
};

QCborArray pointArray(Cell c)
{
    return QCborArray { double(c.x), double(c.y) };
}

Cell cellOf(const QCborValue &peer)
{
    const QCborArray p = peer.toMap().value(QStringLiteral("p")).toArray();
    return Cell { int(p.at(0).toDouble()), int(p.at(1).toDouble()) };
}

bool adjacentCells(Cell a, Cell b)
{
    return !(a == b) && std::abs(a.x - b.x) <= 1 && std::abs(a.y - b.y) <= 1;
}

class OverlayProcessTest : public QObject
{
    Q_OBJECT

private:
    std::vector<std::unique_ptr<NodeProcess>> m_nodes;
    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<Queries> m_queries;

    NodeProcess &launch(
        Cell cell, const QStringList &seeds, int worldSize, const QStringList &roleArgs = {})
    {
        const QString dir = m_dir->filePath(
            QStringLiteral("node-%1-%2-%3").arg(cell.x).arg(cell.y).arg(m_nodes.size()));
        QDir().mkpath(dir);
        m_nodes.push_back(std::make_unique<NodeProcess>(dir, cell));
        m_nodes.back()->start(seeds, worldSize, roleArgs);
        return *m_nodes.back();
    }

    bool waitListening()
    {
        return QTest::qWaitFor(
            [&] {
                return std::all_of(m_nodes.begin(), m_nodes.end(),
                    [](const auto &n) { return !n->running() || n->poll(); });
            },
            StartMs);
    }

    std::vector<NodeProcess *> live()
    {
        std::vector<NodeProcess *> out;
        for (auto &n : m_nodes)
            if (n->running())
                out.push_back(n.get());
        return out;
    }

    // Every live node reports exactly the live nodes of the cells around it, with their
    // addresses. Returns a description of the first mismatch (empty when all agree).
    QString adjacencyMismatch()
    {
        const auto nodes = live();
        std::vector<std::pair<QString, QCborMap>> requests;
        for (NodeProcess *n : nodes)
            requests.emplace_back(n->address(), net::makeMessage(wire::neighbours));
        const auto replies = m_queries->ask(requests);
        for (std::size_t i = 0; i < nodes.size(); ++i) {
            QSet<QString> expected;
            for (NodeProcess *o : nodes)
                if (adjacentCells(nodes[i]->cell(), o->cell()))
                    expected.insert(o->address());
            QSet<QString> found;
            for (const QCborValue &p : replies[i].value(QStringLiteral("adjacent")).toArray()) {
                found.insert(p.toMap().value(QStringLiteral("a")).toString());
                // The position each node reports is the one its region stands for.
                for (NodeProcess *o : nodes)
                    if (o->address() == p.toMap().value(QStringLiteral("a")).toString()
                        && !(cellOf(p) == o->cell()))
                        return QStringLiteral("wrong position for %1").arg(o->address());
            }
            if (found != expected)
                return QStringLiteral("(%1,%2) %3 finds [%4], expected [%5]")
                    .arg(nodes[i]->cell().x)
                    .arg(nodes[i]->cell().y)
                    .arg(nodes[i]->address(), QStringList(found.values()).join(QLatin1Char(' ')),
                        QStringList(expected.values()).join(QLatin1Char(' ')));
        }
        return {};
    }

    // A lookup from every live node to every live node's region ends at that node.
    QString routingMismatch()
    {
        const auto nodes = live();
        std::vector<std::pair<QString, QCborMap>> requests;
        std::vector<std::pair<NodeProcess *, NodeProcess *>> pairs;
        for (NodeProcess *from : nodes) {
            for (NodeProcess *to : nodes) {
                QCborMap r = net::makeMessage(wire::lookup);
                r.insert(QStringLiteral("p"), pointArray(to->cell()));
                requests.emplace_back(from->address(), r);
                pairs.emplace_back(from, to);
            }
        }
        const auto replies = m_queries->ask(requests);
        int wrong = 0;
        QString first;
        for (std::size_t i = 0; i < replies.size(); ++i) {
            if (replies[i].value(QStringLiteral("a")).toString() != pairs[i].second->address()) {
                if (wrong++ == 0)
                    first = QStringLiteral("lookup from %1 to (%2,%3) ended at \"%4\" (%5)")
                                .arg(pairs[i].first->address())
                                .arg(pairs[i].second->cell().x)
                                .arg(pairs[i].second->cell().y)
                                .arg(replies[i].value(QStringLiteral("a")).toString(),
                                    net::errorText(replies[i]));
            }
        }
        return wrong
            ? QStringLiteral("%1 of %2 lookups wrong; %3").arg(wrong).arg(replies.size()).arg(first)
            : QString();
    }

    void startGrid(int width, int height, int worldSize)
    {
        m_dir = std::make_unique<QTemporaryDir>();
        QVERIFY(m_dir->isValid());
        m_queries = std::make_unique<Queries>(m_dir->filePath(QStringLiteral("pins.txt")));
        NodeProcess &seed = launch({ 0, 0 }, {}, worldSize);
        QVERIFY2(QTest::qWaitFor([&] { return seed.poll(); }, StartMs), qPrintable(seed.log()));
        for (int y = 0; y < height; ++y)
            for (int x = 0; x < width; ++x)
                if (x != 0 || y != 0)
                    launch({ x, y }, { seed.address() }, worldSize);
        QVERIFY(waitListening());
        for (auto &n : m_nodes)
            QVERIFY2(n->running() && !n->address().isEmpty(),
                qPrintable(
                    QStringLiteral("(%1,%2): %3").arg(n->cell().x).arg(n->cell().y).arg(n->log())));
    }

private Q_SLOTS:
    void cleanup()
    {
        m_queries.reset();
        m_nodes.clear();
        m_dir.reset();
    }

    void gridFindsAdjacentRegionsAndRepairs()
    {
        QElapsedTimer total;
        total.start();
        startGrid(5, 4, 16);
        if (QTest::currentTestFailed())
            return;

        QString why;
        QVERIFY2(QTest::qWaitFor([&] { return (why = adjacencyMismatch()).isEmpty(); }, ConvergeMs),
            qPrintable(why));
        qInfo("20 nodes found their adjacent regions after %lld ms", total.elapsed());
        QVERIFY2(QTest::qWaitFor([&] { return (why = routingMismatch()).isEmpty(); }, ConvergeMs),
            qPrintable(why));

        // SIGKILL the node of region (2,1), which has 8 neighbours.
        NodeProcess *victim = nullptr;
        for (auto &n : m_nodes)
            if (n->cell() == Cell { 2, 1 })
                victim = n.get();
        QVERIFY(victim);
        const QString victimAddress = victim->address();
        victim->kill();
        QElapsedTimer repair;
        repair.start();
        QVERIFY2(QTest::qWaitFor([&] { return (why = adjacencyMismatch()).isEmpty(); }, ConvergeMs),
            qPrintable(why));
        QVERIFY2(QTest::qWaitFor([&] { return (why = routingMismatch()).isEmpty(); }, ConvergeMs),
            qPrintable(why));
        // Nobody keeps the dead node as a Voronoi neighbour.
        QVERIFY2(
            QTest::qWaitFor(
                [&] {
                    for (NodeProcess *n : live())
                        for (const QCborValue &p : m_queries->status(n->address())
                                                       .value(QStringLiteral("voronoi"))
                                                       .toArray())
                            if (p.toMap().value(QStringLiteral("a")).toString() == victimAddress)
                                return false;
                    return true;
                },
                ConvergeMs),
            "a live node still lists the killed node as a neighbour");
        qInfo("overlay repaired %lld ms after the kill", repair.elapsed());

        // A newcomer takes the freed region, joining through another node than the seed.
        QString contact;
        for (auto &n : m_nodes)
            if (n->cell() == Cell { 4, 3 })
                contact = n->address();
        NodeProcess &fresh = launch({ 2, 1 }, { contact }, 16);
        QVERIFY2(QTest::qWaitFor([&] { return fresh.poll(); }, StartMs), qPrintable(fresh.log()));
        if (!QTest::qWaitFor([&] { return (why = adjacencyMismatch()).isEmpty(); }, ConvergeMs)) {
            m_dir->setAutoRemove(false);
            QFAIL(qPrintable(why + QStringLiteral("; logs in ") + m_dir->path()));
        }
        QVERIFY2(QTest::qWaitFor([&] { return (why = routingMismatch()).isEmpty(); }, ConvergeMs),
            qPrintable(why));
        qInfo("whole scenario: %lld ms", total.elapsed());
    }

    // A sim replica runs the overlay beside it (same process) and finds the sims of the regions
    // around it; they find it too.
    void simRoleFindsAdjacentRegions()
    {
        m_dir = std::make_unique<QTemporaryDir>();
        QVERIFY(m_dir->isValid());
        m_queries = std::make_unique<Queries>(m_dir->filePath(QStringLiteral("pins.txt")));
        NodeProcess &seed = launch({ 0, 0 }, {}, 8);
        QVERIFY2(QTest::qWaitFor([&] { return seed.poll(); }, StartMs), qPrintable(seed.log()));
        launch({ 2, 0 }, { seed.address() }, 8);
        // The sim's client port and raft port (port + 1) must be fixed: take a free pair.
        quint16 simPort = 0;
        for (int attempt = 0; attempt < 20 && simPort == 0; ++attempt) {
            QTcpServer probe;
            QTcpServer next;
            if (probe.listen(QHostAddress::LocalHost, 0) && probe.serverPort() < 65535
                && next.listen(QHostAddress::LocalHost, probe.serverPort() + 1))
                simPort = probe.serverPort();
        }
        QVERIFY(simPort != 0);
        NodeProcess &sim = launch({ 1, 0 }, { seed.address() }, 8,
            { QStringLiteral("--role"), QStringLiteral("sim"), QStringLiteral("--port"),
                QString::number(simPort) });
        QVERIFY(waitListening());
        QVERIFY2(sim.running() && !sim.address().isEmpty(), qPrintable(sim.log()));
        QString why;
        QVERIFY2(QTest::qWaitFor([&] { return (why = adjacencyMismatch()).isEmpty(); }, ConvergeMs),
            qPrintable(why));
        QVERIFY(m_queries->status(sim.address()).value(QStringLiteral("adjacent")).toArray().size()
            == 2);
        // The sim logs its neighbours when they change.
        QVERIFY2(QTest::qWaitFor(
                     [&] { return sim.logContains(QStringLiteral("adjacent regions of (1,0)")); },
                     ConvergeMs),
            qPrintable(sim.log()));
        QVERIFY(sim.logContains(QStringLiteral("sim replica")));
    }

    void hostileInputDoesNotBreakHonestRouting()
    {
        startGrid(3, 2, 8);
        if (QTest::currentTestFailed())
            return;
        QString why;
        QVERIFY2(QTest::qWaitFor([&] { return (why = adjacencyMismatch()).isEmpty(); }, ConvergeMs),
            qPrintable(why));
        const auto honest = live();

        // Raw garbage on the overlay port (no TLS at all).
        for (NodeProcess *n : honest) {
            QTcpSocket raw;
            const auto parts = splitAddress(n->address());
            raw.connectToHost(parts->first, parts->second);
            QVERIFY(raw.waitForConnected(5000));
            QByteArray junk(4096, '\0');
            for (char &c : junk)
                c = char(QRandomGenerator::global()->bounded(256));
            raw.write(junk);
            raw.waitForBytesWritten(2000);
            raw.disconnectFromHost();
        }

        // Malformed overlay frames and queries over a proper connection.
        const QString from = QStringLiteral("127.0.0.1:1");
        std::vector<std::pair<QString, QCborMap>> junkRequests;
        for (NodeProcess *n : honest) {
            QCborMap badPoint = net::makeMessage(wire::lookup);
            badPoint.insert(QStringLiteral("p"), QCborArray { qQNaN(), 1.0 });
            junkRequests.emplace_back(n->address(), badPoint);
            QCborMap badRange = net::makeMessage(wire::range);
            badRange.insert(QStringLiteral("lo"), QCborArray { 5.0, 5.0 });
            badRange.insert(QStringLiteral("hi"), QCborArray { 1.0, 1.0 });
            junkRequests.emplace_back(n->address(), badRange);
        }
        const auto junkReplies = m_queries->ask(junkRequests);
        for (const QCborMap &r : junkReplies)
            QVERIFY2(!net::isOk(r) && !net::errorText(r).isEmpty(), "a bad query was answered");

        // The liar: a real overlay node in this process at (7,7), outside every honest node's
        // adjacency box. It joins honestly, then lies.
        QTemporaryDir liarDir;
        OverlayOptions lo;
        lo.dataDir = liarDir.path();
        lo.seeds = { honest.front()->address() };
        lo.position = Point { 7.0, 7.0 };
        lo.node.space.hi = 8.0;
        lo.tickMs = 200;
        lo.adjacencyMs = 0;
        OverlayService liar(lo);
        QString error;
        QVERIFY2(liar.start(&error), qPrintable(error));
        QVERIFY(QTest::qWaitFor([&] { return liar.joined(); }, ConvergeMs));

        const Descriptor me { liar.id(), liar.node().descriptor().version, lo.position };
        auto frameFrom
            = [&](const QString &sender, const Message &m, const QStringList &addresses) {
                  QCborMap f;
                  f.insert(net::key::type, wire::message);
                  f.insert(QStringLiteral("f"), sender);
                  f.insert(QStringLiteral("m"), encodeMessage(m));
                  QCborArray a;
                  for (const QString &s : addresses)
                      a.append(s);
                  f.insert(QStringLiteral("a"), a);
                  return f;
              };
        std::unique_ptr<net::PinStore> impostorPins = std::make_unique<net::PinStore>(
            liarDir.filePath(QStringLiteral("impostor-pins.txt")));
        std::vector<std::unique_ptr<net::Connection>> impostors;
        QSet<QString> phantoms;
        for (std::size_t i = 0; i < honest.size(); ++i) {
            NodeProcess *victim = honest[i];
            NodeProcess *other = honest[(i + 1) % honest.size()];
            const Point near { double(victim->cell().x) + 0.01, double(victim->cell().y) + 0.01 };
            // Phantoms right next to the victim, and a real node claimed to have moved there.
            Hello lies;
            QStringList addresses;
            for (int k = 0; k < 5; ++k) {
                const QString phantom = QStringLiteral("127.0.0.1:%1").arg(1 + k);
                lies.neighbours.push_back({ peerIdForAddress(phantom), 1, near });
                addresses << phantom;
                phantoms.insert(phantom);
            }
            lies.neighbours.push_back({ peerIdForAddress(other->address()), 99, near });
            addresses << other->address();
            lies.wantReply = true;
            liar.sendRawFrame(
                victim->address(), frameFrom(liar.address(), { me, lies }, addresses));
            // Oversized view, bad coordinates, a descriptor without its address.
            Shuffle huge;
            for (int k = 0; k < 200; ++k)
                huge.entries.push_back({ PeerId(1000 + k), 1, near });
            liar.sendRawFrame(victim->address(), frameFrom(liar.address(), { me, huge }, {}));
            Hello nan;
            nan.neighbours.push_back({ peerIdForAddress(from), 1, Point { qQNaN(), 1.0 } });
            liar.sendRawFrame(victim->address(), frameFrom(liar.address(), { me, nan }, { from }));
            Hello orphan;
            orphan.neighbours.push_back({ 12345, 1, near });
            liar.sendRawFrame(victim->address(), frameFrom(liar.address(), { me, orphan }, {}));
            QCborMap garbage = frameFrom(liar.address(), { me, Ping {} }, {});
            garbage.insert(QStringLiteral("m"), QByteArray("\xff\x00garbage", 9));
            liar.sendRawFrame(victim->address(), garbage);
            // Two positions under one version: a victim that confirmed the liar's first claim
            // stops trusting it (one that did not just answers the ping).
            Descriptor moved = me;
            moved.coords = near;
            liar.sendRawFrame(victim->address(), frameFrom(liar.address(), { moved, Ping {} }, {}));
            // An impostor speaking for `other` over a connection of its own: it cannot return
            // the nonce the victim sends to the real `other`, so nothing it says is believed.
            const auto parts = splitAddress(victim->address());
            auto c = net::Connection::connectToHost(parts->first, parts->second, *impostorPins);
            net::Connection *raw = c.get();
            const Descriptor forged { peerIdForAddress(other->address()), 1, near };
            const QCborMap impostorFrame = frameFrom(other->address(), { forged, Hello {} }, {});
            QObject::connect(raw, &net::Connection::ready, raw, [raw, impostorFrame] {
                raw->send(impostorFrame);
                raw->send(impostorFrame);
            });
            impostors.push_back(std::move(c));
        }

        // The honest overlay keeps finding exactly the right regions and routing exactly, while
        // the lies have been seen and rejected.
        QVERIFY2(QTest::qWaitFor(
                     [&] {
                         quint64 rejected = 0;
                         for (NodeProcess *n : honest) {
                             const QCborMap c = m_queries->status(n->address())
                                                    .value(QStringLiteral("counters"))
                                                    .toMap();
                             rejected
                                 += quint64(c.value(QStringLiteral("rejectedFrames")).toInteger());
                         }
                         return rejected >= 4 * honest.size();
                     },
                     ConvergeMs),
            "the lies were not all seen and rejected");
        quint64 blacklisted = 0;
        for (NodeProcess *n : honest)
            blacklisted += quint64(m_queries->status(n->address())
                                       .value(QStringLiteral("counters"))
                                       .toMap()
                                       .value(QStringLiteral("blacklisted"))
                                       .toInteger());
        qInfo("honest nodes blacklisted the liar %llu times", blacklisted);
        for (int round = 0; round < 3; ++round) {
            QVERIFY2((why = adjacencyMismatch()).isEmpty(), qPrintable(why));
            QVERIFY2((why = routingMismatch()).isEmpty(), qPrintable(why));
        }
        for (NodeProcess *n : honest) {
            QVERIFY2(n->running(), qPrintable(n->log()));
            for (const QCborValue &p :
                m_queries->status(n->address()).value(QStringLiteral("voronoi")).toArray()) {
                const QString a = p.toMap().value(QStringLiteral("a")).toString();
                QVERIFY2(!phantoms.contains(a), "a phantom became a neighbour");
            }
        }
    }
};

} // namespace

QTEST_MAIN(OverlayProcessTest)
#include "OverlayProcessTest.moc"
