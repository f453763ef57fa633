// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "net/Connection.h"
#include "net/PinStore.h"
#include "net/Server.h"
#include "net/TlsIdentity.h"

#include <QCborValue>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QRandomGenerator>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>
#include <QtEndian>

using namespace metatopia::net;

namespace {

constexpr int Wait = 10000;

QCborMap say(const QString &text)
{
    QCborMap m = makeMessage(QStringLiteral("say"));
    m.insert(QStringLiteral("text"), text);
    return m;
}

// Echoes every "say" back to its sender, like a minimal service.
void echoAll(Server &server)
{
    QObject::connect(&server, &Server::newConnection, &server, [](Connection *c) {
        QObject::connect(c, &Connection::messageReceived, c, [c](const QCborMap &m) {
            c->reply(m, { { QStringLiteral("echo"), m.value(QStringLiteral("text")) } });
        });
    });
}

QByteArray rawFrame(const QByteArray &payload)
{
    QByteArray frame(4, Qt::Uninitialized);
    qToBigEndian<quint32>(quint32(payload.size()), frame.data());
    return frame + payload;
}

} // namespace

class ConnectionTest : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;

    std::unique_ptr<Server> startServer(const QString &name, ServerOptions options = {})
    {
        QString error;
        const auto identity = TlsIdentity::loadOrCreate(m_dir.filePath(name), &error);
        if (!identity) {
            qWarning() << error;
            return nullptr;
        }
        options.info.sourceOffer = QStringLiteral("https://example.org/metatopia.git");
        auto server = std::make_unique<Server>(options);
        if (!server->listen(QHostAddress::LocalHost, 0, *identity))
            return nullptr;
        return server;
    }

    // A connected client, or null.
    std::unique_ptr<Connection> connectClient(
        Server &server, PinStore &pins, const ClientOptions &options = {})
    {
        auto client = Connection::connectToHost(
            QStringLiteral("127.0.0.1"), server.serverPort(), pins, options);
        QSignalSpy ready(client.get(), &Connection::ready);
        if (!ready.wait(Wait))
            return nullptr;
        return client;
    }

