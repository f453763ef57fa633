// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// The client gateway of a 3-replica sim cluster (real processes): a client that only knows a
// follower gets its actions forwarded to the leader and acknowledged; a state subscriber on a
// follower rebuilds exactly the replica's world from the full state and the per-tick deltas; a
// subscriber that stops reading is dropped instead of growing the replica's memory; a client
// flooding actions far above the rate limit is cut off while another client keeps normal
// latency; garbage on the client port changes nothing; nothing is applied twice; public chat
// reaches the listeners of the avatars in range, each line once.

#include "SimClusterHarness.h"
#include "net/Frame.h"

#include <QSslSocket>

using namespace metatopia;
using namespace metatopia::cluster::test;

namespace {

// Rebuilds a replica's world (record hashes by id) from "state" and "delta" messages.
class Subscriber final : public QObject
{
public:
    Subscriber(const QString &address, net::PinStore &pins)
    {
        const auto [host, port] = splitHostPort(address);
        m_connection = net::Connection::connectToHost(host, port, pins);
        connect(m_connection.get(), &net::Connection::ready, this, [this] {
            m_connection->request(
                QCborMap { { QStringLiteral("t"), QStringLiteral("subscribe") } });
        });
        connect(
            m_connection.get(), &net::Connection::messageReceived, this, &Subscriber::onMessage);
        connect(
            m_connection.get(), &net::Connection::disconnected, this, [this] { m_gone = true; });
    }

    qint64 tick() const { return m_tick; } // last complete tick, -1 before the full state
    const std::map<qint64, qint64> &objects() const { return m_objects; }
    const std::map<qint64, qint64> &avatars() const { return m_avatars; }
    std::map<qint64, QString> names;
    // The id of an object with this name, 0 while there is none.
    qint64 idOf(QLatin1String name) const
    {
        for (const auto &[id, objectName] : names)
            if (objectName == name)
                return id;
        return 0;
    }
    qint64 removedAvatars = 0;
    qint64 deltas = 0;
    bool gone() const { return m_gone; }

private:
    void onMessage(const QCborMap &message)
    {
        const QString type = message.value(QStringLiteral("t")).toString();
        const bool final = message.value(QStringLiteral("final")).toBool();
        if (type == QLatin1String("state")) {
            if (!m_inState) {
                m_objects.clear();
                m_avatars.clear();
            }
            m_inState = !final;
        } else if (type == QLatin1String("delta")) {
            // Deltas continue from the tick the previous message ended at.
            if (m_tick >= 0 && message.value(QStringLiteral("from")).toInteger() != m_tick
                && !m_inDelta)
                m_broken = true;
            m_inDelta = !final;
            ++deltas;
            for (const QCborValue &id : message.value(QStringLiteral("removedObjects")).toArray())
                m_objects.erase(id.toInteger());
            for (const QCborValue &id : message.value(QStringLiteral("removedAvatars")).toArray()) {
                m_avatars.erase(id.toInteger());
                ++removedAvatars;
            }
        } else {
            return;
        }
        for (const QCborValue &value : message.value(QStringLiteral("objects")).toArray()) {
            const QCborMap object = value.toMap();
            const qint64 id = object.value(QStringLiteral("id")).toInteger();
            m_objects[id] = object.value(QStringLiteral("hash")).toInteger();
            names[id] = object.value(QStringLiteral("name")).toString();
        }
        for (const QCborValue &value : message.value(QStringLiteral("avatars")).toArray()) {
            const QCborMap avatar = value.toMap();
            m_avatars[avatar.value(QStringLiteral("id")).toInteger()]
                = avatar.value(QStringLiteral("hash")).toInteger();
        }
        if (final && !m_broken)
            m_tick = message.value(QStringLiteral("tick")).toInteger();
    }

