// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
// ChatController against a real metatopia-server process: login errors, history scroll-back,
// private conversations and commands, and a server restart in the middle of a conversation
// (reconnect indicator, unsent message delivered once, view intact).

#include "ui/ChatController.h"

#include "ServerProcess.h"

#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <memory>

using namespace metatopia;
using metatopia::test::ServerProcess;

namespace {

constexpr int waitMs = 30000; // argon2id hashing on a loaded machine takes a while

int rowsWithText(const MessageListModel &model, const QString &text)
{
    int n = 0;
    for (int row = 0; row < model.count(); ++row)
        n += model.messageAt(row).text == text ? 1 : 0;
    return n;
}

} // namespace

class TestChatController : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void wrongPasswordShowsLoginError();
    void historyScrollBack();
    void privateConversationsAndCommands();
    void serverRestartReconnectsAndResends();
    void logoutForgetsTheSession();

private:
    std::unique_ptr<ChatController> makeController(const QString &name);
    bool registerVia(ChatController &controller, const QString &user);
    std::unique_ptr<ChatClient> makeUser(const QString &name);

    QTemporaryDir m_dir;
    std::unique_ptr<ServerProcess> m_server;
};

void TestChatController::initTestCase()
{
    QVERIFY(m_dir.isValid());
    m_server = std::make_unique<ServerProcess>(m_dir.filePath(QStringLiteral("server")),
        QStringList { QStringLiteral("--wrong-password-delay"), QStringLiteral("0"),
            QStringLiteral("--rate-limit"), QStringLiteral("0") });
    QVERIFY2(m_server->start(), "metatopia-server did not print its LISTENING line");
}

std::unique_ptr<ChatController> TestChatController::makeController(const QString &name)
{
    auto controller
        = std::make_unique<ChatController>(m_dir.filePath(QStringLiteral("clients/") + name));
    controller->client().setReconnectDelays(50, 400);
    controller->setHost(QStringLiteral("127.0.0.1"));
    controller->setPort(m_server->port());
    controller->setUserName(name);
    return controller;
}

bool TestChatController::registerVia(ChatController &controller, const QString &user)
{
    QSignalSpy loggedIn(&controller, &ChatController::loggedInChanged);
    controller.setUserName(user);
    controller.registerAccount(QStringLiteral("password of ") + user);
    if (!controller.loggedIn() && !loggedIn.wait(waitMs))
        return false;
    return controller.loggedIn() && controller.userName() == user && !controller.busy();
}

std::unique_ptr<ChatClient> TestChatController::makeUser(const QString &name)
{
    auto client = std::make_unique<ChatClient>(m_dir.filePath(QStringLiteral("clients/") + name));
    client->setReconnectDelays(50, 400);
    QSignalSpy loggedIn(client.get(), &ChatClient::loggedIn);
    client->connectToServer(QStringLiteral("127.0.0.1"), m_server->port());
    client->registerAccount(name, QStringLiteral("password of ") + name);
    if (loggedIn.isEmpty() && !loggedIn.wait(waitMs))
        return nullptr;
    return client;
}

void TestChatController::wrongPasswordShowsLoginError()
{
    auto first = makeController(QStringLiteral("dora"));
    QVERIFY(registerVia(*first, QStringLiteral("dora")));
    first.reset();

    auto controller = makeController(QStringLiteral("dora-again"));
    controller->setUserName(QStringLiteral("dora"));
    QSignalSpy busy(controller.get(), &ChatController::busyChanged);
    controller->login(QStringLiteral("not her password"));
    QVERIFY(controller->busy());
    QTRY_VERIFY_WITH_TIMEOUT(!controller->loginError().isEmpty(), waitMs);
    QVERIFY(!controller->busy());
    QVERIFY(!controller->loggedIn());
    QCOMPARE(busy.count(), 2);

    // The right password on the same connection works.
    controller->login(QStringLiteral("password of dora"));
    QTRY_VERIFY_WITH_TIMEOUT(controller->loggedIn(), waitMs);
    QVERIFY(controller->loginError().isEmpty());
    QCOMPARE(controller->connectionState(), ChatController::ConnectionState::LoggedIn);
    QCOMPARE(controller->people()->presenceOf(QStringLiteral("dora")), Presence::Online);
}

