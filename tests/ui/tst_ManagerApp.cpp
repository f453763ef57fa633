// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
// metatopia-manager's window on a real local world (chat server + three sim replicas as
// metatopia-server processes): the table shows one leader and advancing ticks, the charts fill,
// a screenshot is saved (METATOPIA_ARTIFACT_DIR/manager.png); the script editor reports a syntax
// error with its line, deploys a script that the cluster acknowledges, the Kill button of the
// leader's row makes another replica lead and its Start button brings it back as a follower.

#include "ui/ManagerController.h"
#include "ui/QuickSetup.h"

#include "ChatClientSupport.h"
#include "FreePorts.h"
#include "QuickTestSupport.h"

#include <QDir>
#include <QGuiApplication>
#include <QQmlApplicationEngine>
#include <QQmlEngineExtensionPlugin>
#include <QQuickItem>
#include <QQuickWindow>
#include <QRegularExpression>
#include <QScopeGuard>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

Q_IMPORT_QML_PLUGIN(Metatopia_UiPlugin)
Q_IMPORT_QML_PLUGIN(Metatopia_CommonPlugin)
Q_IMPORT_QML_PLUGIN(Metatopia_ManagerPlugin)

using namespace metatopia;
using namespace metatopia::test;

namespace {
constexpr int waitMs = 30000;
} // namespace

class TestManagerApp : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void windowShowsTheCluster();
};

void TestManagerApp::init()
{
    QTest::failOnWarning(QRegularExpression(QStringLiteral("\\.qml:\\d+")));
}

