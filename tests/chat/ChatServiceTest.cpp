// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later

// ChatService over real loopback TLS with a real SQLite file: accounts, channels, fan-out,
// private messages, presence, history paging, de-duplication, limits, local chat, source offer.

#include "ChatTestSupport.h"

#include "chat/ChatService.h"
#include "chat/LocalChat.h"

#include <QElapsedTimer>

using namespace metatopia;
using namespace metatopia::test;

class ChatServiceTest : public QObject
{
    Q_OBJECT

    std::unique_ptr<ServerFixture> server;

private slots:
    void init()
    {
        server = std::make_unique<ServerFixture>();
        QVERIFY(server->start(0, 300));
    }
    void cleanup() { server.reset(); }

    void registerThenLoginFromAnotherClient()
    {
        auto a = makeClient(*server, QStringLiteral("a"));
        QSignalSpy registered(a.get(), &ChatClient::registered);
        QVERIFY(connectAs(*a, *server, QStringLiteral("alice")));
        QCOMPARE(registered.count(), 1);
        QCOMPARE(registered.first().first().toString(), QStringLiteral("alice"));
        QCOMPARE(a->state(), ChatClient::State::LoggedIn);
        QCOMPARE(a->user(), QStringLiteral("alice"));

        auto b = makeClient(*server, QStringLiteral("b"));
        QVERIFY(connectAs(*b, *server, QStringLiteral("alice"), false));
        QCOMPARE(b->user(), QStringLiteral("alice"));
        QCOMPARE(server->host().service()->onlineUserCount(), 1);
    }

    void registrationRules()
    {
        auto a = makeClient(*server, QStringLiteral("a"));
        QVERIFY(connectAs(*a, *server, QStringLiteral("alice")));

        RawPeer raw(server->clientDir(QStringLiteral("raw")));
        QVERIFY(raw.connectTo(server->port()));
        const auto tryRegister = [&](const QString &name, const QString &password) {
            QCborMap auth;
            auth.insert(QStringLiteral("method"), QStringLiteral("register"));
            auth.insert(QStringLiteral("name"), name);
            auth.insert(chat::key::password, password);
            return raw.call(net::msg::auth, auth);
        };
        QCOMPARE(net::errorText(tryRegister(QStringLiteral("alice"), QStringLiteral("whatever1"))),
            QStringLiteral("the name alice is taken"));
        QVERIFY(
            net::errorText(tryRegister(QStringLiteral("bad name"), QStringLiteral("longenough")))
                .contains(QLatin1String("a name")));
        QVERIFY(net::errorText(tryRegister(QStringLiteral("bob"), QStringLiteral("short")))
                    .contains(QLatin1String("password")));
        QVERIFY(net::isOk(tryRegister(QStringLiteral("bob"), QStringLiteral("longenough"))));
    }

    void wrongPasswordIsLateAndBlocksNobody()
    {
        {
            auto a = makeClient(*server, QStringLiteral("setup"));
            QVERIFY(connectAs(*a, *server, QStringLiteral("alice")));
        }
        auto wrong = makeClient(*server, QStringLiteral("wrong"));
        QSignalSpy connected(wrong.get(), &ChatClient::stateChanged);
        wrong->connectToServer(QStringLiteral("127.0.0.1"), server->port());
        QTRY_COMPARE_WITH_TIMEOUT(wrong->state(), ChatClient::State::Connected, WaitMs);

        QSignalSpy failed(wrong.get(), &ChatClient::loginFailed);
        QElapsedTimer timer;
        timer.start();
        wrong->login(QStringLiteral("alice"), QStringLiteral("wrong password"));

        // While the failure is pending, another client logs in: it is not held up.
        auto good = makeClient(*server, QStringLiteral("good"));
        QVERIFY(connectAs(*good, *server, QStringLiteral("alice"), false));
        const bool goodFirst = failed.isEmpty();

        QVERIFY(QTest::qWaitFor([&] { return !failed.isEmpty(); }, WaitMs));
        const qint64 elapsed = timer.elapsed();
        QCOMPARE(failed.first().first().toString(), QStringLiteral("wrong name or password"));
        QVERIFY2(elapsed >= 300, qPrintable(QString::number(elapsed)));
        QVERIFY(goodFirst);
        QCOMPARE(wrong->state(), ChatClient::State::Connected);

        // Unknown users get the same answer.
        QSignalSpy failed2(wrong.get(), &ChatClient::loginFailed);
        wrong->login(QStringLiteral("nobody"), QStringLiteral("whatever123"));
        QVERIFY(failed2.wait(WaitMs));
        QCOMPARE(failed2.first().first().toString(), QStringLiteral("wrong name or password"));
    }