void TestChatController::historyScrollBack()
{
    // Eve fills a channel with more than one page of history.
    auto eve = makeUser(QStringLiteral("eve"));
    QVERIFY(eve);
    QSignalSpy joined(eve.get(), &ChatClient::channelJoined);
    eve->joinChannel(QStringLiteral("#history"));
    QTRY_VERIFY_WITH_TIMEOUT(!joined.isEmpty(), waitMs);
    constexpr int total = 75;
    QSignalSpy acks(eve.get(), &ChatClient::messageAcknowledged);
    for (int i = 1; i <= total; ++i)
        eve->sendToChannel(QStringLiteral("#history"), QStringLiteral("line %1").arg(i));
    QTRY_VERIFY_WITH_TIMEOUT(acks.count() == total, waitMs);

    auto controller = makeController(QStringLiteral("frank"));
    controller->setAutoJoinChannels({ QStringLiteral("history") }); // "#" is added
    QCOMPARE(controller->autoJoinChannels(), QStringList { QStringLiteral("#history") });
    QVERIFY(registerVia(*controller, QStringLiteral("frank")));
    QTRY_COMPARE_WITH_TIMEOUT(
        controller->currentConversation(), QStringLiteral("#history"), waitMs);
    MessageListModel *model = controller->messages();
    QCOMPARE(model->conversation(), QStringLiteral("#history"));
    // The join brings the newest page.
    QTRY_VERIFY_WITH_TIMEOUT(model->count() > 0, waitMs);
    const int firstPage = model->count();
    QVERIFY(firstPage < total);
    QVERIFY(model->hasMoreHistory());
    QCOMPARE(model->messageAt(firstPage - 1).text, QStringLiteral("line %1").arg(total));

    // Scrolling to the top asks for older pages until the beginning.
    for (int page = 0; page < 10 && model->hasMoreHistory(); ++page) {
        const int before = model->count();
        controller->loadOlder();
        QVERIFY(model->loadingHistory());
        controller->loadOlder(); // asked once while a page is on its way
        QTRY_VERIFY_WITH_TIMEOUT(!model->loadingHistory(), waitMs);
        QVERIFY(model->count() > before);
    }
    QVERIFY(!model->hasMoreHistory());
    QCOMPARE(model->count(), total);
    for (int row = 0; row < total; ++row) {
        QCOMPARE(model->messageAt(row).text, QStringLiteral("line %1").arg(row + 1));
        if (row > 0)
            QVERIFY(model->messageAt(row).id > model->messageAt(row - 1).id);
    }
    // Nothing more to load: no request.
    controller->loadOlder();
    QVERIFY(!model->loadingHistory());
}