    std::unique_ptr<net::Connection> m_connection;
    std::map<qint64, qint64> m_objects;
    std::map<qint64, qint64> m_avatars;
    qint64 m_tick = -1;
    bool m_inState = false;
    bool m_inDelta = false;
    bool m_broken = false;
    bool m_gone = false;
};

// Listens to public chat as one avatar ("subscribe" with "avatar", or "listen" alone) and keeps
// every heard line with its tick; with the state stream, also the tick the stream is at.
class Listener final : public QObject
{
public:
    struct Line
    {
        qint64 tick = 0;
        qint64 speaker = 0;
        bool fromAvatar = false;
        QString name;
        qint64 channel = -1;
        QString range;
        QString text;
        bool operator==(const Line &) const = default;
    };

    Listener(const QString &address, net::PinStore &pins, qint64 avatar, bool withState,
        std::optional<qint64> after = std::nullopt)
    {
        const auto [host, port] = splitHostPort(address);
        m_connection = net::Connection::connectToHost(host, port, pins);
        connect(m_connection.get(), &net::Connection::ready, this, [=, this] {
            QCborMap request { { QStringLiteral("t"),
                                   withState ? QStringLiteral("subscribe")
                                             : QStringLiteral("listen") },
                { QStringLiteral("avatar"), avatar } };
            if (after)
                request.insert(QStringLiteral("after"), *after);
            m_request = m_connection->request(request);
        });
        connect(m_connection.get(), &net::Connection::messageReceived, this, &Listener::onMessage);
    }

    bool listening() const { return m_listening; }
    qint64 tick() const { return m_tick; } // of the state stream, -1 before the full state
    std::vector<Line> lines;
    bool inOrder = true; // heard ticks strictly increase
    qint64 missedTicks = 0;

private:
    void onMessage(const QCborMap &message)
    {
        const QString type = message.value(QStringLiteral("t")).toString();
        if (quint64(message.value(QStringLiteral("id")).toInteger()) == m_request) {
            m_listening = !message.contains(QStringLiteral("error"));
        } else if (type == QLatin1String("heard")) {
            const qint64 tick = message.value(QStringLiteral("tick")).toInteger();
            inOrder = inOrder && tick > m_heardTick;
            m_heardTick = tick;
            missedTicks += message.value(QStringLiteral("missedTicks")).toInteger();
            for (const QCborValue &value : message.value(QStringLiteral("lines")).toArray()) {
                const QCborMap line = value.toMap();
                lines.push_back(Line { tick, line.value(QStringLiteral("speaker")).toInteger(),
                    line.value(QStringLiteral("fromAvatar")).toBool(),
                    line.value(QStringLiteral("name")).toString(),
                    line.value(QStringLiteral("channel")).toInteger(-1),
                    line.value(QStringLiteral("range")).toString(),
                    line.value(QStringLiteral("text")).toString() });
            }
        } else if ((type == QLatin1String("state") || type == QLatin1String("delta"))
            && message.value(QStringLiteral("final")).toBool()) {
            m_tick = message.value(QStringLiteral("tick")).toInteger();
        }
    }

    std::unique_ptr<net::Connection> m_connection;
    quint64 m_request = 0;
    bool m_listening = false;
    qint64 m_tick = -1;
    qint64 m_heardTick = -1;
};

// A raw TLS client below net::Connection: says hello, then writes whatever it is given and
// reads nothing more than its tiny buffers hold.
class RawClient final : public QObject
{
public:
    explicit RawClient(const QString &address, bool tls = true)
    {
        const auto [host, port] = splitHostPort(address);
        m_socket.setPeerVerifyMode(QSslSocket::VerifyNone);
        m_socket.setSocketOption(QAbstractSocket::ReceiveBufferSizeSocketOption, 4096);
        m_socket.setReadBufferSize(4096);
        connect(&m_socket, &QAbstractSocket::disconnected, this, [this] { m_gone = true; });
        if (tls) {
            connect(&m_socket, &QSslSocket::encrypted, this, [this] {
                m_socket.write(net::encodeFrame(QCborMap {
                    { QStringLiteral("t"), QStringLiteral("hello") }, { QStringLiteral("v"), 1 },
                    { QStringLiteral("client"), QStringLiteral("raw") } }));
                m_ready = true;
            });
            m_socket.connectToHostEncrypted(host, port);
        } else {
            connect(&m_socket, &QAbstractSocket::connected, this, [this] { m_ready = true; });
            m_socket.connectToHost(host, port);
        }
    }
    bool ready() const { return m_ready; }
    bool gone() const { return m_gone || m_socket.state() == QAbstractSocket::UnconnectedState; }
    void write(const QByteArray &bytes) { m_socket.write(bytes); }

private:
    QSslSocket m_socket;
    bool m_ready = false;
    bool m_gone = false;
};

QCborMap actionMessage(qint64 client, qint64 seq, const QCborMap &action)
{
    return QCborMap { { QStringLiteral("t"), QStringLiteral("action") },
        { QStringLiteral("client"), client }, { QStringLiteral("seq"), seq },
        { QStringLiteral("action"), action } };
}

} // namespace