    void channelFanOutAndMembers()
    {
        auto a = makeClient(*server, QStringLiteral("a"));
        auto b = makeClient(*server, QStringLiteral("b"));
        auto c = makeClient(*server, QStringLiteral("c"));
        QVERIFY(connectAs(*a, *server, QStringLiteral("alice")));
        QVERIFY(connectAs(*b, *server, QStringLiteral("bob")));
        QVERIFY(connectAs(*c, *server, QStringLiteral("carol")));

        QVERIFY(joinAndWait(*a, QStringLiteral("#lobby")));
        QSignalSpy aMemberJoined(a.get(), &ChatClient::memberJoined);
        QSignalSpy bJoined(b.get(), &ChatClient::channelJoined);
        b->joinChannel(QStringLiteral("lobby")); // '#' is added
        QVERIFY(bJoined.wait(WaitMs));
        QCOMPARE(bJoined.first().at(0).toString(), QStringLiteral("#lobby"));
        QCOMPARE(bJoined.first().at(1).toStringList(),
            (QStringList { QStringLiteral("alice"), QStringLiteral("bob") }));
        QTRY_COMPARE_WITH_TIMEOUT(aMemberJoined.count(), 1, WaitMs);
        QCOMPARE(aMemberJoined.first().at(1).toString(), QStringLiteral("bob"));
        // carol stays outside the channel.

        QSignalSpy aMsgs(a.get(), &ChatClient::messageReceived);
        QSignalSpy aAcks(a.get(), &ChatClient::messageAcknowledged);
        QSignalSpy bMsgs(b.get(), &ChatClient::messageReceived);
        QSignalSpy cMsgs(c.get(), &ChatClient::messageReceived);
        const qint64 seq = a->sendToChannel(QStringLiteral("#lobby"), QStringLiteral("hello all"));
        QVERIFY(seq != 0);
        QCOMPARE(aMsgs.count(), 1); // the pending echo, at once
        QVERIFY(aMsgs.first().first().value<ChatMessage>().pending);
        QVERIFY(aAcks.wait(WaitMs));
        QCOMPARE(aAcks.first().at(0).toLongLong(), seq);
        const qint64 id = aAcks.first().at(1).toLongLong();
        QVERIFY(id > 0);
        QTRY_COMPARE_WITH_TIMEOUT(bMsgs.count(), 1, WaitMs);
        const auto got = bMsgs.first().first().value<ChatMessage>();
        QCOMPARE(got.id, id);
        QCOMPARE(got.channel, QStringLiteral("#lobby"));
        QCOMPARE(got.from, QStringLiteral("alice"));
        QCOMPARE(got.text, QStringLiteral("hello all"));
        QCOMPARE(got.clientSeq, seq);
        QVERIFY(!got.pending && !got.isPrivate);
        QVERIFY(qAbs(got.timestampMs - QDateTime::currentMSecsSinceEpoch()) < 60000);

        // A ping round trip through c proves c had the chance to get it and did not.
        RawPeer probe(server->clientDir(QStringLiteral("probe")));
        QVERIFY(probe.connectTo(server->port()));
        QVERIFY(net::isOk(probe.call(net::msg::ping)));
        QCOMPARE(cMsgs.count(), 0);
        QCOMPARE(aMsgs.count(), 1); // no echo of the push to the sender

        QCOMPARE(server->host().service()->channelMembers(QStringLiteral("#lobby")),
            (QStringList { QStringLiteral("alice"), QStringLiteral("bob") }));

        // Speaking in a channel one has not joined is refused and not resent.
        QSignalSpy cRejected(c.get(), &ChatClient::messageRejected);
        c->sendToChannel(QStringLiteral("#lobby"), QStringLiteral("sneaky"));
        QVERIFY(cRejected.wait(WaitMs));
        QVERIFY(c->pendingMessages().isEmpty());

        // Leaving tells the others.
        QSignalSpy aMemberLeft(a.get(), &ChatClient::memberLeft);
        QSignalSpy bLeft(b.get(), &ChatClient::channelLeft);
        b->leaveChannel(QStringLiteral("#lobby"));
        QVERIFY(bLeft.wait(WaitMs));
        QTRY_COMPARE_WITH_TIMEOUT(aMemberLeft.count(), 1, WaitMs);

        QSignalSpy list(c.get(), &ChatClient::channelListReceived);
        c->listChannels();
        QVERIFY(list.wait(WaitMs));
        QVERIFY(list.first().first().toStringList().contains(QStringLiteral("#lobby")));
    }