void TestChatController::privateConversationsAndCommands()
{
    auto gina = makeUser(QStringLiteral("gina"));
    QVERIFY(gina);
    QSignalSpy ginaJoined(gina.get(), &ChatClient::channelJoined);
    gina->joinChannel(QStringLiteral("#general"));
    QTRY_VERIFY_WITH_TIMEOUT(!ginaJoined.isEmpty(), waitMs);
    auto controller = makeController(QStringLiteral("hank"));
    QVERIFY(registerVia(*controller, QStringLiteral("hank")));
    QTRY_COMPARE_WITH_TIMEOUT(
        controller->currentConversation(), QStringLiteral("#general"), waitMs);

    // "/msg gina ..." opens the private conversation and sends in it.
    QSignalSpy ginaReceived(gina.get(), &ChatClient::messageReceived);
    QVERIFY(controller->sendMessage(QStringLiteral("/msg gina are you coming?")));
    QCOMPARE(controller->currentConversation(), QStringLiteral("@gina"));
    QTRY_VERIFY_WITH_TIMEOUT(!ginaReceived.isEmpty(), waitMs);
    const auto got = ginaReceived.first().at(0).value<ChatMessage>();
    QCOMPARE(got.text, QStringLiteral("are you coming?"));
    QCOMPARE(got.channel, QStringLiteral("@hank"));
    QVERIFY(got.isPrivate);
    MessageListModel *im = controller->messagesFor(QStringLiteral("@gina"));
    QTRY_VERIFY_WITH_TIMEOUT(im->pendingCount() == 0, waitMs);
    QCOMPARE(im->count(), 1);

    // Her answer, while hank looks at #general, counts as unread there.
    controller->setCurrentConversation(QStringLiteral("#general"));
    gina->sendPrivate(QStringLiteral("hank"), QStringLiteral("on my way"));
    QTRY_COMPARE_WITH_TIMEOUT(
        controller->conversations()->unreadOf(QStringLiteral("@gina")), 1, waitMs);
    QCOMPARE(im->count(), 2);
    controller->setCurrentConversation(QStringLiteral("@gina"));
    QCOMPARE(controller->conversations()->unreadOf(QStringLiteral("@gina")), 0);

    // "//" sends a line that starts with "/"; "/away" and "/back" set the presence others see.
    QVERIFY(controller->sendMessage(QStringLiteral("//shrug")));
    QTRY_VERIFY_WITH_TIMEOUT(rowsWithText(*im, QStringLiteral("/shrug")) == 1, waitMs);
    QSignalSpy presence(gina.get(), &ChatClient::presenceChanged);
    QVERIFY(controller->sendMessage(QStringLiteral("/away")));
    QCOMPARE(controller->presence(), QStringLiteral("away"));
    QTRY_VERIFY_WITH_TIMEOUT(std::any_of(presence.cbegin(), presence.cend(),
                                 [](const QList<QVariant> &args) {
                                     return args.at(0).toString() == QStringLiteral("hank")
                                         && args.at(1).value<Presence>() == Presence::Away;
                                 }),
        waitMs);
    QVERIFY(controller->sendMessage(QStringLiteral("/back")));
    QCOMPARE(controller->presence(), QStringLiteral("online"));

    // Unknown commands and empty lines send nothing and say why (the former).
    QVERIFY(!controller->sendMessage(QStringLiteral("/frobnicate now")));
    QVERIFY(controller->errorText().contains(QStringLiteral("/frobnicate")));
    controller->setErrorText({});
    QVERIFY(!controller->sendMessage(QStringLiteral("   ")));
    QVERIFY(controller->errorText().isEmpty());

    // "/join" and closing a channel's conversation leave it again.
    QVERIFY(controller->sendMessage(QStringLiteral("/join #lobby")));
    QTRY_COMPARE_WITH_TIMEOUT(controller->currentConversation(), QStringLiteral("#lobby"), waitMs);
    QTRY_VERIFY_WITH_TIMEOUT(
        controller->availableChannels().contains(QStringLiteral("#lobby")), waitMs);
    controller->closeConversation(QStringLiteral("#lobby"));
    QTRY_VERIFY_WITH_TIMEOUT(
        controller->conversations()->indexOf(QStringLiteral("#lobby")) < 0, waitMs);
    QVERIFY(controller->currentConversation() != QStringLiteral("#lobby"));
    QVERIFY(!controller->currentConversation().isEmpty());
}

