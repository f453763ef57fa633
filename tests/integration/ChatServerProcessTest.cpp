// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later

// The real metatopia-server binary with a temporary data dir: several clients chat on channels
// and privately; the server crashes and restarts on the same data dir with history intact while
// clients reconnect and resend; hostile peers (random, truncated and oversized frames, raw
// garbage, a flooder) do not stop it from serving a well-behaved client.

#include "ChatClientSupport.h"
#include "ServerProcess.h"

#include "chat/ChatClient.h"
#include "chat/ChatProtocol.h"
#include "net/Connection.h"
#include "net/Frame.h"
#include "net/PinStore.h"
#include "net/Protocol.h"
#include "net/TlsIdentity.h"

#include <QDir>
#include <QRandomGenerator>
#include <QSignalSpy>
#include <QSslSocket>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

using namespace metatopia;
using namespace metatopia::test;

namespace {

constexpr int WaitMs = 15000;
const QString Password = QStringLiteral("integration pw");

std::unique_ptr<ChatClient> makeClient(const QTemporaryDir &dir, const QString &name)
{
    return makeChatClient(dir.filePath(QStringLiteral("clients/") + name));
}

bool connectAs(ChatClient &client, quint16 port, const QString &user, bool registerFirst)
{
    return connectChatClient(client, port, user, registerFirst, Password);
}

// One well-behaved round trip: a says something on #ok, b receives it.
bool roundTrip(ChatClient &a, ChatClient &b, const QString &text)
{
    QSignalSpy got(&b, &ChatClient::messageReceived);
    a.sendToChannel(QStringLiteral("#ok"), text);
    QElapsedTimer timer;
    timer.start();
    while (timer.elapsed() < WaitMs) {
        for (const auto &args : std::as_const(got)) {
            if (args.first().value<ChatMessage>().text == text)
                return true;
        }
        got.wait(200);
    }
    return false;
}

// A TLS socket that skips certificate checks and speaks raw bytes.
std::unique_ptr<QSslSocket> rawTls(quint16 port)
{
    auto socket = std::make_unique<QSslSocket>();
    socket->setPeerVerifyMode(QSslSocket::VerifyNone);
    socket->connectToHostEncrypted(QStringLiteral("127.0.0.1"), port);
    if (!socket->waitForEncrypted(WaitMs))
        return nullptr;
    return socket;
}

QByteArray helloFrame()
{
    QCborMap hello = net::makeMessage(net::msg::hello);
    hello.insert(net::key::version, net::ProtocolVersion);
    hello.insert(net::key::id, 1);
    return net::encodeFrame(hello);
}

QByteArray lengthPrefix(quint32 n)
{
    QByteArray b(4, '\0');
    b[0] = char(n >> 24);
    b[1] = char(n >> 16);
    b[2] = char(n >> 8);
    b[3] = char(n);
    return b;
}

// Waits until the server closes the socket (bounded); true if it did.
bool closedByServer(QAbstractSocket &socket)
{
    QElapsedTimer timer;
    timer.start();
    while (socket.state() != QAbstractSocket::UnconnectedState && timer.elapsed() < WaitMs) {
        socket.waitForReadyRead(100);
        socket.readAll();
    }
    return socket.state() == QAbstractSocket::UnconnectedState;
}

} // namespace

class ChatServerProcessTest : public QObject
{
    Q_OBJECT

private slots:
    void helpAndBadArguments()
    {
        QProcess help;
        help.start(
            QStringLiteral(METATOPIA_BIN_DIR "/metatopia-server"), { QStringLiteral("--help") });
        QVERIFY(help.waitForFinished(WaitMs));
        QCOMPARE(help.exitCode(), 0);
        const QString text = QString::fromUtf8(help.readAllStandardOutput());
        for (const char *option : { "--role", "--data-dir", "--listen", "--port", "--name" })
            QVERIFY2(text.contains(QLatin1String(option)), option);

        QProcess bad;
        bad.start(QStringLiteral(METATOPIA_BIN_DIR "/metatopia-server"),
            { QStringLiteral("--role"), QStringLiteral("teapot") });
        QVERIFY(bad.waitForFinished(WaitMs));
        QVERIFY(bad.exitCode() != 0);
        QVERIFY(QString::fromUtf8(bad.readAllStandardError()).contains(QLatin1String("teapot")));
    }

