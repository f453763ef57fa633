// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
// metatopia-client's window on a real local world (chat server + a sim replica as
// metatopia-server processes, seeded with the example objects by WorldSeeder): the region shows
// behind the login form, registering logs in and the avatar enters, the seeded objects are
// there, hello in #local gets the Greeter's answer in the Nearby view, holding W walks the avatar
// in the sim, clicking the door shows its script's source in the inspector, Touch opens it.
// Screenshots go to METATOPIA_ARTIFACT_DIR/client*.png. Quick 3D needs a real GL context: the test
// runs on the display it is given (CI runs it under xvfb-run) or starts its own Xvfb when there is
// none.

#include "ui/AvatarController.h"
#include "ui/ChatController.h"
#include "ui/LocalWorld.h"
#include "ui/QuickSetup.h"
#include "ui/ScriptInspector.h"
#include "ui/WorldSeeder.h"
#include "ui/WorldSession.h"

#include "FreePorts.h"
#include "QuickTestSupport.h"

#include <QDeadlineTimer>
#include <QDir>
#include <QFile>
#include <QGuiApplication>
#include <QProcess>
#include <QQmlApplicationEngine>
#include <QQmlEngineExtensionPlugin>
#include <QQuickItem>
#include <QQuickWindow>
#include <QRegularExpression>
#include <QScopeGuard>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

#include <csignal>
#include <sys/prctl.h>
#include <unistd.h>

Q_IMPORT_QML_PLUGIN(Metatopia_UiPlugin)
Q_IMPORT_QML_PLUGIN(Metatopia_CommonPlugin)
Q_IMPORT_QML_PLUGIN(Metatopia_ClientPlugin)

using namespace metatopia;
using namespace metatopia::test;

namespace {

constexpr int waitMs = 30000;

} // namespace

class TestClientApp : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void clientLivesInTheWorld();
};

void TestClientApp::init()
{
    QTest::failOnWarning(QRegularExpression(QStringLiteral("\\.qml:\\d+")));
}