    void privateMessages()
    {
        auto a = makeClient(*server, QStringLiteral("a"));
        auto b = makeClient(*server, QStringLiteral("b"));
        auto b2 = makeClient(*server, QStringLiteral("b2"));
        auto c = makeClient(*server, QStringLiteral("c"));
        QVERIFY(connectAs(*a, *server, QStringLiteral("alice")));
        QVERIFY(connectAs(*b, *server, QStringLiteral("bob")));
        QVERIFY(connectAs(*b2, *server, QStringLiteral("bob"), false)); // bob's second window
        QVERIFY(connectAs(*c, *server, QStringLiteral("carol")));

        QSignalSpy bMsgs(b.get(), &ChatClient::messageReceived);
        QSignalSpy b2Msgs(b2.get(), &ChatClient::messageReceived);
        QSignalSpy cMsgs(c.get(), &ChatClient::messageReceived);
        QSignalSpy aAcks(a.get(), &ChatClient::messageAcknowledged);
        a->sendPrivate(QStringLiteral("bob"), QStringLiteral("psst"));
        QVERIFY(aAcks.wait(WaitMs));
        QTRY_COMPARE_WITH_TIMEOUT(bMsgs.count(), 1, WaitMs);
        QTRY_COMPARE_WITH_TIMEOUT(b2Msgs.count(), 1, WaitMs);
        const auto got = bMsgs.first().first().value<ChatMessage>();
        QVERIFY(got.isPrivate);
        QCOMPARE(got.channel, QStringLiteral("@alice"));
        QCOMPARE(got.from, QStringLiteral("alice"));
        QCOMPARE(got.to, QStringLiteral("bob"));

        // bob answers from his second window: alice gets it, and so does his first window,
        // filed under the conversation with alice.
        QSignalSpy aMsgs(a.get(), &ChatClient::messageReceived);
        bMsgs.clear();
        b2->sendPrivate(QStringLiteral("@alice"), QStringLiteral("hi back"));
        QTRY_COMPARE_WITH_TIMEOUT(aMsgs.count(), 1, WaitMs);
        QTRY_COMPARE_WITH_TIMEOUT(bMsgs.count(), 1, WaitMs);
        QCOMPARE(aMsgs.first().first().value<ChatMessage>().channel, QStringLiteral("@bob"));
        QCOMPARE(bMsgs.first().first().value<ChatMessage>().channel, QStringLiteral("@alice"));
        QCOMPARE(cMsgs.count(), 0);

        // The conversation's history, from either side.
        QSignalSpy history(c.get(), &ChatClient::historyReceived);
        QSignalSpy aHistory(a.get(), &ChatClient::historyReceived);
        a->requestHistory(QStringLiteral("@bob"), 0, 10);
        QVERIFY(aHistory.wait(WaitMs));
        const auto msgs = aHistory.first().at(1).value<QList<ChatMessage>>();
        QCOMPARE(msgs.size(), 2);
        QCOMPARE(msgs.at(0).text, QStringLiteral("psst"));
        QCOMPARE(msgs.at(1).text, QStringLiteral("hi back"));
        QCOMPARE(msgs.at(1).channel, QStringLiteral("@bob"));

        // To an unknown user: refused, not resent.
        QSignalSpy rejected(a.get(), &ChatClient::messageRejected);
        a->sendPrivate(QStringLiteral("nobody"), QStringLiteral("hello?"));
        QVERIFY(rejected.wait(WaitMs));
        QVERIFY(rejected.first().at(1).toString().contains(QLatin1String("no user")));
    }