    void clientsChatAcrossProcesses()
    {
        QTemporaryDir dir;
        ServerProcess server(dir.filePath(QStringLiteral("server")));
        QVERIFY(server.start());
        QVERIFY(!server.fingerprint().isEmpty());

        auto a = makeClient(dir, QStringLiteral("a"));
        auto b = makeClient(dir, QStringLiteral("b"));
        auto c = makeClient(dir, QStringLiteral("c"));
        QVERIFY(connectAs(*a, server.port(), QStringLiteral("alice"), true));
        QVERIFY(connectAs(*b, server.port(), QStringLiteral("bob"), true));
        QVERIFY(connectAs(*c, server.port(), QStringLiteral("carol"), true));
        for (ChatClient *client : { a.get(), b.get(), c.get() })
            QVERIFY(joinAndWait(*client, QStringLiteral("#town")));

        QSignalSpy bMsgs(b.get(), &ChatClient::messageReceived);
        QSignalSpy cMsgs(c.get(), &ChatClient::messageReceived);
        a->sendToChannel(QStringLiteral("#town"), QStringLiteral("hello town"));
        QTRY_COMPARE_WITH_TIMEOUT(bMsgs.count(), 1, WaitMs);
        QTRY_COMPARE_WITH_TIMEOUT(cMsgs.count(), 1, WaitMs);
        QCOMPARE(cMsgs.first().first().value<ChatMessage>().from, QStringLiteral("alice"));

        b->sendPrivate(QStringLiteral("carol"), QStringLiteral("just for you"));
        QTRY_COMPARE_WITH_TIMEOUT(cMsgs.count(), 2, WaitMs);
        const auto im = cMsgs.at(1).first().value<ChatMessage>();
        QVERIFY(im.isPrivate);
        QCOMPARE(im.channel, QStringLiteral("@bob"));
        // bob saw only the channel message and the pending echo of his own private one.
        QCOMPARE(bMsgs.count(), 2);
        QVERIFY(bMsgs.at(1).first().value<ChatMessage>().pending);

        // The fingerprint clients pinned is the one the server printed.
        net::PinStore pins(dir.filePath(QStringLiteral("clients/a/known-servers.txt")));
        const auto pinned = pins.pinned(QStringLiteral("127.0.0.1"), server.port());
        QVERIFY(pinned.has_value());
        QCOMPARE(net::TlsIdentity::formatFingerprint(*pinned), server.fingerprint());

        QVERIFY(server.terminate()); // SIGTERM: clean exit, status 0
    }

    void restartKeepsHistoryAndClientsResend()
    {
        QTemporaryDir dir;
        const QString data = dir.filePath(QStringLiteral("server"));
        auto server = std::make_unique<ServerProcess>(data);
        QVERIFY(server->start());
        const quint16 port = server->port();

        auto a = makeClient(dir, QStringLiteral("a"));
        auto b = makeClient(dir, QStringLiteral("b"));
        QVERIFY(connectAs(*a, port, QStringLiteral("alice"), true));
        QVERIFY(connectAs(*b, port, QStringLiteral("bob"), true));
        QVERIFY(joinAndWait(*a, QStringLiteral("#keep")));
        QVERIFY(joinAndWait(*b, QStringLiteral("#keep")));
        QSignalSpy acks(a.get(), &ChatClient::messageAcknowledged);
        QStringList expected;
        for (int i = 0; i < 20; ++i) {
            expected.append(QStringLiteral("acked %1").arg(i));
            a->sendToChannel(QStringLiteral("#keep"), expected.last());
        }
        QTRY_COMPARE_WITH_TIMEOUT(acks.count(), 20, WaitMs);

        // A crash: SIGKILL leaves no chance to flush anything that was not on disk already.
        server->kill();
        QTRY_VERIFY_WITH_TIMEOUT(a->state() != ChatClient::State::LoggedIn, WaitMs);
        for (int i = 0; i < 5; ++i) {
            expected.append(QStringLiteral("offline %1").arg(i));
            a->sendToChannel(QStringLiteral("#keep"), expected.last());
        }
        QCOMPARE(a->pendingMessages().size(), 5);

        server = std::make_unique<ServerProcess>(data);
        QVERIFY(server->start(port));
        QTRY_COMPARE_WITH_TIMEOUT(a->state(), ChatClient::State::LoggedIn, WaitMs);
        QTRY_VERIFY_WITH_TIMEOUT(a->pendingMessages().isEmpty(), WaitMs);
        QTRY_COMPARE_WITH_TIMEOUT(b->state(), ChatClient::State::LoggedIn, WaitMs);
        QCOMPARE(historyTexts(*b, QStringLiteral("#keep")), expected);

        // A clean restart (SIGTERM) loses nothing either, and a fresh client sees it all.
        QVERIFY(server->terminate());
        server = std::make_unique<ServerProcess>(data);
        QVERIFY(server->start(port));
        auto fresh = makeClient(dir, QStringLiteral("fresh"));
        QVERIFY(connectAs(*fresh, port, QStringLiteral("bob"), false));
        QCOMPARE(historyTexts(*fresh, QStringLiteral("#keep")), expected);
    }