void TestManagerApp::windowShowsTheCluster()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    LocalWorldOptions options;
    options.worldDir = dir.filePath(QStringLiteral("world"));
    options.serverBinary = LocalWorld::serverBinaryIn(QStringLiteral(METATOPIA_BIN_DIR));
    options.basePort = test::freePortBlock();
    options.seedExamples = false; // counts the objects it deploys (ui_client_app sees the seeding)
    QVERIFY(options.basePort != 0);
    ManagerController controller(
        options, QStringLiteral(METATOPIA_SOURCE_DIR "/resources/scripts"));
    QVERIFY(controller.exampleNames().contains(QStringLiteral("greeter")));
    QVERIFY(
        controller.exampleSource(QStringLiteral("greeter")).contains(QStringLiteral("on_listen")));

    applyQuickStyle();
    auto engine = std::make_unique<QQmlApplicationEngine>();
    // The window goes before the controller it binds to, also when a check fails.
    const auto unload = qScopeGuard([&engine] { engine.reset(); });
    prepareQmlEngine(*engine);
    engine->setInitialProperties(
        { { QStringLiteral("controller"), QVariant::fromValue(&controller) } });
    engine->load(QUrl(QStringLiteral("qrc:/Metatopia/Manager/Main.qml")));
    QVERIFY(!engine->rootObjects().isEmpty());
    auto *window = qobject_cast<QQuickWindow *>(engine->rootObjects().first());
    QVERIFY(window);
    QVERIFY(QTest::qWaitForWindowExposed(window));

    QVERIFY(controller.start());
    controller.monitor().setInterval(250);
    ReplicaListModel *model = controller.replicas();
    QTRY_VERIFY_WITH_TIMEOUT(controller.started(), waitMs);
    QTRY_VERIFY_WITH_TIMEOUT(model->aliveCount() == 3 && model->leaderCount() == 1, waitMs);
    QTRY_VERIFY_WITH_TIMEOUT(model->checkedTick() > 0, waitMs);
    const QString leader = model->leaderName();

    // The table has a row per replica and the leader's badge says so.
    QQuickItem *list = findItem(window, QStringLiteral("replicaList"));
    QVERIFY(list);
    QTRY_COMPARE(list->property("count").toInt(), 3);
    QQuickItem *badge = findItem(window, QStringLiteral("roleBadge-") + leader);
    QVERIFY(badge);
    QTRY_COMPARE(badge->property("label").toString(), QStringLiteral("leader"));
    QVERIFY(findItem(window, QStringLiteral("summary"))
                ->property("text")
                .toString()
                .contains(QStringLiteral("leader ") + leader));
    // Enough samples for the charts to draw lines.
    QTRY_VERIFY_WITH_TIMEOUT(
        model->get(0, QStringLiteral("rateHistory")).toList().size() >= 12, waitMs);
    QVERIFY(
        saveShot(window, QStringLiteral(METATOPIA_ARTIFACT_DIR), QStringLiteral("manager.png")));

    // Logs: each process has its own, with the ready line.
    QVERIFY(click(window, QStringLiteral("logsTab")));
    QTRY_VERIFY(findItem(window, QStringLiteral("logView"))
        && findItem(window, QStringLiteral("logView"))->isVisible());
    QVERIFY(click(window, QStringLiteral("logTab-sim-1")));
    QVERIFY(controller.logOf(1)->text().contains(QStringLiteral("READY client=")));
    QTRY_VERIFY(findItem(window, QStringLiteral("logView"))->property("count").toInt() > 0);
    QVERIFY(saveShot(
        window, QStringLiteral(METATOPIA_ARTIFACT_DIR), QStringLiteral("manager-logs.png")));

    // Scripts: a syntax error is reported with its line, a good script is deployed and acked.
    QVERIFY(click(window, QStringLiteral("scriptsTab")));
    QQuickItem *editor = findItem(window, QStringLiteral("scriptEditor"));
    QVERIFY(editor);
    QTRY_VERIFY(editor->isVisible());
    editor->setProperty("text",
        QStringLiteral("listen(0)\n\nfunction on_listen(c, f, n, t)\n  say(0, \"hi\"\nend\n"));
    QVERIFY(click(window, QStringLiteral("checkButton")));
    QQuickItem *checkResult = findItem(window, QStringLiteral("checkResult"));
    QTRY_VERIFY(checkResult->isVisible());
    QVERIFY2(checkResult->property("text").toString().contains(QStringLiteral("Line 5")),
        qPrintable(checkResult->property("text").toString()));

    QVERIFY(click(window, QStringLiteral("example-greeter")));
    QCOMPARE(
        editor->property("text").toString(), controller.exampleSource(QStringLiteral("greeter")));
    QVERIFY(click(window, QStringLiteral("deployButton")));
    QTRY_COMPARE_WITH_TIMEOUT(
        controller.deployer()->state(), ScriptDeployer::State::Acknowledged, waitMs);
    QVERIFY(controller.deployer()->ackTick() > 0);
    QTRY_VERIFY(findItem(window, QStringLiteral("deployResult"))
                    ->property("text")
                    .toString()
                    .contains(QStringLiteral("acknowledged")));
    QTRY_VERIFY_WITH_TIMEOUT(model->get(0, QStringLiteral("objects")).toInt() == 1
            && model->get(1, QStringLiteral("objects")).toInt() == 1
            && model->get(2, QStringLiteral("objects")).toInt() == 1,
        waitMs);
    QVERIFY(saveShot(
        window, QStringLiteral(METATOPIA_ARTIFACT_DIR), QStringLiteral("manager-scripts.png")));

    // Kill the leader from its row: another replica takes over.
    QVERIFY(click(window, QStringLiteral("clusterTab")));
    QTRY_VERIFY(findItem(window, QStringLiteral("kill-") + leader)->isVisible());
    QVERIFY(click(window, QStringLiteral("kill-") + leader));
    QTRY_VERIFY_WITH_TIMEOUT(model->leaderCount() == 1 && model->leaderName() != leader, waitMs);
    QTRY_COMPARE(badge->property("label").toString(), QStringLiteral("down"));
    QVERIFY(saveShot(
        window, QStringLiteral(METATOPIA_ARTIFACT_DIR), QStringLiteral("manager-failover.png")));

    // Accounts: a player registers from a chat client; the admin page lists her as temp admin
    // and makes her admin with a click (the grant lands in the chat server's database).
    auto player = test::makeChatClient(dir.filePath(QStringLiteral("player")));
    QVERIFY(test::connectChatClient(*player, quint16(controller.chatPort()),
        QStringLiteral("alice"), true, QStringLiteral("correct horse battery")));
    QVERIFY(click(window, QStringLiteral("accountsTab")));
    QTRY_VERIFY_WITH_TIMEOUT(findItem(window, QStringLiteral("grant-alice"))
            && findItem(window, QStringLiteral("grant-alice"))->isVisible(),
        waitMs);
    // No admin has ever logged in, so the world's first player stands in as temp admin.
    QCOMPARE(findItem(window, QStringLiteral("rank-alice"))->property("label").toString(),
        QStringLiteral("Temp admin"));
    QVERIFY(findItem(window, QStringLiteral("adminSummary"))
                ->property("text")
                .toString()
                .contains(QStringLiteral("alice is temp admin")));
    QVERIFY(click(window, QStringLiteral("grant-alice")));
    QTRY_COMPARE(findItem(window, QStringLiteral("rank-alice"))->property("label").toString(),
        QStringLiteral("Admin"));
    QVERIFY(findItem(window, QStringLiteral("revoke-alice")));
    // Registering logged her in: she counts as seen for the temp-admin rule.
    QVERIFY(controller.accounts()->index(0).data(AccountsModel::LastLoginRole).toString()
        != QLatin1String("never"));
    QVERIFY(findItem(window, QStringLiteral("adminSummary"))
                ->property("text")
                .toString()
                .contains(QStringLiteral("No temp admin")));
    QVERIFY(saveShot(
        window, QStringLiteral(METATOPIA_ARTIFACT_DIR), QStringLiteral("manager-accounts.png")));
    QVERIFY(click(window, QStringLiteral("clusterTab")));

    // Start it again from its row: it rejoins on its raft data and follows.
    QVERIFY(click(window, QStringLiteral("restart-") + leader));
    QTRY_VERIFY_WITH_TIMEOUT(model->aliveCount() == 3, waitMs);
    QTRY_COMPARE_WITH_TIMEOUT(
        badge->property("label").toString(), QStringLiteral("follower"), waitMs);
    QCOMPARE(model->leaderCount(), 1);
}

int main(int argc, char *argv[])
{
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    QGuiApplication app(argc, argv);
    TestManagerApp test;
    QTEST_SET_MAIN_SOURCE_PATH
    return QTest::qExec(&test, argc, argv);
}
#include "tst_ManagerApp.moc"
