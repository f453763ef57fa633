// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
// The chat app's window against a real metatopia-server process: the QML loads, a user registers
// and chats by typing and clicking in the real UI, other users (plain ChatClients) see it, and a
// screenshot of the window is saved as an artifact (METATOPIA_ARTIFACT_DIR/chat.png).

#include "ui/ChatController.h"
#include "ui/QuickSetup.h"

#include "QuickTestSupport.h"
#include "ServerProcess.h"

#include <QDir>
#include <QGuiApplication>
#include <QQmlApplicationEngine>
#include <QQmlEngineExtensionPlugin>
#include <QQuickItem>
#include <QQuickWindow>
#include <QRegularExpression>
#include <QScopeGuard>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <memory>

Q_IMPORT_QML_PLUGIN(Metatopia_UiPlugin)
Q_IMPORT_QML_PLUGIN(Metatopia_CommonPlugin)
Q_IMPORT_QML_PLUGIN(Metatopia_ChatPlugin)

using namespace metatopia;
using namespace metatopia::test;

namespace {
constexpr int waitMs = 30000; // argon2id hashing on a loaded machine takes a while
} // namespace

class TestChatApp : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void qmlLoads();
    void loginAndChatThroughTheUi();
    void cleanupTestCase();

private:
    QQuickWindow *loadWindow(ChatController &controller);
    std::unique_ptr<ChatClient> makeUser(const QString &name);

    QTemporaryDir m_dir;
    std::unique_ptr<ServerProcess> m_server;
    std::unique_ptr<QQmlApplicationEngine> m_engine;
};

void TestChatApp::initTestCase()
{
    QVERIFY(m_dir.isValid());
    applyQuickStyle();
}

void TestChatApp::init()
{
    // Any QML warning (a broken binding, a missing property) fails the test function.
    QTest::failOnWarning(QRegularExpression(QStringLiteral("\\.qml:\\d+")));
}

void TestChatApp::cleanupTestCase()
{
    m_engine.reset();
    m_server.reset();
}

QQuickWindow *TestChatApp::loadWindow(ChatController &controller)
{
    m_engine = std::make_unique<QQmlApplicationEngine>();
    prepareQmlEngine(*m_engine);
    m_engine->setInitialProperties(
        { { QStringLiteral("controller"), QVariant::fromValue(&controller) } });
    m_engine->load(QUrl(QStringLiteral("qrc:/Metatopia/Chat/Main.qml")));
    if (m_engine->rootObjects().isEmpty())
        return nullptr;
    return qobject_cast<QQuickWindow *>(m_engine->rootObjects().first());
}

std::unique_ptr<ChatClient> TestChatApp::makeUser(const QString &name)
{
    auto client = std::make_unique<ChatClient>(m_dir.filePath(QStringLiteral("clients/") + name));
    client->setReconnectDelays(50, 500);
    QSignalSpy loggedIn(client.get(), &ChatClient::loggedIn);
    client->connectToServer(QStringLiteral("127.0.0.1"), m_server->port());
    client->registerAccount(name, QStringLiteral("password of ") + name);
    if (!loggedIn.wait(waitMs) && loggedIn.isEmpty())
        return nullptr;
    return client;
}

void TestChatApp::qmlLoads()
{
    ChatController controller(m_dir.filePath(QStringLiteral("clients/loadonly")));
    // The window goes before the controller it binds to, also when a check fails.
    const auto unload = qScopeGuard([this] { m_engine.reset(); });
    QQuickWindow *window = loadWindow(controller);
    QVERIFY(window);
    QVERIFY(QTest::qWaitForWindowExposed(window));
    // The login page is up with the form's fields; the chat page's parts exist but are hidden.
    for (const char *name : { "hostField", "portField", "userField", "passwordField", "loginButton",
             "registerButton" }) {
        QQuickItem *item = findItem(window, name);
        QVERIFY2(item, name);
        QVERIFY2(item->isVisible(), name);
    }
    QCOMPARE(
        findItem(window, "hostField")->property("text").toString(), QStringLiteral("127.0.0.1"));
    QVERIFY(findItem(window, "messageInput"));
    QVERIFY(!findItem(window, "messageInput")->isVisible());

    // Logging in without a password is refused in the form, before any network traffic.
    QVERIFY(typeInto(window, "userField", QStringLiteral("nobody")));
    QVERIFY(click(window, "loginButton"));
    QTRY_VERIFY(!controller.loginError().isEmpty());
    QCOMPARE(findItem(window, "loginError")->property("text").toString(), controller.loginError());
    QCOMPARE(controller.connectionState(), ChatController::ConnectionState::Disconnected);

    QVERIFY(
        saveShot(window, QStringLiteral(METATOPIA_ARTIFACT_DIR), QStringLiteral("chat-login.png")));
    m_engine.reset();
}