    void presenceReachesChannelPeersAndContacts()
    {
        auto a = makeClient(*server, QStringLiteral("a"));
        auto b = makeClient(*server, QStringLiteral("b"));
        auto c = makeClient(*server, QStringLiteral("c"));
        QVERIFY(connectAs(*a, *server, QStringLiteral("alice")));
        QVERIFY(connectAs(*b, *server, QStringLiteral("bob")));
        QVERIFY(connectAs(*c, *server, QStringLiteral("carol")));
        QVERIFY(joinAndWait(*a, QStringLiteral("#x")));
        QVERIFY(joinAndWait(*b, QStringLiteral("#x")));
        // carol is alice's IM contact, not in #x.
        QSignalSpy cAck(c.get(), &ChatClient::messageAcknowledged);
        c->sendPrivate(QStringLiteral("alice"), QStringLiteral("hey"));
        QVERIFY(cAck.wait(WaitMs));

        QSignalSpy bPresence(b.get(), &ChatClient::presenceChanged);
        QSignalSpy cPresence(c.get(), &ChatClient::presenceChanged);
        a->setPresence(Presence::Away);
        const auto sawAway = [](QSignalSpy &spy) {
            for (const auto &args : spy) {
                if (args.at(0).toString() == QLatin1String("alice")
                    && args.at(1).value<Presence>() == Presence::Away)
                    return true;
            }
            return false;
        };
        QTRY_VERIFY_WITH_TIMEOUT(sawAway(bPresence), WaitMs);
        QTRY_VERIFY_WITH_TIMEOUT(sawAway(cPresence), WaitMs);
        QCOMPARE(server->host().service()->presenceOf(QStringLiteral("alice")), Presence::Away);

        const auto sawOffline = [](QSignalSpy &spy) {
            for (const auto &args : spy) {
                if (args.at(0).toString() == QLatin1String("alice")
                    && args.at(1).value<Presence>() == Presence::Offline)
                    return true;
            }
            return false;
        };
        a->disconnectFromServer();
        QTRY_VERIFY_WITH_TIMEOUT(sawOffline(bPresence), WaitMs);
        QTRY_VERIFY_WITH_TIMEOUT(sawOffline(cPresence), WaitMs);
        QCOMPARE(server->host().service()->presenceOf(QStringLiteral("alice")), Presence::Offline);
    }