void TestChatController::serverRestartReconnectsAndResends()
{
    auto ivan = makeUser(QStringLiteral("ivan"));
    QVERIFY(ivan);
    QSignalSpy ivanJoined(ivan.get(), &ChatClient::channelJoined);
    ivan->joinChannel(QStringLiteral("#general"));
    QTRY_VERIFY_WITH_TIMEOUT(!ivanJoined.isEmpty(), waitMs);

    auto controller = makeController(QStringLiteral("judy"));
    QVERIFY(registerVia(*controller, QStringLiteral("judy")));
    QTRY_COMPARE_WITH_TIMEOUT(
        controller->currentConversation(), QStringLiteral("#general"), waitMs);
    QVERIFY(controller->sendMessage(QStringLiteral("before the restart")));
    MessageListModel *general = controller->messagesFor(QStringLiteral("#general"));
    QTRY_VERIFY_WITH_TIMEOUT(general->pendingCount() == 0, waitMs);
    const int rowsBefore = general->count();

    // The server goes down: the controller shows it is reconnecting, the session stays open.
    const quint16 port = m_server->port();
    m_server->terminate();
    QTRY_VERIFY_WITH_TIMEOUT(controller->reconnecting(), waitMs);
    QVERIFY(controller->reconnectAttempt() >= 1);
    QVERIFY(controller->reconnectDelayMs() > 0);
    QVERIFY(controller->loggedIn());
    QVERIFY(controller->connectionState() != ChatController::ConnectionState::LoggedIn);

    // A message typed meanwhile waits as a pending row.
    const QString offline = QStringLiteral("typed while the server was down");
    QVERIFY(controller->sendMessage(offline));
    QCOMPARE(controller->unsentCount(), 1);
    QCOMPARE(general->pendingCount(), 1);

    // The server comes back on the same port: the session resumes, the channel is re-joined,
    // the message is sent once, and nothing is shown twice.
    // Ivan reconnects too; he gets the message live, or in the history of his re-join if it
    // was stored before he was back in the channel.
    QSignalSpy ivanReceived(ivan.get(), &ChatClient::messageReceived);
    QSignalSpy ivanHistory(ivan.get(), &ChatClient::historyReceived);
    const auto ivanHasIt = [&] {
        for (const QList<QVariant> &args : std::as_const(ivanReceived)) {
            if (args.at(0).value<ChatMessage>().text == offline)
                return true;
        }
        for (const QList<QVariant> &args : std::as_const(ivanHistory)) {
            const auto page = args.at(1).value<QList<ChatMessage>>();
            if (std::any_of(page.cbegin(), page.cend(),
                    [&](const ChatMessage &m) { return m.text == offline; }))
                return true;
        }
        return false;
    };
    QVERIFY(m_server->start(port));
    QTRY_COMPARE_WITH_TIMEOUT(
        controller->connectionState(), ChatController::ConnectionState::LoggedIn, waitMs);
    QVERIFY(!controller->reconnecting());
    QTRY_VERIFY_WITH_TIMEOUT(general->pendingCount() == 0, waitMs);
    QCOMPARE(controller->unsentCount(), 0);
    QTRY_VERIFY_WITH_TIMEOUT(ivanHasIt(), waitMs);
    QCOMPARE(rowsWithText(*general, offline), 1);
    QCOMPARE(rowsWithText(*general, QStringLiteral("before the restart")), 1);
    QCOMPARE(general->count(), rowsBefore + 1);
    QCOMPARE(controller->currentConversation(), QStringLiteral("#general"));
}

void TestChatController::logoutForgetsTheSession()
{
    auto controller = makeController(QStringLiteral("kim"));
    QVERIFY(registerVia(*controller, QStringLiteral("kim")));
    QTRY_VERIFY_WITH_TIMEOUT(controller->conversations()->count() > 0, waitMs);
    QSignalSpy current(controller.get(), &ChatController::currentConversationChanged);
    controller->logout();
    QVERIFY(!controller->loggedIn());
    QCOMPARE(controller->conversations()->count(), 0);
    QCOMPARE(controller->people()->count(), 0);
    QVERIFY(controller->currentConversation().isEmpty());
    QVERIFY(!current.isEmpty());
    QCOMPARE(controller->messages()->count(), 0);

    // Logging in again on the same connection brings the channels back.
    controller->login(QStringLiteral("password of kim"));
    QTRY_VERIFY_WITH_TIMEOUT(controller->loggedIn(), waitMs);
    QTRY_COMPARE_WITH_TIMEOUT(
        controller->currentConversation(), QStringLiteral("#general"), waitMs);
}

QTEST_GUILESS_MAIN(TestChatController)
#include "tst_ChatController.moc"