void TestChatApp::loginAndChatThroughTheUi()
{
    m_server = std::make_unique<ServerProcess>(m_dir.filePath(QStringLiteral("server")),
        QStringList { QStringLiteral("--wrong-password-delay"), QStringLiteral("0"),
            QStringLiteral("--rate-limit"), QStringLiteral("0") });
    QVERIFY2(m_server->start(), "metatopia-server did not print its LISTENING line");

    // Bob and Carol are already talking in #general when Alice arrives.
    auto bob = makeUser(QStringLiteral("bob"));
    QVERIFY(bob);
    auto carol = makeUser(QStringLiteral("carol"));
    QVERIFY(carol);
    for (ChatClient *c : { bob.get(), carol.get() }) {
        QSignalSpy joined(c, &ChatClient::channelJoined);
        c->joinChannel(QStringLiteral("#general"));
        QTRY_VERIFY_WITH_TIMEOUT(!joined.isEmpty(), waitMs);
    }
    QSignalSpy bobAcks(bob.get(), &ChatClient::messageAcknowledged);
    QSignalSpy carolAcks(carol.get(), &ChatClient::messageAcknowledged);
    bob->sendToChannel(
        QStringLiteral("#general"), QStringLiteral("Morning! Is the new region up yet?"));
    QTRY_VERIFY_WITH_TIMEOUT(bobAcks.count() == 1, waitMs);
    carol->sendToChannel(QStringLiteral("#general"),
        QStringLiteral("Almost, the physics sim is still loading the terrain."));
    QTRY_VERIFY_WITH_TIMEOUT(carolAcks.count() == 1, waitMs);
    bob->sendToChannel(QStringLiteral("#general"), QStringLiteral("Great, I'll bring the boat."));
    QTRY_VERIFY_WITH_TIMEOUT(bobAcks.count() == 2, waitMs);

    ChatController controller(m_dir.filePath(QStringLiteral("clients/alice")));
    controller.setPort(m_server->port());
    const auto unload = qScopeGuard([this] { m_engine.reset(); });
    QQuickWindow *window = loadWindow(controller);
    QVERIFY(window);
    window->requestActivate();
    QVERIFY(QTest::qWaitForWindowActive(window));

    // Alice creates her account in the login form.
    QCOMPARE(findItem(window, "portField")->property("text").toString(),
        QString::number(m_server->port()));
    QVERIFY(typeInto(window, "userField", QStringLiteral("alice")));
    QVERIFY(typeInto(window, "passwordField", QStringLiteral("correct horse battery")));
    QVERIFY(click(window, "registerButton"));
    QTRY_VERIFY_WITH_TIMEOUT(controller.loggedIn(), waitMs);
    QCOMPARE(controller.userName(), QStringLiteral("alice"));

    // The app joins #general and shows its history.
    QTRY_COMPARE_WITH_TIMEOUT(controller.currentConversation(), QStringLiteral("#general"), waitMs);
    QTRY_VERIFY_WITH_TIMEOUT(controller.messages()->count() == 3, waitMs);
    QQuickItem *messageList = findItem(window, "messageList");
    QVERIFY(messageList && messageList->isVisible());
    QTRY_COMPARE(messageList->property("count").toInt(), 3);
    QTRY_VERIFY_WITH_TIMEOUT(controller.people()->indexOf(QStringLiteral("bob")) >= 0, waitMs);

    // She joins a second channel with the join field, then goes back to #general by clicking it
    // in the conversation list.
    QVERIFY(typeInto(window, "joinField", QStringLiteral("builders")));
    QTest::keyClick(window, Qt::Key_Return);
    QTRY_COMPARE_WITH_TIMEOUT(
        controller.currentConversation(), QStringLiteral("#builders"), waitMs);
    QCOMPARE(controller.conversations()->names(),
        (QStringList { QStringLiteral("#general"), QStringLiteral("#builders") }));
    QVERIFY(click(window, "conversation-#general"));
    QTRY_COMPARE(controller.currentConversation(), QStringLiteral("#general"));
    QCOMPARE(controller.messages()->count(), 3);

    // Bob's live message arrives in the open conversation.
    QSignalSpy bobReceived(bob.get(), &ChatClient::messageReceived);
    bob->sendToChannel(QStringLiteral("#general"), QStringLiteral("Hi Alice, welcome!"));
    QTRY_VERIFY_WITH_TIMEOUT(controller.messages()->count() == 4, waitMs);

    // Alice types a reply and presses Enter; Bob receives it, and her row is acknowledged.
    const QString reply = QStringLiteral("Thanks! Count me in for the boat trip.");
    QVERIFY(typeInto(window, "messageInput", reply));
    QTest::keyClick(window, Qt::Key_Return);
    QTRY_VERIFY_WITH_TIMEOUT(std::any_of(bobReceived.cbegin(), bobReceived.cend(),
                                 [&](const QList<QVariant> &args) {
                                     const auto m = args.at(0).value<ChatMessage>();
                                     return m.from == QStringLiteral("alice") && m.text == reply
                                         && m.channel == QStringLiteral("#general") && m.id > 0;
                                 }),
        waitMs);
    QCOMPARE(findItem(window, "messageInput")->property("text").toString(), QString());
    MessageListModel *general = controller.messagesFor(QStringLiteral("#general"));
    QTRY_VERIFY_WITH_TIMEOUT(general->pendingCount() == 0, waitMs);
    QCOMPARE(general->count(), 5);
    const ChatMessage &mine = general->messageAt(4);
    QCOMPARE(mine.text, reply);
    QVERIFY(mine.id > general->messageAt(3).id);
    QVERIFY(general->data(general->index(4), MessageListModel::OwnRole).toBool());

    // Carol goes away; Bob writes privately: a private conversation opens with an unread badge.
    carol->setPresence(Presence::Away);
    QTRY_COMPARE_WITH_TIMEOUT(
        controller.people()->presenceOf(QStringLiteral("carol")), Presence::Away, waitMs);
    bob->sendPrivate(QStringLiteral("alice"), QStringLiteral("Psst, bring snacks too."));
    QTRY_COMPARE_WITH_TIMEOUT(
        controller.conversations()->unreadOf(QStringLiteral("@bob")), 1, waitMs);
    QCOMPARE(controller.currentConversation(), QStringLiteral("#general"));
    QCOMPARE(controller.conversations()->totalUnread(), 1);

    // Let the view settle (delegates laid out, scrolled to the end) and keep a screenshot.
    QTRY_VERIFY(messageList->property("atYEnd").toBool());
    QVERIFY(saveShot(window, QStringLiteral(METATOPIA_ARTIFACT_DIR), QStringLiteral("chat.png")));

    QCOMPARE(window->title(), QStringLiteral("(1) Metatopia Chat — alice"));

    // The channel directory lists the server's channels.
    QVERIFY(click(window, "channelsButton"));
    auto *directory = window->findChild<QObject *>(QStringLiteral("channelDirectory"));
    QVERIFY(directory);
    QTRY_VERIFY(directory->property("opened").toBool());
    QTRY_VERIFY_WITH_TIMEOUT(
        controller.availableChannels().contains(QStringLiteral("#builders")), waitMs);
    QVERIFY(controller.availableChannels().contains(QStringLiteral("#general")));
    QTest::keyClick(window, Qt::Key_Escape);
    QTRY_VERIFY(!directory->property("visible").toBool());

    // Clicking Bob in the people list opens the private conversation and reads it.
    QVERIFY(click(window, "person-bob"));
    QTRY_COMPARE(controller.currentConversation(), QStringLiteral("@bob"));
    QTRY_VERIFY_WITH_TIMEOUT(controller.messages()->count() == 1, waitMs);
    QCOMPARE(controller.conversations()->unreadOf(QStringLiteral("@bob")), 0);
    QCOMPARE(window->title(), QStringLiteral("Metatopia Chat — alice"));

    m_engine.reset();
}

int main(int argc, char *argv[])
{
    // The window needs no display: offscreen unless the caller chose a platform.
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    QGuiApplication app(argc, argv);
    TestChatApp test;
    QTEST_SET_MAIN_SOURCE_PATH
    return QTest::qExec(&test, argc, argv);
}
#include "tst_ChatApp.moc"