    void historyOnJoinAndPaging()
    {
        auto a = makeClient(*server, QStringLiteral("a"));
        QVERIFY(connectAs(*a, *server, QStringLiteral("alice")));
        QVERIFY(joinAndWait(*a, QStringLiteral("#log")));
        QSignalSpy acks(a.get(), &ChatClient::messageAcknowledged);
        const int total = 120;
        for (int i = 0; i < total; ++i)
            a->sendToChannel(QStringLiteral("#log"), QStringLiteral("line %1").arg(i));
        QTRY_COMPARE_WITH_TIMEOUT(acks.count(), total, WaitMs);

        auto b = makeClient(*server, QStringLiteral("b"));
        QVERIFY(connectAs(*b, *server, QStringLiteral("bob")));
        QSignalSpy history(b.get(), &ChatClient::historyReceived);
        QVERIFY(joinAndWait(*b, QStringLiteral("#log")));
        QTRY_COMPARE_WITH_TIMEOUT(history.count(), 1, WaitMs);
        auto page = history.first().at(1).value<QList<ChatMessage>>();
        QCOMPARE(page.size(), 50); // the default served on join
        QVERIFY(history.first().at(2).toBool());
        QCOMPARE(page.first().text, QStringLiteral("line 70"));
        QCOMPARE(page.last().text, QStringLiteral("line 119"));

        QStringList all;
        for (const auto &m : page)
            all.append(m.text);
        bool more = true;
        int rounds = 0;
        while (more && rounds++ < 10) {
            history.clear();
            b->requestHistory(QStringLiteral("#log"), page.first().id, 30);
            QVERIFY(history.wait(WaitMs));
            page = history.first().at(1).value<QList<ChatMessage>>();
            more = history.first().at(2).toBool();
            QVERIFY(!page.isEmpty());
            QStringList texts;
            for (const auto &m : page)
                texts.append(m.text);
            all = texts + all;
        }
        QVERIFY(!more);
        QCOMPARE(all.size(), total);
        for (int i = 0; i < total; ++i)
            QCOMPARE(all.at(i), QStringLiteral("line %1").arg(i));
    }

    void resentSeqIsStoredAndDeliveredOnce()
    {
        auto b = makeClient(*server, QStringLiteral("b"));
        QVERIFY(connectAs(*b, *server, QStringLiteral("bob")));
        QVERIFY(joinAndWait(*b, QStringLiteral("#d")));
        QSignalSpy bMsgs(b.get(), &ChatClient::messageReceived);

        RawPeer raw(server->clientDir(QStringLiteral("raw")));
        QVERIFY(raw.connectTo(server->port()));
        QVERIFY(raw.login(QStringLiteral("alice"), QStringLiteral("correct horse"), true));
        QCborMap join;
        join.insert(chat::key::channel, QStringLiteral("#d"));
        QVERIFY(net::isOk(raw.call(chat::msg::join, join)));

        QCborMap say;
        say.insert(chat::key::channel, QStringLiteral("#d"));
        say.insert(chat::key::text, QStringLiteral("once"));
        say.insert(chat::key::seq, qint64(42));
        const QCborMap first = raw.call(chat::msg::say, say);
        QVERIFY(net::isOk(first));
        const QCborMap again = raw.call(chat::msg::say, say);
        QVERIFY(net::isOk(again));
        QCOMPARE(again.value(chat::key::mid), first.value(chat::key::mid));
        QCOMPARE(again.value(chat::key::ts), first.value(chat::key::ts));

        // Same seq from a new connection of the same account (a reconnect): still one message.
        RawPeer raw2(server->clientDir(QStringLiteral("raw2")));
        QVERIFY(raw2.connectTo(server->port()));
        QVERIFY(raw2.login(QStringLiteral("alice"), QStringLiteral("correct horse"), false));
        QVERIFY(net::isOk(raw2.call(chat::msg::join, join)));
        const QCborMap third = raw2.call(chat::msg::say, say);
        QCOMPARE(third.value(chat::key::mid), first.value(chat::key::mid));

        // A different seq is a new message.
        say.insert(chat::key::seq, qint64(43));
        say.insert(chat::key::text, QStringLiteral("twice"));
        const QCborMap fourth = raw2.call(chat::msg::say, say);
        QVERIFY(fourth.value(chat::key::mid).toInteger() > first.value(chat::key::mid).toInteger());

        QTRY_COMPARE_WITH_TIMEOUT(bMsgs.count(), 2, WaitMs);
        QVERIFY(net::isOk(raw.call(net::msg::ping)));
        QCOMPARE(bMsgs.count(), 2);
        QCOMPARE(bMsgs.at(0).first().value<ChatMessage>().text, QStringLiteral("once"));
        QCOMPARE(bMsgs.at(1).first().value<ChatMessage>().text, QStringLiteral("twice"));

        QSignalSpy history(b.get(), &ChatClient::historyReceived);
        b->requestHistory(QStringLiteral("#d"), 0, 50);
        QVERIFY(history.wait(WaitMs));
        QCOMPARE(history.first().at(1).value<QList<ChatMessage>>().size(), 2);
    }