private Q_SLOTS:
    void identityIsCreatedOnceAndKept()
    {
        const QString dir = m_dir.filePath(QStringLiteral("identity"));
        QString error;
        const auto first = TlsIdentity::loadOrCreate(dir, &error);
        QVERIFY2(first, qPrintable(error));
        QCOMPARE(first->fingerprint().size(), 32);
        QVERIFY(first->fingerprintText().count(QLatin1Char(':')) == 31);
        const auto keyPermissions = QFile::permissions(dir + QStringLiteral("/tls/server-key.pem"));
        QVERIFY(keyPermissions & QFile::ReadOwner);
        const auto others = QFile::ReadGroup | QFile::WriteGroup | QFile::ExeGroup
            | QFile::ReadOther | QFile::WriteOther | QFile::ExeOther;
        QCOMPARE(keyPermissions & others, QFileDevice::Permissions());
        const auto second = TlsIdentity::loadOrCreate(dir, &error);
        QVERIFY(second);
        QCOMPARE(second->fingerprint(), first->fingerprint());

        // Half an identity is an error, not a silent new fingerprint.
        QVERIFY(QFile::remove(dir + QStringLiteral("/tls/server-key.pem")));
        QVERIFY(!TlsIdentity::loadOrCreate(dir, &error));
        QVERIFY(error.contains(QStringLiteral("incomplete")));
        // Garbage is an error too.
        QFile key(dir + QStringLiteral("/tls/server-key.pem"));
        QVERIFY(key.open(QIODevice::WriteOnly));
        key.write("not a key");
        key.close();
        QVERIFY(!TlsIdentity::loadOrCreate(dir, &error));
        QVERIFY(error.contains(QStringLiteral("not a readable")));
    }

    void pinStorePersists()
    {
        const QString path = m_dir.filePath(QStringLiteral("pins/known_servers"));
        const QByteArray a(32, 'a');
        const QByteArray b(32, 'b');
        {
            PinStore pins(path);
            QCOMPARE(pins.check(QStringLiteral("Host"), 7, a), PinStore::Check::FirstUse);
            QCOMPARE(pins.check(QStringLiteral("host"), 7, a), PinStore::Check::Match);
            QCOMPARE(pins.check(QStringLiteral("host"), 8, b), PinStore::Check::FirstUse);
        }
        PinStore reloaded(path);
        QCOMPARE(reloaded.pinned(QStringLiteral("host"), 7), std::optional<QByteArray>(a));
        QCOMPARE(reloaded.check(QStringLiteral("host"), 7, b), PinStore::Check::Mismatch);
        QCOMPARE(reloaded.pinned(QStringLiteral("host"), 7), std::optional<QByteArray>(a));
        QVERIFY(reloaded.pin(QStringLiteral("host"), 7, b));
        QCOMPARE(PinStore(path).check(QStringLiteral("host"), 7, b), PinStore::Check::Match);

        // Two client processes sharing the file keep each other's pins.
        PinStore first(path);
        PinStore second(path);
        QCOMPARE(first.check(QStringLiteral("one"), 1, a), PinStore::Check::FirstUse);
        QCOMPARE(second.check(QStringLiteral("two"), 2, b), PinStore::Check::FirstUse);
        PinStore merged(path);
        QCOMPARE(merged.pinned(QStringLiteral("one"), 1), std::optional<QByteArray>(a));
        QCOMPARE(merged.pinned(QStringLiteral("two"), 2), std::optional<QByteArray>(b));
    }

    void handshakeAndMessages()
    {
        auto server = startServer(QStringLiteral("s1"));
        QVERIFY(server);
        echoAll(*server);
        QSignalSpy newConnections(server.get(), &Server::newConnection);
        PinStore pins(m_dir.filePath(QStringLiteral("pins1")));
        ClientOptions options;
        options.clientName = QStringLiteral("test-client");
        auto client = connectClient(*server, pins, options);
        QVERIFY(client);
        QCOMPARE(client->state(), Connection::State::Ready);
        const QCborMap welcome = client->handshake();
        QCOMPARE(welcome.value(key::version).toInteger(), ProtocolVersion);
        QCOMPARE(welcome.value(QStringLiteral("source")).toString(),
            QStringLiteral("https://example.org/metatopia.git"));
        QCOMPARE(pins.pinned(QStringLiteral("127.0.0.1"), server->serverPort()),
            std::optional<QByteArray>(client->peerFingerprint()));

        QTRY_COMPARE_WITH_TIMEOUT(newConnections.size(), 1, Wait);
        auto *serverSide = newConnections.at(0).at(0).value<Connection *>();
        QCOMPARE(serverSide->handshake().value(QStringLiteral("client")).toString(),
            QStringLiteral("test-client"));
        QCOMPARE(server->connections().size(), 1);

        QSignalSpy received(client.get(), &Connection::messageReceived);
        const quint64 id = client->request(say(QStringLiteral("hello world")));
        QVERIFY(id != 0);
        QVERIFY(received.wait(Wait));
        const QCborMap reply = received.at(0).at(0).value<QCborMap>();
        QVERIFY(isOk(reply));
        QCOMPARE(requestId(reply), std::optional<quint64>(id));
        QCOMPARE(reply.value(QStringLiteral("echo")).toString(), QStringLiteral("hello world"));

        // AGPL §13: the source offer is one request away, answered by libs/net itself.
        client->request(makeMessage(msg::source));
        QVERIFY(received.wait(Wait));
        const QCborMap source = received.at(1).at(0).value<QCborMap>();
        QCOMPARE(messageType(source), msg::source);
        QCOMPARE(source.value(QStringLiteral("source")).toString(),
            QStringLiteral("https://example.org/metatopia.git"));

        QSignalSpy serverGone(serverSide, &Connection::disconnected);
        client->close(QStringLiteral("done"));
        QVERIFY(serverGone.wait(Wait));
        QTRY_COMPARE_WITH_TIMEOUT(server->connections().size(), 0, Wait);
    }

    void changedCertificateIsRefused()
    {
        PinStore pins(m_dir.filePath(QStringLiteral("pins2")));
        auto first = startServer(QStringLiteral("s2a"));
        QVERIFY(first);
        const quint16 port = first->serverPort();
        QVERIFY(connectClient(*first, pins));
        const QByteArray pinned = *pins.pinned(QStringLiteral("127.0.0.1"), port);
        first.reset();

        // Another identity on the same address: what an attacker in the middle would present.
        QString error;
        const auto other = TlsIdentity::loadOrCreate(m_dir.filePath(QStringLiteral("s2b")), &error);
        QVERIFY(other);
        Server impostor;
        QVERIFY2(impostor.listen(QHostAddress::LocalHost, port, *other),
            qPrintable(impostor.errorString()));
        QSignalSpy accepted(&impostor, &Server::newConnection);

        auto client = Connection::connectToHost(QStringLiteral("127.0.0.1"), port, pins);
        QSignalSpy changed(client.get(), &Connection::fingerprintChanged);
        QSignalSpy errors(client.get(), &Connection::errorOccurred);
        QSignalSpy gone(client.get(), &Connection::disconnected);
        QSignalSpy ready(client.get(), &Connection::ready);
        QVERIFY(gone.wait(Wait));
        QCOMPARE(ready.size(), 0);
        QCOMPARE(changed.size(), 1);
        QCOMPARE(changed.at(0).at(1).toByteArray(), pinned);
        QCOMPARE(changed.at(0).at(2).toByteArray(), other->fingerprint());
        QVERIFY(!errors.isEmpty());
        QVERIFY(errors.at(0).at(0).toString().contains(QStringLiteral("CHANGED")));
        QCOMPARE(accepted.size(), 0);
        QCOMPARE(*pins.pinned(QStringLiteral("127.0.0.1"), port), pinned);

        // The user explicitly accepts the new certificate: now it connects.
        QVERIFY(pins.pin(QStringLiteral("127.0.0.1"), port, other->fingerprint()));
        auto again = Connection::connectToHost(QStringLiteral("127.0.0.1"), port, pins);
        QSignalSpy readyAgain(again.get(), &Connection::ready);
        QVERIFY(readyAgain.wait(Wait));
    }

    void unsupportedVersionIsRefused()
    {
        auto server = startServer(QStringLiteral("s3"));
        QVERIFY(server);
        QSignalSpy accepted(server.get(), &Server::newConnection);
        PinStore pins(m_dir.filePath(QStringLiteral("pins3")));
        ClientOptions options;
        options.protocolVersion = ProtocolVersion + 40;
        auto client = Connection::connectToHost(
            QStringLiteral("127.0.0.1"), server->serverPort(), pins, options);
        QSignalSpy errors(client.get(), &Connection::errorOccurred);
        QSignalSpy gone(client.get(), &Connection::disconnected);
        QVERIFY(gone.wait(Wait));
        QVERIFY(!errors.isEmpty());
        QVERIFY2(
            errors.at(0).at(0).toString().contains(QStringLiteral("unsupported protocol version")),
            qPrintable(errors.at(0).at(0).toString()));
        QCOMPARE(accepted.size(), 0);
        QCOMPARE(client->state(), Connection::State::Closed);
    }

    void floodIsDisconnectedOthersServed()
    {
        ServerOptions options;
        options.limits.messagesPerSecond = 50;
        options.limits.messageBurst = 50;
        options.limits.maxRateViolations = 20;
        auto server = startServer(QStringLiteral("s4"), options);
        QVERIFY(server);
        echoAll(*server);
        PinStore pins(m_dir.filePath(QStringLiteral("pins4")));
        auto flooder = connectClient(*server, pins);
        auto calm = connectClient(*server, pins);
        QVERIFY(flooder && calm);

        QSignalSpy flooderGone(flooder.get(), &Connection::disconnected);
        QSignalSpy flooderErrors(flooder.get(), &Connection::errorOccurred);
        QSignalSpy flooderReplies(flooder.get(), &Connection::messageReceived);
        for (int i = 0; i < 1000; ++i)
            flooder->request(say(QStringLiteral("spam %1").arg(i)));
        QSignalSpy calmReplies(calm.get(), &Connection::messageReceived);
        calm->request(say(QStringLiteral("still there?")));
        QVERIFY(flooderGone.wait(Wait));
        int limited = 0;
        int echoed = 0;
        for (const auto &args : flooderReplies) {
            const QCborMap m = args.at(0).value<QCborMap>();
            if (errorText(m).contains(QStringLiteral("rate limit")))
                ++limited;
            else if (isOk(m))
                ++echoed;
        }
        QVERIFY2(echoed >= 40 && echoed < 1000, qPrintable(QString::number(echoed)));
        QVERIFY(limited >= 20);
        QVERIFY(!flooderErrors.isEmpty());
        QVERIFY2(flooderErrors.last().at(0).toString().contains(QStringLiteral("rate limit")),
            qPrintable(flooderErrors.last().at(0).toString()));

        QTRY_VERIFY_WITH_TIMEOUT(!calmReplies.isEmpty(), Wait);
        QCOMPARE(calmReplies.at(0).at(0).value<QCborMap>().value(QStringLiteral("echo")).toString(),
            QStringLiteral("still there?"));
        QCOMPARE(calm->state(), Connection::State::Ready);
        calm->request(say(QStringLiteral("and now?")));
        QTRY_COMPARE_WITH_TIMEOUT(calmReplies.size(), 2, Wait);
        QTRY_COMPARE_WITH_TIMEOUT(server->connections().size(), 1, Wait);
    }

    void malformedFramesGetErrorsThenDisconnect_data()
    {
        QTest::addColumn<QList<QByteArray>>("frames");
        QTest::addColumn<int>("errorsBeforeClose");
        const QByteArray hello
            = QCborValue(QCborMap { { key::type, msg::hello }, { key::version, ProtocolVersion } })
                  .toCbor();
        QByteArray oversized(4, Qt::Uninitialized);
        qToBigEndian<quint32>(quint32(DefaultMaxFrameSize + 1), oversized.data());
        QTest::newRow("garbage") << QList<QByteArray> { rawFrame(hello), rawFrame("\xff\x00junk"),
            rawFrame(QCborValue(5).toCbor()), rawFrame(QCborValue(QCborMap()).toCbor()) }
                                 << 3;
        QTest::newRow("oversized") << QList<QByteArray> { rawFrame(hello), oversized } << 1;
        QTest::newRow("no hello") << QList<QByteArray> {
            rawFrame(QCborValue(say(QStringLiteral("x"))).toCbor()),
            rawFrame(QCborValue(say(QStringLiteral("y"))).toCbor()),
            rawFrame(QCborValue(say(QStringLiteral("z"))).toCbor())
        } << 3;
    }

    void malformedFramesGetErrorsThenDisconnect()
    {
        QFETCH(QList<QByteArray>, frames);
        QFETCH(int, errorsBeforeClose);
        auto server = startServer(QStringLiteral("s5"));
        QVERIFY(server);
        echoAll(*server);
        PinStore pins(m_dir.filePath(QStringLiteral("pins5")));
        auto bystander = connectClient(*server, pins);
        QVERIFY(bystander);

        // A hand-made TLS client that speaks broken frames.
        QSslSocket raw;
        raw.setPeerVerifyMode(QSslSocket::QueryPeer);
        QSignalSpy encrypted(&raw, &QSslSocket::encrypted);
        QSignalSpy closed(&raw, &QSslSocket::disconnected);
        raw.connectToHostEncrypted(QStringLiteral("127.0.0.1"), server->serverPort());
        QVERIFY(encrypted.wait(Wait));
        for (const QByteArray &f : frames)
            raw.write(f);
        QVERIFY(closed.wait(Wait) || raw.state() == QAbstractSocket::UnconnectedState);

        FrameDecoder decoder;
        decoder.feed(raw.readAll());
        int errors = 0;
        bool bye = false;
        while (const auto item = decoder.next()) {
            QVERIFY(item->ok());
            if (!item->message.value(key::error).toString().isEmpty())
                ++errors;
            if (messageType(item->message) == msg::bye)
                bye = true;
        }
        QCOMPARE(errors, errorsBeforeClose);
        QVERIFY(bye);

        QSignalSpy replies(bystander.get(), &Connection::messageReceived);
        bystander->request(say(QStringLiteral("fine")));
        QVERIFY(replies.wait(Wait));
        QVERIFY(isOk(replies.at(0).at(0).value<QCborMap>()));
    }

    void authenticatorGatesMessages()
    {
        auto server = startServer(QStringLiteral("s6"));
        QVERIFY(server);
        echoAll(*server);
        server->setAuthenticator([](Connection &, const QCborMap &request, AuthDone done) {
            AuthOutcome outcome;
            if (request.value(QStringLiteral("password")).toString() == QStringLiteral("secret")) {
                outcome.ok = true;
                outcome.accountId = 42;
                outcome.accountName = QStringLiteral("alice");
                outcome.fields.insert(QStringLiteral("token"), QStringLiteral("t0k"));
            } else {
                outcome.error = QStringLiteral("wrong name or password");
                outcome.delayMs = 200;
            }
            done(outcome);
        });
        QSignalSpy authenticated(server.get(), &Server::connectionAuthenticated);
        PinStore pins(m_dir.filePath(QStringLiteral("pins6")));
        auto client = connectClient(*server, pins);
        QVERIFY(client);
        QVERIFY(client->handshake().value(QStringLiteral("auth")).toBool());
        QSignalSpy received(client.get(), &Connection::messageReceived);

        client->request(say(QStringLiteral("too early")));
        QVERIFY(received.wait(Wait));
        QVERIFY(errorText(received.at(0).at(0).value<QCborMap>())
                    .contains(QStringLiteral("not authenticated")));

        QElapsedTimer timer;
        timer.start();
        client->request(
            makeMessage(msg::auth, { { QStringLiteral("password"), QStringLiteral("guess") } }));
        QVERIFY(received.wait(Wait));
        QVERIFY(timer.elapsed() >= 190);
        QCOMPARE(errorText(received.at(1).at(0).value<QCborMap>()),
            QStringLiteral("wrong name or password"));

        client->request(
            makeMessage(msg::auth, { { QStringLiteral("password"), QStringLiteral("secret") } }));
        QVERIFY(received.wait(Wait));
        const QCborMap ok = received.at(2).at(0).value<QCborMap>();
        QVERIFY(isOk(ok));
        QCOMPARE(ok.value(QStringLiteral("token")).toString(), QStringLiteral("t0k"));
        QCOMPARE(ok.value(QStringLiteral("accountId")).toInteger(), 42);
        QCOMPARE(authenticated.size(), 1);
        auto *serverSide = authenticated.at(0).at(0).value<Connection *>();
        QCOMPARE(serverSide->accountName(), QStringLiteral("alice"));

        client->request(say(QStringLiteral("now")));
        QVERIFY(received.wait(Wait));
        QCOMPARE(received.at(3).at(0).value<QCborMap>().value(QStringLiteral("echo")).toString(),
            QStringLiteral("now"));
    }

    void plainTcpAndSilentClientsAreDropped()
    {
        ServerOptions options;
        options.handshakeTimeoutMs = 300;
        auto server = startServer(QStringLiteral("s8"), options);
        QVERIFY(server);
        echoAll(*server);
        QSignalSpy accepted(server.get(), &Server::newConnection);

        // Not TLS at all.
        QTcpSocket plain;
        QSignalSpy plainClosed(&plain, &QTcpSocket::disconnected);
        plain.connectToHost(QHostAddress::LocalHost, server->serverPort());
        QVERIFY(plain.waitForConnected(Wait));
        plain.write("GET / HTTP/1.0\r\n\r\n");
        QVERIFY(plainClosed.wait(Wait) || plain.state() == QAbstractSocket::UnconnectedState);

        // TLS, but never says hello: dropped after the handshake timeout.
        QSslSocket silent;
        silent.setPeerVerifyMode(QSslSocket::QueryPeer);
        QSignalSpy silentClosed(&silent, &QSslSocket::disconnected);
        silent.connectToHostEncrypted(QStringLiteral("127.0.0.1"), server->serverPort());
        QElapsedTimer timer;
        timer.start();
        QVERIFY(silentClosed.wait(Wait));
        QVERIFY(timer.elapsed() >= 200);
        QCOMPARE(accepted.size(), 0);

        PinStore pins(m_dir.filePath(QStringLiteral("pins8")));
        auto client = connectClient(*server, pins);
        QVERIFY(client);
        QSignalSpy replies(client.get(), &Connection::messageReceived);
        client->request(say(QStringLiteral("ok?")));
        QVERIFY(replies.wait(Wait));
        QVERIFY(isOk(replies.at(0).at(0).value<QCborMap>()));
    }

    void randomBytesOverTlsNeverHurtTheServer()
    {
        auto server = startServer(QStringLiteral("s9"));
        QVERIFY(server);
        echoAll(*server);
        PinStore pins(m_dir.filePath(QStringLiteral("pins9")));
        auto bystander = connectClient(*server, pins);
        QVERIFY(bystander);
        QSignalSpy replies(bystander.get(), &Connection::messageReceived);
        QRandomGenerator rng(99);
        const QByteArray hello = rawFrame(
            QCborValue(QCborMap { { key::type, msg::hello }, { key::version, ProtocolVersion } })
                .toCbor());
        for (int round = 0; round < 8; ++round) {
            QSslSocket raw;
            raw.setPeerVerifyMode(QSslSocket::QueryPeer);
            QSignalSpy encrypted(&raw, &QSslSocket::encrypted);
            QSignalSpy closed(&raw, &QSslSocket::disconnected);
            raw.connectToHostEncrypted(QStringLiteral("127.0.0.1"), server->serverPort());
            QVERIFY(encrypted.wait(Wait));
            if (round % 2)
                raw.write(hello);
            for (int piece = 0; piece < 20; ++piece) {
                QByteArray bytes(int(rng.bounded(1, 300)), Qt::Uninitialized);
                for (char &c : bytes)
                    c = char(rng.bounded(256));
                if (rng.bounded(2))
                    bytes = rawFrame(bytes); // well framed, garbage inside
                raw.write(bytes);
            }
            // Truncated frame at the end: the server must not wait for it forever either.
            raw.write(QByteArray("\x00\x00\x10\x00\xa1", 5));
            QVERIFY(closed.wait(Wait) || raw.state() == QAbstractSocket::UnconnectedState);

            bystander->request(say(QStringLiteral("round %1").arg(round)));
            QTRY_COMPARE_WITH_TIMEOUT(replies.size(), round + 1, Wait);
        }
        QCOMPARE(server->connections().size(), 1);
    }

    void unfinishedFrameTimesOut()
    {
        ServerOptions options;
        options.limits.frameTimeoutMs = 300;
        auto server = startServer(QStringLiteral("s11"), options);
        QVERIFY(server);
        QSslSocket raw;
        raw.setPeerVerifyMode(QSslSocket::QueryPeer);
        QSignalSpy encrypted(&raw, &QSslSocket::encrypted);
        QSignalSpy closed(&raw, &QSslSocket::disconnected);
        raw.connectToHostEncrypted(QStringLiteral("127.0.0.1"), server->serverPort());
        QVERIFY(encrypted.wait(Wait));
        raw.write(rawFrame(
            QCborValue(QCborMap { { key::type, msg::hello }, { key::version, ProtocolVersion } })
                .toCbor()));
        raw.write(QByteArray("\x00\x00\x01\x00\xa1\x61", 6)); // 256 bytes promised, 2 sent
        QElapsedTimer timer;
        timer.start();
        QVERIFY(closed.wait(Wait) || raw.state() == QAbstractSocket::UnconnectedState);
        QVERIFY(timer.elapsed() >= 250);
        FrameDecoder decoder;
        decoder.feed(raw.readAll());
        bool sawTimeout = false;
        while (const auto item = decoder.next())
            sawTimeout |= errorText(item->message).contains(QStringLiteral("not completed"));
        QVERIFY(sawTimeout);
    }

    void serverShutdownIsAnnounced()
    {
        auto server = startServer(QStringLiteral("s12"));
        QVERIFY(server);
        PinStore pins(m_dir.filePath(QStringLiteral("pins12")));
        auto client = connectClient(*server, pins);
        QVERIFY(client);
        QSignalSpy errors(client.get(), &Connection::errorOccurred);
        QSignalSpy gone(client.get(), &Connection::disconnected);
        server->close();
        QVERIFY(!server->isListening());
        QVERIFY(gone.wait(Wait));
        QVERIFY(!errors.isEmpty());
        QVERIFY(errors.at(0).at(0).toString().contains(QStringLiteral("shutting down")));
    }

    void connectionRefusedIsReported()
    {
        QTcpServer closedPort;
        QVERIFY(closedPort.listen(QHostAddress::LocalHost, 0));
        const quint16 port = closedPort.serverPort();
        closedPort.close();
        PinStore pins(m_dir.filePath(QStringLiteral("pins10")));
        auto client = Connection::connectToHost(QStringLiteral("127.0.0.1"), port, pins);
        QSignalSpy errors(client.get(), &Connection::errorOccurred);
        QSignalSpy gone(client.get(), &Connection::disconnected);
        QVERIFY(gone.wait(Wait));
        QVERIFY(!errors.isEmpty());
        QVERIFY(!pins.pinned(QStringLiteral("127.0.0.1"), port));
    }

    void sendRefusesBeyondWriteBuffer()
    {
        auto server = startServer(QStringLiteral("s7"));
        QVERIFY(server);
        PinStore pins(m_dir.filePath(QStringLiteral("pins7")));
        ClientOptions options;
        options.limits.maxWriteBuffer = 16 * 1024;
        auto client = connectClient(*server, pins, options);
        QVERIFY(client);
        // Without returning to the event loop nothing leaves the buffer, so it fills.
        int accepted = 0;
        bool refused = false;
        for (int i = 0; i < 100 && !refused; ++i) {
            if (client->send(say(QString(1000, QLatin1Char('x')))))
                ++accepted;
            else
                refused = true;
        }
        QVERIFY(refused);
        QVERIFY(accepted >= 16 && accepted < 100);
        QVERIFY(client->bytesToWrite() <= 16 * 1024 + 1100);
        QSignalSpy available(client.get(), &Connection::sendBufferAvailable);
        QVERIFY(available.wait(Wait));
        QVERIFY(client->send(say(QStringLiteral("after"))));
    }
};

QTEST_GUILESS_MAIN(ConnectionTest)
#include "ConnectionTest.moc"