void TestClientApp::clientLivesInTheWorld()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    LocalWorldOptions options;
    options.worldDir = dir.filePath(QStringLiteral("world"));
    options.serverBinary = LocalWorld::serverBinaryIn(QStringLiteral(METATOPIA_BIN_DIR));
    options.replicas = 1;
    options.basePort = test::freePortBlock();
    QVERIFY(options.basePort != 0);
    LocalWorld world(options);
    QSignalSpy started(&world, &LocalWorld::started);
    QString error;
    QVERIFY2(world.start(&error), qPrintable(error));
    const QStringList gateways { QStringLiteral("127.0.0.1:%1").arg(world.clientPort(1)) };

    // The manager's first-start seeding, through the same gateway a client uses.
    WorldSeeder seeder(dir.filePath(QStringLiteral("seeder-pins")), gateways,
        QStringLiteral(METATOPIA_SOURCE_DIR "/resources/scripts"),
        QDir(options.worldDir).filePath(QStringLiteral("seeded")));
    QSignalSpy seeded(&seeder, &WorldSeeder::finished);
    QSignalSpy seedFailed(&seeder, &WorldSeeder::failed);
    seeder.start();

    const QString clientDir = dir.filePath(QStringLiteral("client"));
    QDir().mkpath(clientDir);
    ChatController controller(clientDir);
    controller.setHost(QStringLiteral("127.0.0.1"));
    controller.setPort(world.chatPort());
    WorldSession session(QDir(clientDir).filePath(QStringLiteral("sim-pins")));
    session.setGateways(gateways);
    session.setReconnectDelays(100, 1000);

    applyQuickStyle();
    auto engine = std::make_unique<QQmlApplicationEngine>();
    const auto unload = qScopeGuard([&engine] { engine.reset(); });
    prepareQmlEngine(*engine);
    engine->setInitialProperties({ { QStringLiteral("controller"), QVariant::fromValue(&controller) },
        { QStringLiteral("session"), QVariant::fromValue(&session) } });
    engine->load(QUrl(QStringLiteral("qrc:/Metatopia/Client/Main.qml")));
    QVERIFY(!engine->rootObjects().isEmpty());
    auto *window = qobject_cast<QQuickWindow *>(engine->rootObjects().first());
    QVERIFY(window);
    window->resize(1400, 860);
    QVERIFY(QTest::qWaitForWindowExposed(window));
    // The client starts before the world is up and waits for it.
    session.start();

    QTRY_VERIFY_WITH_TIMEOUT(!started.isEmpty(), waitMs);
    QTRY_VERIFY_WITH_TIMEOUT(!seeded.isEmpty() || !seedFailed.isEmpty(), waitMs);
    QVERIFY2(seedFailed.isEmpty(), qPrintable(seedFailed.value(0).value(0).toString()));
    QCOMPARE(seeded.first().at(0).toInt(), int(WorldSeeder::defaultExamples().size()));
    QTRY_VERIFY_WITH_TIMEOUT(session.state() == WorldSession::State::Live, waitMs);
    QTRY_VERIFY_WITH_TIMEOUT(session.objects()->idOfName(QStringLiteral("Counter")) != 0, waitMs);
    // Seeded once: a second seeder on the same world does nothing.
    WorldSeeder again(dir.filePath(QStringLiteral("seeder-pins")), gateways,
        QStringLiteral(METATOPIA_SOURCE_DIR "/resources/scripts"),
        QDir(options.worldDir).filePath(QStringLiteral("seeded")));
    QSignalSpy againDone(&again, &WorldSeeder::finished);
    again.start();
    QCOMPARE(againDone.count(), 1);
    QCOMPARE(againDone.first().at(0).toInt(), 0);

    // Log in (registering) through the shared login form.
    QVERIFY(findItem(window, "loginForm")->isVisible());
    QVERIFY(typeInto(window, "userField", QStringLiteral("alice")));
    QVERIFY(typeInto(window, "passwordField", QStringLiteral("correct horse")));
    QVERIFY(click(window, "registerButton"));
    QTRY_VERIFY_WITH_TIMEOUT(controller.loggedIn(), waitMs);
    auto *avatar = window->findChild<AvatarController *>(QStringLiteral("avatarController"));
    QVERIFY(avatar);
    QTRY_VERIFY_WITH_TIMEOUT(avatar->inWorld(), waitMs);
    QTRY_VERIFY_WITH_TIMEOUT(session.avatars()->find(avatar->avatarId()) != nullptr, waitMs);
    QCOMPARE(session.avatars()->find(avatar->avatarId())->name, QStringLiteral("alice"));
    QTRY_VERIFY(!findItem(window, "loginForm")->isVisible());

    // Hello in #local is said in the sim too: the Greeter (16 m from the spawn point) answers,
    // and the answer shows under the chat in the Nearby view, her own line once beside it.
    QTRY_VERIFY_WITH_TIMEOUT(
        controller.conversations()->indexOf(QStringLiteral("#local")) >= 0, waitMs);
    controller.setCurrentConversation(QStringLiteral("#local"));
    QTRY_VERIFY(findItem(window, "nearbyView")->isVisible());
    QVERIFY(QMetaObject::invokeMethod(window, "send", Q_ARG(QVariant, QStringLiteral("hello"))));
    auto nearbyRows = [&session] {
        QStringList rows;
        for (int row = 0; row < session.nearby()->count(); ++row) {
            const QModelIndex index = session.nearby()->index(row);
            rows << index.data(MessageListModel::FromRole).toString() + QStringLiteral(": ")
                    + index.data(MessageListModel::TextRole).toString();
        }
        return rows;
    };
    QTRY_COMPARE_WITH_TIMEOUT(
        nearbyRows().count(QStringLiteral("Greeter: Hello, alice!")), 1, waitMs);
    QCOMPARE(nearbyRows().count(QStringLiteral("alice: hello")), 1);

    // Walk: hold W on the world view; the sim's copy of the avatar moves north.
    QQuickItem *view = findItem(window, "worldView");
    QVERIFY(view);
    view->forceActiveFocus();
    QVERIFY(view->hasActiveFocus());
    const float startY = session.avatars()->find(avatar->avatarId())->position.y();
    QTest::keyPress(window, Qt::Key_W);
    QTRY_VERIFY_WITH_TIMEOUT(
        session.avatars()->find(avatar->avatarId())->position.y() > startY + 1.5f, waitMs);
    QTest::keyRelease(window, Qt::Key_W);
    QTRY_COMPARE_WITH_TIMEOUT(
        session.avatars()->find(avatar->avatarId())->animation, QStringLiteral("stand"), waitMs);
    // The clock has ticked by now; the scene settles for the screenshot.
    const qint64 clock = session.objects()->idOfName(QStringLiteral("Clock"));
    QTRY_VERIFY_WITH_TIMEOUT(session.objects()->find(clock)->text.contains(QLatin1Char(':')), waitMs);
    QSignalSpy frames(window, &QQuickWindow::frameSwapped);
    QTRY_VERIFY_WITH_TIMEOUT(frames.count() > 3, waitMs);
    QVERIFY(saveShot(window, QStringLiteral(METATOPIA_ARTIFACT_DIR), QStringLiteral("client.png")));
    // Click where the camera shows the door (View3D.pick); the inspector reads its script.
    const qint64 door = session.objects()->idOfName(QStringLiteral("Door"));
    auto *view3d = view->findChild<QQuickItem *>(QStringLiteral("view3d"));
    QVERIFY(view3d);
    const QVector3D scene = session.objects()->byId(door).value(QStringLiteral("scenePosition")).value<QVector3D>();
    QVector3D onScreen;
    QVERIFY(QMetaObject::invokeMethod(view3d, "mapFrom3DScene", Q_RETURN_ARG(QVector3D, onScreen),
        Q_ARG(QVector3D, scene)));
    const QPointF at = view3d->mapToScene(QPointF(onScreen.x(), onScreen.y()));
    QVERIFY2(view3d->contains(view3d->mapFromScene(at)),
        qPrintable(QStringLiteral("door at %1,%2 is off screen").arg(at.x()).arg(at.y())));
    QTest::mouseClick(window, Qt::LeftButton, {}, at.toPoint());
    auto *inspector = window->findChild<ScriptInspector *>(QStringLiteral("inspector"));
    QVERIFY(inspector);
    QTRY_COMPARE_WITH_TIMEOUT(inspector->objectId(), door, waitMs);
    QTRY_COMPARE(findItem(window, "sideTabs")->property("currentIndex").toInt(), 2);
    QTRY_VERIFY_WITH_TIMEOUT(inspector->hasScript(), waitMs);
    QQuickItem *source = findItem(window, "scriptSource");
    QVERIFY(source);
    QTRY_VERIFY(source->isVisible());
    QVERIFY(source->property("text").toString().contains(QStringLiteral("function on_touch")));
    QVERIFY(source->property("text").toString().contains(QStringLiteral("closed_at")));
    QCOMPARE(findItem(window, "inspectorName")->property("text").toString(), QStringLiteral("Door"));

    // Touch: the cluster acknowledges it and the door's script reacts (it opens 3 m up and says
    // who did; its text no longer invites a touch).
    QSignalSpy acked(&session, &WorldSession::actionAcknowledged);
    const QString before = session.objects()->find(door)->text;
    QQuickItem *touch = findItem(window, "touchButton");
    QVERIFY(touch && touch->isVisible());
    QTRY_VERIFY(touch->isEnabled());
    // The button's own signal, as a click emits it (under a loaded llvmpipe a synthetic mouse
    // click can land while the window is still busy drawing).
    QVERIFY(QMetaObject::invokeMethod(touch, "clicked"));
    QTRY_VERIFY_WITH_TIMEOUT(!acked.isEmpty(), waitMs);
    QTRY_VERIFY_WITH_TIMEOUT(session.objects()->find(door)->text != before, waitMs);
    QTRY_VERIFY(findItem(window, "inspectorText")->property("text").toString()
        != QStringLiteral("“%1”").arg(before));
    QVERIFY(saveShot(
        window, QStringLiteral(METATOPIA_ARTIFACT_DIR), QStringLiteral("client-inspector.png")));
}