    void lengthLimit()
    {
        RawPeer raw(server->clientDir(QStringLiteral("raw")));
        QVERIFY(raw.connectTo(server->port()));
        QVERIFY(raw.login(QStringLiteral("alice"), QStringLiteral("correct horse"), true));
        QCborMap join;
        join.insert(chat::key::channel, QStringLiteral("#len"));
        QVERIFY(net::isOk(raw.call(chat::msg::join, join)));

        QCborMap say;
        say.insert(chat::key::channel, QStringLiteral("#len"));
        say.insert(chat::key::seq, qint64(1));
        say.insert(chat::key::text, QString(chat::MaxMessageLength, u'x'));
        QVERIFY(net::isOk(raw.call(chat::msg::say, say)));
        say.insert(chat::key::seq, qint64(2));
        say.insert(chat::key::text, QString(chat::MaxMessageLength + 1, u'x'));
        const QCborMap tooLong = raw.call(chat::msg::say, say);
        QVERIFY(!net::isOk(tooLong));
        QVERIFY(net::errorText(tooLong).contains(QLatin1String("too long")));
        say.insert(chat::key::text, QStringLiteral("   "));
        QVERIFY(net::errorText(raw.call(chat::msg::say, say)).contains(QLatin1String("empty")));
        say.remove(chat::key::text);
        QVERIFY(!net::isOk(raw.call(chat::msg::say, say)));

        // ChatClient refuses locally, before anything is queued.
        auto a = makeClient(*server, QStringLiteral("a"));
        QVERIFY(connectAs(*a, *server, QStringLiteral("alice"), false));
        QSignalSpy errors(a.get(), &ChatClient::errorOccurred);
        QCOMPARE(
            a->sendToChannel(QStringLiteral("#len"), QString(chat::MaxMessageLength + 1, u'y')),
            qint64(0));
        QCOMPARE(errors.count(), 1);
        QVERIFY(a->pendingMessages().isEmpty());
    }

    void malformedRequestsGetErrors()
    {
        RawPeer raw(server->clientDir(QStringLiteral("raw")));
        QVERIFY(raw.connectTo(server->port()));
        // Before login, chat requests are refused by libs/net.
        QCborMap join;
        join.insert(chat::key::channel, QStringLiteral("#x"));
        QVERIFY(!net::isOk(raw.call(chat::msg::join, join)));
        QVERIFY(raw.login(QStringLiteral("alice"), QStringLiteral("correct horse"), true));
        join.insert(chat::key::channel, QStringLiteral("#bad name!"));
        QVERIFY(net::errorText(raw.call(chat::msg::join, join)).contains(QLatin1String("invalid")));
        QVERIFY(net::errorText(raw.call(QStringLiteral("frobnicate")))
                    .contains(QLatin1String("unknown request")));
        QCborMap presence;
        presence.insert(chat::key::state, QStringLiteral("sleepy"));
        QVERIFY(!net::isOk(raw.call(chat::msg::presence, presence)));
        QCborMap history;
        history.insert(chat::key::channel, 12);
        QVERIFY(!net::isOk(raw.call(chat::msg::history, history)));
        // A bounded number of channels per connection.
        for (int i = 0; i < chat::MaxChannelsPerConnection; ++i) {
            join.insert(chat::key::channel, QStringLiteral("#c%1").arg(i));
            QVERIFY(net::isOk(raw.call(chat::msg::join, join)));
        }
        join.insert(chat::key::channel, QStringLiteral("#one-too-many"));
        QVERIFY(
            net::errorText(raw.call(chat::msg::join, join)).contains(QLatin1String("too many")));
        join.insert(chat::key::channel, QStringLiteral("#c0")); // re-joining is fine
        QVERIFY(net::isOk(raw.call(chat::msg::join, join)));
        // Still serving.
        QVERIFY(net::isOk(raw.call(net::msg::ping)));
    }

