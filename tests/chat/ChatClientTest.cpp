// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later

// ChatClient against a real in-process server: reconnect with deterministic backoff, session
// resume, re-join, resend of unacknowledged messages without loss or duplicates, certificate
// pinning.

#include "ChatTestSupport.h"

#include <QTcpServer>

using namespace metatopia;
using namespace metatopia::test;

class ChatClientTest : public QObject
{
    Q_OBJECT

private slots:
    void backoffIsExponentialWithACap()
    {
        quint16 deadPort = 0;
        {
            QTcpServer probe;
            QVERIFY(probe.listen(QHostAddress::LocalHost, 0));
            deadPort = probe.serverPort();
        }
        ServerFixture dirs;
        ChatClient client(dirs.clientDir(QStringLiteral("c")));
        client.setReconnectDelays(10, 80);
        QSignalSpy reconnecting(&client, &ChatClient::reconnecting);
        client.connectToServer(QStringLiteral("127.0.0.1"), deadPort);
        QTRY_VERIFY_WITH_TIMEOUT(reconnecting.count() >= 6, WaitMs);
        const QList<int> expected { 10, 20, 40, 80, 80, 80 };
        for (int i = 0; i < expected.size(); ++i) {
            QCOMPARE(reconnecting.at(i).at(0).toInt(), i + 1);
            QCOMPARE(reconnecting.at(i).at(1).toInt(), expected.at(i));
        }
        // disconnectFromServer stops retrying for good.
        client.disconnectFromServer();
        const int count = reconnecting.count();
        QSignalSpy state(&client, &ChatClient::stateChanged);
        QVERIFY(!state.wait(300)); // bounded check that nothing more happens
        QCOMPARE(reconnecting.count(), count);
        QCOMPARE(client.state(), ChatClient::State::Disconnected);
    }

    void messagesQueuedBeforeLoginAreSentAfter()
    {
        ServerFixture server;
        QVERIFY(server.start());
        auto b = makeClient(server, QStringLiteral("b"));
        QVERIFY(connectAs(*b, server, QStringLiteral("bob")));
        QVERIFY(joinAndWait(*b, QStringLiteral("#q")));
        QSignalSpy bMsgs(b.get(), &ChatClient::messageReceived);

        auto a = makeClient(server, QStringLiteral("a"));
        a->joinChannel(QStringLiteral("#q"));
        const qint64 seq = a->sendToChannel(QStringLiteral("#q"), QStringLiteral("early bird"));
        QVERIFY(seq != 0);
        QCOMPARE(a->pendingMessages().size(), 1);
        QSignalSpy acks(a.get(), &ChatClient::messageAcknowledged);
        QVERIFY(connectAs(*a, server, QStringLiteral("alice")));
        QTRY_COMPARE_WITH_TIMEOUT(acks.count(), 1, WaitMs);
        QCOMPARE(acks.first().at(0).toLongLong(), seq);
        QVERIFY(a->pendingMessages().isEmpty());
        QTRY_COMPARE_WITH_TIMEOUT(bMsgs.count(), 1, WaitMs);
    }