class SimClusterGatewayTest : public QObject
{
    Q_OBJECT

private:
    SimClusterFixture m_cluster;

    quint64 follower()
    {
        quint64 leaderId = 0;
        if (!QTest::qWaitFor([&] { return (leaderId = m_cluster.leader()) != 0; }, 10000))
            return 0;
        return leaderId == 1 ? 2 : 1;
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_cluster.prepare(3));
        m_cluster.commonArgs << QStringLiteral("--subscriber-queue-bytes")
                             << QStringLiteral("1048576");
        QVERIFY(m_cluster.startAll());
        QTRY_VERIFY_WITH_TIMEOUT(m_cluster.leader() != 0, 15000);
    }

    void followerForwardsActions()
    {
        const quint64 via = follower();
        QVERIFY(via != 0);
        ActionClient client(21, m_cluster.clientAddresses({ via }), *m_cluster.pins);
        QTRY_VERIFY_WITH_TIMEOUT(client.acked().size() >= 300, 20000);
        client.setSending(false);
        QTRY_COMPARE_WITH_TIMEOUT(client.unacked(), size_t(0), 10000);
        // Acknowledged by the follower itself: never redirected, never reconnected.
        QCOMPARE(client.notLeaders(), quint64(0));
        QCOMPARE(client.reconnects(), quint64(0));
        QCOMPARE(client.duplicateAcks(), quint64(0));
        verifyExactlyOnce(m_cluster, { 1, 2, 3 }, { &client });
        QVERIFY(!QTest::currentTestFailed());
        const std::vector<qint64> latency = client.latencies();
        qInfo("sim cluster gateway: via follower %llu, %zu acks, latency ms p50 %lld p99 %lld",
            quint64(via), latency.size(), latency[latency.size() / 2],
            latency[latency.size() * 99 / 100]);
    }

    void subscriberRebuildsTheWorld()
    {
        const quint64 via = follower();
        QVERIFY(via != 0);
        SimNode &replica = m_cluster.node(via);
        Subscriber subscriber(replica.client, *m_cluster.pins);
        QTRY_VERIFY_WITH_TIMEOUT(subscriber.tick() >= 0, 10000);

        // Creations from one client, avatars entering, moving and leaving from another.
        ActionClient creator(22, m_cluster.clientAddresses(), *m_cluster.pins);
        auto mover = connectToGateway(replica.client, *m_cluster.pins);
        QVERIFY(mover);
        QSignalSpy moverMessages(mover.get(), &net::Connection::messageReceived);
        qint64 seq = 0;
        auto avatarAction = [](const char *kind, qint64 avatar, qint64 x) {
            return QCborMap { { QStringLiteral("kind"), QLatin1String(kind) },
                { QStringLiteral("avatar"), avatar }, { QStringLiteral("account"), avatar },
                { QStringLiteral("name"), QStringLiteral("walker%1").arg(avatar) },
                { QStringLiteral("x"), x }, { QStringLiteral("y"), 2000 },
                { QStringLiteral("z"), 25 } };
        };
        mover->send(actionMessage(23, ++seq, avatarAction("enter", 900, 1000)));
        mover->send(actionMessage(23, ++seq, avatarAction("enter", 901, 3000)));
        auto acks = [&] { return qint64(countAcks(moverMessages)); };
        QTRY_COMPARE_WITH_TIMEOUT(acks(), seq, 10000);
        QTRY_VERIFY_WITH_TIMEOUT(subscriber.avatars().size() == 2, 10000);
        for (int step = 1; step <= 40; ++step) {
            mover->send(actionMessage(23, ++seq, avatarAction("move", 900, 1000 + step * 250)));
            QTRY_COMPARE_WITH_TIMEOUT(acks(), seq, 10000); // one move per tick or so
        }
        mover->send(actionMessage(23, ++seq, avatarAction("leave", 901, 0)));
        QTRY_COMPARE_WITH_TIMEOUT(acks(), seq, 10000);
        QTRY_VERIFY_WITH_TIMEOUT(creator.acked().size() >= 100, 15000);
        creator.setSending(false);
        QTRY_COMPARE_WITH_TIMEOUT(creator.unacked(), size_t(0), 10000);
        QTRY_VERIFY_WITH_TIMEOUT(subscriber.avatars().size() == 1, 10000);
        QVERIFY(subscriber.removedAvatars >= 1);
        QVERIFY(!subscriber.gone());

        // An ack means committed; the subscriber's replica shows the action by the tick the ack
        // names, at most a tick or so later.
        auto allAckedSeen = [&] {
            for (const auto &[seqNo, at] : creator.acked()) {
                bool found = false;
                for (const auto &[id, name] : subscriber.names)
                    found = found || name == creator.name(seqNo);
                if (!found)
                    return false;
            }
            return true;
        };
        QTRY_VERIFY_WITH_TIMEOUT(allAckedSeen(), 10000);

        // The rebuilt world equals the replica's own at the subscriber's tick, record by record
        // (each record hash covers every field: name, position, rotation, text, colour, ...).
        // Taken together: the subscriber keeps receiving deltas while the query below runs.
        const qint64 tick = subscriber.tick();
        const std::map<qint64, qint64> rebuiltObjects = subscriber.objects();
        const std::map<qint64, qint64> rebuiltAvatars = subscriber.avatars();
        const auto reply = m_cluster.query(replica,
            QCborMap { { QStringLiteral("t"), QStringLiteral("objectHashes") },
                { QStringLiteral("tick"), tick } });
        QVERIFY(reply);
        QVERIFY2(!reply->contains(QStringLiteral("error")),
            qPrintable(reply->value(QStringLiteral("error")).toString()));
        std::map<qint64, qint64> objects;
        const QCborMap theirObjects = reply->value(QStringLiteral("objects")).toMap();
        for (auto it = theirObjects.constBegin(); it != theirObjects.constEnd(); ++it)
            objects[it.key().toInteger()] = it.value().toInteger();
        std::map<qint64, qint64> avatars;
        const QCborMap theirAvatars = reply->value(QStringLiteral("avatars")).toMap();
        for (auto it = theirAvatars.constBegin(); it != theirAvatars.constEnd(); ++it)
            avatars[it.key().toInteger()] = it.value().toInteger();
        QCOMPARE(rebuiltObjects.size(), objects.size());
        QVERIFY(rebuiltObjects == objects);
        QVERIFY(rebuiltAvatars == avatars);
        qInfo("sim cluster gateway: subscriber rebuilt %zu objects and %zu avatars at tick %lld "
              "from %lld delta messages",
            objects.size(), avatars.size(), tick, subscriber.deltas);
    }

    void scriptSourceAndHistoryAreReadable()
    {
        const quint64 via = follower();
        QVERIFY(via != 0);
        SimNode &replica = m_cluster.node(via);
        Subscriber subscriber(replica.client, *m_cluster.pins);
        QTRY_VERIFY_WITH_TIMEOUT(subscriber.tick() >= 0, 10000);
        auto author = connectToGateway(replica.client, *m_cluster.pins);
        QVERIFY(author);

        const QString first = QStringLiteral("-- first\nsay(0, 'one')\n");
        const QString second = QStringLiteral("-- second\nsay(0, 'two')\n");
        QCborMap create = createAction(QStringLiteral("readable"), 31, 4000);
        create.insert(QStringLiteral("script"), first);
        author->send(actionMessage(31, 1, create));
        qint64 objectId = 0;
        QTRY_VERIFY_WITH_TIMEOUT(
            (objectId = subscriber.idOf(QLatin1String("readable"))) != 0, 10000);
        author->send(actionMessage(31, 2,
            QCborMap { { QStringLiteral("kind"), QStringLiteral("editScript") },
                { QStringLiteral("author"), 31 }, { QStringLiteral("object"), objectId },
                { QStringLiteral("source"), second } }));

        // Any client may read the current source and every earlier revision.
        std::optional<QCborMap> reply;
        QTRY_VERIFY_WITH_TIMEOUT((reply = m_cluster.query(replica,
                                      QCborMap { { QStringLiteral("t"), QStringLiteral("script") },
                                          { QStringLiteral("object"), objectId } }))
                && reply->value(QStringLiteral("source")).toString() == second,
            10000);
        QCOMPARE(reply->value(QStringLiteral("name")).toString(), QStringLiteral("readable"));
        const QCborArray history = reply->value(QStringLiteral("history")).toArray();
        QCOMPARE(history.size(), 1);
        QCOMPARE(history.at(0).toMap().value(QStringLiteral("source")).toString(), first);
        QVERIFY(reply->value(QStringLiteral("revision")).toInteger()
            > history.at(0).toMap().value(QStringLiteral("revision")).toInteger());

        // An unknown object is a clear error, and the replica goes on serving.
        const auto missing = m_cluster.query(replica,
            QCborMap { { QStringLiteral("t"), QStringLiteral("script") },
                { QStringLiteral("object"), qint64(1) << 50 } });
        QVERIFY(missing);
        QVERIFY(missing->value(QStringLiteral("error"))
                    .toString()
                    .contains(QLatin1String("no object")));
    }

    // What a script and an avatar say on channel 0 reaches the clients of the avatars within
    // 20 m (on followers and the leader alike, each line once, in tick order), and not the
    // client of an avatar 70 m away. A client that comes from another replica with the last tick
    // it has gets exactly the lines after it. Malformed requests get a clear error.
    void heardChatReachesListenersInRange()
    {
        const quint64 leaderId = m_cluster.leader();
        const quint64 via = follower();
        QVERIFY(leaderId != 0 && via != 0);
        const quint64 other = 6 - leaderId - via; // the third replica
        SimNode &replica = m_cluster.node(via);
        constexpr qint64 nearId = 4101;
        constexpr qint64 farId = 4102;
        Listener nearOnFollower(replica.client, *m_cluster.pins, nearId, true);
        Listener nearOnLeader(m_cluster.node(leaderId).client, *m_cluster.pins, nearId, false);
        Listener far(replica.client, *m_cluster.pins, farId, true);
        QTRY_VERIFY_WITH_TIMEOUT(
            nearOnFollower.listening() && nearOnLeader.listening() && far.listening(), 10000);

        Subscriber world(replica.client, *m_cluster.pins);
        auto actor = connectToGateway(replica.client, *m_cluster.pins);
        QVERIFY(actor);
        QSignalSpy actorMessages(actor.get(), &net::Connection::messageReceived);
        qint64 seq = 0;
        auto acks = [&] { return qint64(countAcks(actorMessages)); };
        QCborMap create { { QStringLiteral("kind"), QStringLiteral("create") },
            { QStringLiteral("name"), QStringLiteral("talker") }, { QStringLiteral("owner"), 41 },
            { QStringLiteral("x"), 50000 }, { QStringLiteral("y"), 50000 },
            { QStringLiteral("z"), 0 },
            { QStringLiteral("script"),
                QStringLiteral("function on_touch(avatar, name)\n"
                               "  say(0, 'Hello, ' .. name)\n"
                               "  say(5, 'not public')\n"
                               "end\n") } };
        actor->send(actionMessage(41, ++seq, create));
        auto enter = [](qint64 avatar, const char *name, qint64 x) {
            return QCborMap { { QStringLiteral("kind"), QStringLiteral("enter") },
                { QStringLiteral("avatar"), avatar }, { QStringLiteral("account"), avatar },
                { QStringLiteral("name"), QLatin1String(name) }, { QStringLiteral("x"), x },
                { QStringLiteral("y"), 50000 }, { QStringLiteral("z"), 0 } };
        };
        actor->send(actionMessage(41, ++seq, enter(nearId, "near", 52000))); // 2 m away
        actor->send(actionMessage(41, ++seq, enter(farId, "far", 120000))); // 70 m away
        QTRY_COMPARE_WITH_TIMEOUT(acks(), seq, 10000);
        qint64 talker = 0;
        QTRY_VERIFY_WITH_TIMEOUT((talker = world.idOf(QLatin1String("talker"))) != 0, 10000);

        // The greeter answers a touch; then near and far each say something.
        actor->send(actionMessage(41, ++seq,
            QCborMap { { QStringLiteral("kind"), QStringLiteral("touch") },
                { QStringLiteral("avatar"), nearId }, { QStringLiteral("object"), talker } }));
        QTRY_COMPARE_WITH_TIMEOUT(nearOnFollower.lines.size(), size_t(1), 10000);
        auto say = [](qint64 avatar, const QString &text) {
            return QCborMap { { QStringLiteral("kind"), QStringLiteral("chat") },
                { QStringLiteral("avatar"), avatar }, { QStringLiteral("channel"), 0 },
                { QStringLiteral("text"), text } };
        };
        actor->send(actionMessage(41, ++seq, say(nearId, QStringLiteral("hi from near"))));
        QTRY_COMPARE_WITH_TIMEOUT(nearOnFollower.lines.size(), size_t(2), 10000);
        actor->send(actionMessage(41, ++seq, say(farId, QStringLiteral("far here"))));
        QTRY_COMPARE_WITH_TIMEOUT(far.lines.size(), size_t(1), 10000);
        const qint64 farTick = far.lines.front().tick;
        // Heard lines go before their tick's delta: once the streams are past far's line, every
        // line up to it has arrived.
        QTRY_VERIFY_WITH_TIMEOUT(nearOnFollower.tick() >= farTick && far.tick() >= farTick, 10000);
        QTRY_COMPARE_WITH_TIMEOUT(nearOnLeader.lines.size(), size_t(2), 10000);

        const std::vector<Listener::Line> &heard = nearOnFollower.lines;
        QCOMPARE(heard.size(), size_t(2));
        QCOMPARE(heard[0].speaker, talker);
        QVERIFY(!heard[0].fromAvatar);
        QCOMPARE(heard[0].name, QStringLiteral("talker"));
        QCOMPARE(heard[0].channel, qint64(0));
        QCOMPARE(heard[0].range, QStringLiteral("say"));
        QCOMPARE(heard[0].text, QStringLiteral("Hello, near"));
        // One's own line comes back once, as the sim heard it.
        QCOMPARE(heard[1].speaker, nearId);
        QVERIFY(heard[1].fromAvatar);
        QCOMPARE(heard[1].name, QStringLiteral("near"));
        QCOMPARE(heard[1].text, QStringLiteral("hi from near"));
        QVERIFY(heard[0].tick < heard[1].tick && heard[1].tick < farTick);
        QVERIFY(nearOnFollower.inOrder && nearOnLeader.inOrder && far.inOrder);
        // The leader's replica heard the same, at the same ticks.
        QVERIFY(nearOnLeader.lines == heard);
        // 70 m away: only its own line.
        QCOMPARE(far.lines.size(), size_t(1));
        QCOMPARE(far.lines[0].speaker, farId);
        QCOMPARE(far.lines[0].text, QStringLiteral("far here"));
        QCOMPARE(nearOnFollower.missedTicks + nearOnLeader.missedTicks + far.missedTicks, 0);

        // Moving on to the third replica with the last tick one has: the lines after it, once.
        Listener resumed(
            m_cluster.node(other).client, *m_cluster.pins, nearId, true, heard[0].tick);
        QTRY_VERIFY_WITH_TIMEOUT(resumed.listening() && resumed.tick() >= farTick, 10000);
        QCOMPARE(resumed.lines.size(), size_t(1));
        QVERIFY(resumed.lines[0] == heard[1]);
        Listener replayed(
            m_cluster.node(other).client, *m_cluster.pins, nearId, false, heard[0].tick - 1);
        QTRY_COMPARE_WITH_TIMEOUT(replayed.lines.size(), size_t(2), 10000);
        QVERIFY(replayed.lines == heard);

        // Malformed requests: a clear error, nothing subscribed, the replica keeps serving.
        const std::vector<QCborMap> bad {
            QCborMap { { QStringLiteral("t"), QStringLiteral("subscribe") },
                { QStringLiteral("avatar"), QStringLiteral("near") } },
            QCborMap { { QStringLiteral("t"), QStringLiteral("listen") },
                { QStringLiteral("avatar"), -3 } },
            QCborMap { { QStringLiteral("t"), QStringLiteral("listen") } },
            QCborMap { { QStringLiteral("t"), QStringLiteral("listen") },
                { QStringLiteral("avatar"), nearId }, { QStringLiteral("after"), 1.5 } },
        };
        for (const QCborMap &request : bad) {
            const auto reply = m_cluster.query(replica, request);
            QVERIFY(reply);
            const QString error = reply->value(QStringLiteral("error")).toString();
            QVERIFY2(
                error.contains(QLatin1String("avatar")) || error.contains(QLatin1String("after")),
                qPrintable(error));
        }
        const qint64 before = nearOnFollower.tick();
        QTRY_VERIFY_WITH_TIMEOUT(nearOnFollower.tick() > before + 5, 10000);
        actor->send(actionMessage(41, ++seq, say(nearId, QStringLiteral("still here"))));
        QTRY_COMPARE_WITH_TIMEOUT(nearOnFollower.lines.size(), size_t(3), 10000);
        QCOMPARE(nearOnFollower.lines.back().text, QStringLiteral("still here"));
        QVERIFY(m_cluster.statusValue(replica, "heardLines") >= 4);
    }

    void slowSubscriberIsDropped()
    {
        const quint64 via = follower();
        QVERIFY(via != 0);
        SimNode &replica = m_cluster.node(via);
        const qint64 droppedBefore = m_cluster.statusValue(replica, "subscribersDropped");
        // A subscriber that reads nothing beyond its small buffers and asks for the full state
        // again and again (a hostile or stuck client): its unwritten backlog passes the limit.
        RawClient slow(replica.client);
        QTRY_VERIFY_WITH_TIMEOUT(slow.ready(), 5000);
        QTimer again;
        connect(&again, &QTimer::timeout, this, [&slow] {
            slow.write(
                net::encodeFrame(QCborMap { { QStringLiteral("t"), QStringLiteral("subscribe") },
                    { QStringLiteral("id"), 1 } }));
        });
        again.start(20);
        QTRY_VERIFY_WITH_TIMEOUT(
            m_cluster.statusValue(replica, "subscribersDropped") > droppedBefore, 60000);
        again.stop();
        // The replica is fine and serves the others.
        ActionClient creator(24, m_cluster.clientAddresses({ via }), *m_cluster.pins);
        QTRY_VERIFY_WITH_TIMEOUT(creator.acked().size() >= 50, 10000);
        creator.setSending(false);
        QTRY_COMPARE_WITH_TIMEOUT(creator.unacked(), size_t(0), 10000);
    }

    void floodingClientIsCutOff()
    {
        const quint64 via = follower();
        QVERIFY(via != 0);
        ActionClient normal(25, m_cluster.clientAddresses({ via }), *m_cluster.pins, 4);
        QTRY_VERIFY_WITH_TIMEOUT(normal.acked().size() >= 20, 10000);

        // 30,000 actions at once on one connection: the per-connection rate limit (2,000/s, burst
        // 4,000) refuses the excess and then drops the connection.
        auto flood = connectToGateway(m_cluster.node(via).client, *m_cluster.pins);
        QVERIFY(flood);
        QSignalSpy floodMessages(flood.get(), &net::Connection::messageReceived);
        QSignalSpy floodGone(flood.get(), &net::Connection::disconnected);
        const qint64 floodStart = normal.now();
        for (qint64 seq = 1; seq <= 30000; ++seq)
            flood->send(
                actionMessage(26, seq, createAction(QStringLiteral("f-%1").arg(seq), 26, 0)));
        QTRY_VERIFY_WITH_TIMEOUT(!floodGone.isEmpty(), 20000);
        std::set<qint64> floodAcked;
        for (const QList<QVariant> &args : floodMessages) {
            const QCborMap message = args.at(0).value<QCborMap>();
            if (message.value(QStringLiteral("t")).toString() == QLatin1String("ack"))
                floodAcked.insert(message.value(QStringLiteral("seq")).toInteger());
        }

        // The other client goes on at normal latency during and after the flood.
        const size_t before = normal.acked().size();
        QTRY_VERIFY_WITH_TIMEOUT(normal.acked().size() >= before + 100, 15000);
        normal.setSending(false);
        if (!QTest::qWaitFor([&] { return normal.unacked() == 0; }, 10000)) {
            const auto st = m_cluster.status(m_cluster.node(via));
            qWarning("unacked %zu; follower status %s", normal.unacked(),
                st ? qPrintable(QString::fromUtf8(QCborValue(*st).toDiagnosticNotation().toUtf8()))
                   : "none");
        }
        QTRY_COMPARE_WITH_TIMEOUT(normal.unacked(), size_t(0), 10000);
        std::vector<qint64> during;
        for (const auto &[seq, at] : normal.acked()) {
            if (at >= floodStart)
                during.push_back(at);
        }
        const std::vector<qint64> latency = normal.latencies();
        const qint64 p90 = latency[latency.size() * 9 / 10];
        qInfo("sim cluster gateway: flood cut off after %lld messages, %zu of its actions acked "
              "before that; other client %zu acks, latency ms p50 %lld p90 %lld max %lld",
            qint64(floodMessages.size()), floodAcked.size(), latency.size(),
            latency[latency.size() / 2], p90, latency.back());
        QVERIFY2(p90 < 1000, "the other client's acks stayed timely");

        // Garbage on the client port: plain bytes where TLS is expected, and frames that are not
        // CBOR after a proper hello. Both are dropped; the replica keeps serving.
        RawClient plain(m_cluster.node(via).client, false);
        QTRY_VERIFY_WITH_TIMEOUT(plain.ready(), 5000);
        plain.write(QByteArray(4096, '\x17'));
        RawClient garbage(m_cluster.node(via).client);
        QTRY_VERIFY_WITH_TIMEOUT(garbage.ready(), 5000);
        for (int i = 0; i < 10; ++i)
            garbage.write(QByteArray::fromHex("00000010") + QByteArray(16, '\xff'));
        QTRY_VERIFY_WITH_TIMEOUT(plain.gone() && garbage.gone(), 15000);

        // Every action acknowledged to anyone is in every replica exactly once; the flood's
        // acked ones too.
        verifyExactlyOnce(m_cluster, { 1, 2, 3 }, { &normal });
        QVERIFY(!QTest::currentTestFailed());
        for (quint64 id : { 1, 2, 3 }) {
            const auto reply = m_cluster.query(m_cluster.node(id),
                QCborMap { { QStringLiteral("t"), QStringLiteral("objects") } });
            QVERIFY(reply);
            std::map<QString, int> counts;
            for (const QCborValue &name : reply->value(QStringLiteral("names")).toArray()) {
                if (name.toString().startsWith(QLatin1String("f-")))
                    ++counts[name.toString()];
            }
            for (qint64 seq : floodAcked)
                QVERIFY(counts[QStringLiteral("f-%1").arg(seq)] == 1);
            for (const auto &[name, count] : counts)
                QVERIFY2(count == 1, qPrintable(name));
        }
        QVERIFY(verifyHashesAgree(m_cluster, { 1, 2, 3 }) > 0);
    }
};

QTEST_GUILESS_MAIN(SimClusterGatewayTest)
#include "tst_SimClusterGateway.moc"