    void localChatByDistance()
    {
        AvatarPositionMap positions;
        const auto place = [&](const char *name, int x) {
            positions.setPosition(QString::fromLatin1(name),
                AvatarPosition { QStringLiteral("r"),
                    FVec3 { Fixed::fromInt(x), Fixed::zero(), Fixed::zero() } });
        };
        place("alice", 0);
        place("bob", 15); // hears say, not whisper
        place("carol", 60); // hears shout only
        server->host().service()->setAvatarPositions(&positions);

        auto a = makeClient(*server, QStringLiteral("a"));
        auto b = makeClient(*server, QStringLiteral("b"));
        auto c = makeClient(*server, QStringLiteral("c"));
        QVERIFY(connectAs(*a, *server, QStringLiteral("alice")));
        QVERIFY(connectAs(*b, *server, QStringLiteral("bob")));
        QVERIFY(connectAs(*c, *server, QStringLiteral("carol")));
        QSignalSpy bMsgs(b.get(), &ChatClient::messageReceived);
        QSignalSpy cMsgs(c.get(), &ChatClient::messageReceived);

        a->sendLocal(QStringLiteral("say"), QStringLiteral("near"));
        QTRY_COMPARE_WITH_TIMEOUT(bMsgs.count(), 1, WaitMs);
        QCOMPARE(bMsgs.first().first().value<ChatMessage>().channel, QStringLiteral("local"));
        a->sendLocal(QStringLiteral("shout"), QStringLiteral("far"));
        QTRY_COMPARE_WITH_TIMEOUT(cMsgs.count(), 1, WaitMs);
        QCOMPARE(cMsgs.first().first().value<ChatMessage>().text, QStringLiteral("far"));
        QTRY_COMPARE_WITH_TIMEOUT(bMsgs.count(), 2, WaitMs);
        a->sendLocal(QStringLiteral("whisper"), QStringLiteral("secret"));
        // A round trip after the whisper: nobody was in whisper range.
        RawPeer probe(server->clientDir(QStringLiteral("probe")));
        QVERIFY(probe.connectTo(server->port()));
        QVERIFY(net::isOk(probe.call(net::msg::ping)));
        QSignalSpy ackish(a.get(), &ChatClient::errorOccurred);
        a->sendLocal(QStringLiteral("yodel"), QStringLiteral("?"));
        QVERIFY(ackish.wait(WaitMs));
        QCOMPARE(bMsgs.count(), 2);
        QCOMPARE(cMsgs.count(), 1);
    }

    void sourceOfferAnswered()
    {
        auto a = makeClient(*server, QStringLiteral("a"));
        QVERIFY(connectAs(*a, *server, QStringLiteral("alice")));
        QVERIFY(a->serverSourceOffer().contains(QLatin1String("AGPL")));
        QCOMPARE(a->serverName(), QStringLiteral("test-server"));
        QSignalSpy source(a.get(), &ChatClient::sourceReceived);
        a->requestSource();
        QVERIFY(source.wait(WaitMs));
        QCOMPARE(source.first().first().toString(), a->serverSourceOffer());
    }
};

QTEST_GUILESS_MAIN(ChatServiceTest)
#include "ChatServiceTest.moc"