    void reconnectResumesRejoinsAndResendsOnce()
    {
        ServerFixture server;
        QVERIFY(server.start());
        const quint16 port = server.port();
        auto a = makeClient(server, QStringLiteral("a"));
        auto b = makeClient(server, QStringLiteral("b"));
        QVERIFY(connectAs(*a, server, QStringLiteral("alice")));
        QVERIFY(connectAs(*b, server, QStringLiteral("bob")));
        QVERIFY(joinAndWait(*a, QStringLiteral("#r")));
        QVERIFY(joinAndWait(*b, QStringLiteral("#r")));
        QSignalSpy acks(a.get(), &ChatClient::messageAcknowledged);
        a->sendToChannel(QStringLiteral("#r"), QStringLiteral("before"));
        QVERIFY(acks.wait(WaitMs));

        // The server goes away; one message is in flight as it does, more are written offline.
        QSignalSpy aReconnecting(a.get(), &ChatClient::reconnecting);
        a->sendToChannel(QStringLiteral("#r"), QStringLiteral("in flight"));
        server.stop();
        QTRY_VERIFY_WITH_TIMEOUT(aReconnecting.count() >= 1, WaitMs);
        QVERIFY(a->state() != ChatClient::State::LoggedIn);
        a->sendToChannel(QStringLiteral("#r"), QStringLiteral("offline 1"));
        a->sendToChannel(QStringLiteral("#r"), QStringLiteral("offline 2"));
        QVERIFY(a->pendingMessages().size() >= 2);

        // Same data dir, same port: the session token is still valid, the history intact.
        QSignalSpy aLoggedIn(a.get(), &ChatClient::loggedIn);
        QSignalSpy aJoined(a.get(), &ChatClient::channelJoined);
        QVERIFY(server.start(port));
        QTRY_VERIFY_WITH_TIMEOUT(!aLoggedIn.isEmpty(), WaitMs);
        QCOMPARE(aLoggedIn.first().first().toString(), QStringLiteral("alice"));
        QTRY_VERIFY_WITH_TIMEOUT(!aJoined.isEmpty(), WaitMs);
        QCOMPARE(aJoined.first().first().toString(), QStringLiteral("#r"));
        QTRY_VERIFY_WITH_TIMEOUT(a->pendingMessages().isEmpty(), WaitMs);
        QTRY_COMPARE_WITH_TIMEOUT(b->state(), ChatClient::State::LoggedIn, WaitMs);

        const QStringList expected { QStringLiteral("before"), QStringLiteral("in flight"),
            QStringLiteral("offline 1"), QStringLiteral("offline 2") };
        QCOMPARE(historyTexts(*b, QStringLiteral("#r")), expected);
        QCOMPARE(server.host().service()->channelMembers(QStringLiteral("#r")),
            (QStringList { QStringLiteral("alice"), QStringLiteral("bob") }));
    }

    void longBacklogIsResentWithinTheRateLimit()
    {
        ServerFixture server;
        QVERIFY(server.start()); // the default limit: 100 messages/s, bursts of 200
        auto a = makeClient(server, QStringLiteral("a"));
        a->joinChannel(QStringLiteral("#backlog"));
        const int count = 300;
        for (int i = 0; i < count; ++i)
            a->sendToChannel(QStringLiteral("#backlog"), QStringLiteral("m%1").arg(i));
        QCOMPARE(a->pendingMessages().size(), count);

        QSignalSpy acks(a.get(), &ChatClient::messageAcknowledged);
        QSignalSpy loggedIn(a.get(), &ChatClient::loggedIn);
        QSignalSpy rejected(a.get(), &ChatClient::messageRejected);
        QVERIFY(connectAs(*a, server, QStringLiteral("alice")));
        QTRY_COMPARE_WITH_TIMEOUT(acks.count(), count, 30000);
        QCOMPARE(loggedIn.count(), 1); // never dropped for flooding
        QCOMPARE(rejected.count(), 0);
        QStringList expected;
        for (int i = 0; i < count; ++i)
            expected.append(QStringLiteral("m%1").arg(i));
        QSignalSpy history(a.get(), &ChatClient::historyReceived);
        a->requestHistory(QStringLiteral("#backlog"), 0, 200);
        QVERIFY(history.wait(WaitMs));
        const auto newest = history.first().at(1).value<QList<ChatMessage>>();
        QCOMPARE(newest.size(), 200);
        QCOMPARE(newest.last().text, expected.last());
        QCOMPARE(newest.first().text, expected.at(count - 200));
    }

    void changedCertificateIsRefusedLoudly()
    {
        ServerFixture first;
        QVERIFY(first.start());
        const quint16 port = first.port();
        const QString oldFp = first.host().fingerprint();
        ServerFixture clientSide;
        auto a = makeClient(clientSide, QStringLiteral("a"));
        QVERIFY(connectAs(*a, first, QStringLiteral("alice")));
        first.stop();

        // Another server (new identity) on the same address.
        ServerFixture impostor;
        QSignalSpy changed(a.get(), &ChatClient::certificateChanged);
        QVERIFY(impostor.start(port));
        QVERIFY(impostor.host().fingerprint() != oldFp);
        QTRY_COMPARE_WITH_TIMEOUT(changed.count(), 1, WaitMs);
        QCOMPARE(changed.first().at(1).toString(), oldFp);
        QCOMPARE(changed.first().at(2).toString(), impostor.host().fingerprint());
        QTRY_COMPARE_WITH_TIMEOUT(a->state(), ChatClient::State::Disconnected, WaitMs);
        // No retry loop against the impostor.
        QSignalSpy reconnecting(a.get(), &ChatClient::reconnecting);
        QVERIFY(!reconnecting.wait(300));
    }
};

QTEST_GUILESS_MAIN(ChatClientTest)
#include "ChatClientTest.moc"