    void hostileInputDoesNotStopService()
    {
        QTemporaryDir dir;
        ServerProcess server(dir.filePath(QStringLiteral("server")));
        QVERIFY(server.start(0, { QStringLiteral("--rate-limit"), QStringLiteral("100") }));
        auto a = makeClient(dir, QStringLiteral("a"));
        auto b = makeClient(dir, QStringLiteral("b"));
        QVERIFY(connectAs(*a, server.port(), QStringLiteral("alice"), true));
        QVERIFY(connectAs(*b, server.port(), QStringLiteral("bob"), true));
        QVERIFY(joinAndWait(*a, QStringLiteral("#ok")));
        QVERIFY(joinAndWait(*b, QStringLiteral("#ok")));
        QVERIFY(roundTrip(*a, *b, QStringLiteral("before")));

        auto *rng = QRandomGenerator::global();

        // Raw garbage without TLS.
        {
            QTcpSocket plain;
            plain.connectToHost(QStringLiteral("127.0.0.1"), server.port());
            QVERIFY(plain.waitForConnected(WaitMs));
            QByteArray junk(4096, '\0');
            for (char &ch : junk)
                ch = char(rng->bounded(256));
            plain.write(junk);
            QVERIFY(closedByServer(plain));
        }
        QVERIFY(roundTrip(*a, *b, QStringLiteral("after garbage")));

        // Random frames (valid lengths, random payloads) after a proper hello.
        for (int round = 0; round < 5; ++round) {
            auto tls = rawTls(server.port());
            QVERIFY(tls);
            tls->write(helloFrame());
            for (int i = 0; i < 20; ++i) {
                QByteArray payload(int(rng->bounded(1, 300)), '\0');
                for (char &ch : payload)
                    ch = char(rng->bounded(256));
                tls->write(lengthPrefix(quint32(payload.size())) + payload);
            }
            QVERIFY(closedByServer(*tls)); // too many malformed frames
        }
        QVERIFY(roundTrip(*a, *b, QStringLiteral("after random frames")));

        // Random frames before any hello, truncated frames, an oversized frame.
        {
            auto early = rawTls(server.port());
            QVERIFY(early);
            early->write(lengthPrefix(5) + QByteArray("\xa1\x61\x74\x61\x78", 5)); // {"t":"x"}
            early->write(lengthPrefix(3) + QByteArray("\xff\xff\xff", 3));
            early->write(lengthPrefix(3) + QByteArray("\x01\x02\x03", 3));
            QVERIFY(closedByServer(*early));

            auto truncated = rawTls(server.port());
            QVERIFY(truncated);
            truncated->write(helloFrame());
            truncated->write(lengthPrefix(1000) + QByteArray(10, 'x'));
            truncated->flush();
            truncated->disconnectFromHost(); // the rest never comes

            auto oversized = rawTls(server.port());
            QVERIFY(oversized);
            oversized->write(helloFrame());
            oversized->write(lengthPrefix(0x7fffffff) + QByteArray(64, 'A'));
            QVERIFY(closedByServer(*oversized));
        }
        QVERIFY(roundTrip(*a, *b, QStringLiteral("after bad frames")));

        // Well-formed CBOR with the wrong shapes, from a logged-in peer.
        {
            net::PinStore pins(dir.filePath(QStringLiteral("raw-pins.txt")));
            auto raw
                = net::Connection::connectToHost(QStringLiteral("127.0.0.1"), server.port(), pins);
            QSignalSpy ready(raw.get(), &net::Connection::ready);
            QVERIFY(ready.wait(WaitMs));
            QSignalSpy replies(raw.get(), &net::Connection::messageReceived);
            QCborMap auth = net::makeMessage(net::msg::auth);
            auth.insert(QStringLiteral("method"), QStringLiteral("register"));
            auth.insert(QStringLiteral("name"), QStringLiteral("mallory"));
            auth.insert(chat::key::password, Password);
            raw->request(auth);
            QVERIFY(replies.wait(WaitMs));
            const QList<QCborMap> shapes = [] {
                QList<QCborMap> list;
                QCborMap m;
                m.insert(net::key::type, chat::msg::say);
                m.insert(chat::key::channel, QCborMap());
                m.insert(chat::key::text, 5);
                list.append(m);
                QCborMap h;
                h.insert(net::key::type, chat::msg::history);
                h.insert(chat::key::limit, qint64(-1) << 40);
                h.insert(chat::key::before, QStringLiteral("x"));
                list.append(h);
                QCborMap j;
                j.insert(net::key::type, chat::msg::join);
                j.insert(chat::key::channel, QString(5000, u'#'));
                list.append(j);
                QCborMap im;
                im.insert(net::key::type, chat::msg::im);
                im.insert(chat::key::to, QCborArray { 1, 2, 3 });
                im.insert(chat::key::text, QStringLiteral("x"));
                list.append(im);
                return list;
            }();
            for (const QCborMap &shape : shapes)
                raw->request(shape);
            QTRY_VERIFY_WITH_TIMEOUT(replies.count() >= 1 + shapes.size(), WaitMs);
            for (int i = 1; i < replies.count(); ++i)
                QVERIFY(!net::isOk(replies.at(i).first().value<QCborMap>()));
        }
        QVERIFY(roundTrip(*a, *b, QStringLiteral("after odd shapes")));

        // A flooder: thousands of messages as fast as it can. It gets rate-limited and then
        // dropped; the others keep chatting meanwhile.
        {
            net::PinStore pins(dir.filePath(QStringLiteral("flood-pins.txt")));
            auto flood
                = net::Connection::connectToHost(QStringLiteral("127.0.0.1"), server.port(), pins);
            QSignalSpy ready(flood.get(), &net::Connection::ready);
            QVERIFY(ready.wait(WaitMs));
            QSignalSpy gone(flood.get(), &net::Connection::disconnected);
            QSignalSpy replies(flood.get(), &net::Connection::messageReceived);
            QCborMap auth = net::makeMessage(net::msg::auth);
            auth.insert(QStringLiteral("method"), QStringLiteral("register"));
            auth.insert(QStringLiteral("name"), QStringLiteral("flooder"));
            auth.insert(chat::key::password, Password);
            flood->request(auth);
            QVERIFY(replies.wait(WaitMs));
            QCborMap joinOk = net::makeMessage(chat::msg::join);
            joinOk.insert(chat::key::channel, QStringLiteral("#ok"));
            flood->request(joinOk);
            for (int i = 0; i < 3000 && flood->isReady(); ++i) {
                QCborMap say = net::makeMessage(chat::msg::say);
                say.insert(chat::key::channel, QStringLiteral("#ok"));
                say.insert(chat::key::text, QStringLiteral("spam %1").arg(i));
                say.insert(chat::key::seq, i + 1);
                flood->request(say);
            }
            QVERIFY(roundTrip(*a, *b, QStringLiteral("during flood")));
            // Dropped by the server for exceeding its rate limit again and again.
            QTRY_VERIFY_WITH_TIMEOUT(!gone.isEmpty(), WaitMs);
            bool rateLimited = false;
            for (const auto &args : std::as_const(replies)) {
                if (net::errorText(args.first().value<QCborMap>()).contains(QLatin1String("rate")))
                    rateLimited = true;
            }
            QVERIFY(rateLimited);
        }
        QVERIFY(roundTrip(*a, *b, QStringLiteral("after flood")));
        QVERIFY(server.isRunning());
        QVERIFY(server.terminate());
    }
};

QTEST_GUILESS_MAIN(ChatServerProcessTest)
#include "ChatServerProcessTest.moc"