// Quick 3D renders only with a GL context: offscreen gives a blank view. Without a display the
// test brings its own Xvfb (CI already runs it under xvfb-run).
int main(int argc, char *argv[])
{
    std::unique_ptr<QProcess> xvfb;
    if (qEnvironmentVariableIsEmpty("DISPLAY") && qEnvironmentVariableIsEmpty("WAYLAND_DISPLAY")) {
        // A display number nobody uses; ready once its socket exists (bounded wait).
        int display = 0;
        for (int n = 100 + int(getpid() % 400); n < 1000; ++n) {
            if (!QFile::exists(QStringLiteral("/tmp/.X11-unix/X%1").arg(n))
                && !QFile::exists(QStringLiteral("/tmp/.X%1-lock").arg(n))) {
                display = n;
                break;
            }
        }
        xvfb = std::make_unique<QProcess>();
        xvfb->setProgram(QStringLiteral("Xvfb"));
        xvfb->setProcessChannelMode(QProcess::ForwardedErrorChannel);
        xvfb->setArguments({ QStringLiteral(":%1").arg(display), QStringLiteral("-screen"),
            QStringLiteral("0"), QStringLiteral("1600x1000x24"), QStringLiteral("-nolisten"),
            QStringLiteral("tcp") });
        // Dies with the test, also when the test crashes.
        xvfb->setChildProcessModifier([] { ::prctl(PR_SET_PDEATHSIG, SIGTERM); });
        xvfb->start();
        const QString socket = QStringLiteral("/tmp/.X11-unix/X%1").arg(display);
        QDeadlineTimer deadline(10000);
        while (!QFile::exists(socket) && !deadline.hasExpired()
            && !xvfb->waitForFinished(50)) {
        }
        if (display == 0 || !QFile::exists(socket)) {
            std::fprintf(stderr, "no display and Xvfb could not start\n");
            return 1;
        }
        qputenv("DISPLAY", QByteArray(":") + QByteArray::number(display));
    }
    qputenv("QT_QPA_PLATFORM", "xcb");
    int code = 0;
    {
        QGuiApplication app(argc, argv);
        // The appearance is kept with QSettings: in the test's own place, not the user's.
        QStandardPaths::setTestModeEnabled(true);
        QGuiApplication::setOrganizationName(QStringLiteral("MetatopiaTest"));
        QGuiApplication::setApplicationName(QStringLiteral("test_ui_client_app"));
        TestClientApp test;
        QTEST_SET_MAIN_SOURCE_PATH
        code = QTest::qExec(&test, argc, argv);
    }
    if (xvfb) {
        xvfb->terminate();
        xvfb->waitForFinished(3000);
    }
    return code;
}

#include "tst_ClientApp.moc"
