// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
// metatopia-manager: runs a world on this machine (the chat server and a lockstep sim cluster of
// metatopia-server child processes) and monitors it, in a window or, with --headless, on stdout.
// Everything lives in libs/ui (ManagerController) and the Metatopia.Manager QML module.

#include "core/QuitOnSignals.h"
#include "ui/ManagerController.h"
#include "ui/QuickSetup.h"

#include <QCommandLineParser>
#include <QGuiApplication>
#include <QQmlApplicationEngine>
#include <QQmlEngineExtensionPlugin>
#include <QTimer>

#include <cstdio>
#include <cstring>
#include <memory>

Q_IMPORT_QML_PLUGIN(Metatopia_UiPlugin)
Q_IMPORT_QML_PLUGIN(Metatopia_CommonPlugin)
Q_IMPORT_QML_PLUGIN(Metatopia_ManagerPlugin)

namespace {

void print(const QString &line)
{
    std::printf("%s\n", qPrintable(line));
    std::fflush(stdout);
}

} // namespace

int main(int argc, char *argv[])
{
    bool headless = false;
    for (int i = 1; i < argc; ++i)
        headless = headless || std::strcmp(argv[i], "--headless") == 0;
    // Headless needs no display: a QCoreApplication, no QML.
    std::unique_ptr<QCoreApplication> app = headless
        ? std::make_unique<QCoreApplication>(argc, argv)
        : std::make_unique<QGuiApplication>(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("metatopia-manager"));
    QCoreApplication::setOrganizationName(QStringLiteral("Metatopia"));
    if (!headless)
        QGuiApplication::setApplicationDisplayName(QStringLiteral("Metatopia Manager"));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Runs a Metatopia world on this machine: the chat server and the replicas of a lockstep "
        "sim as metatopia-server processes, monitored in a window (or on stdout with "
        "--headless). Ports: chat on the base port, replica i's gateway on base+i, its raft on "
        "base+10+i, all on 127.0.0.1."));
    parser.addHelpOption();
    const QCommandLineOption worldDir(QStringLiteral("world-dir"),
        QStringLiteral("Where the world's data lives (default %1); a later start reuses it.")
            .arg(metatopia::LocalWorld::defaultWorldDir()),
        QStringLiteral("dir"));
    const QCommandLineOption replicas(QStringLiteral("replicas"),
        QStringLiteral("Number of sim replicas, odd, 1 to 7 (default 3)."), QStringLiteral("n"),
        QStringLiteral("3"));
    const QCommandLineOption basePort(QStringLiteral("base-port"),
        QStringLiteral("First port (default 7777: the chat server)."), QStringLiteral("port"),
        QStringLiteral("7777"));
    const QCommandLineOption binDir(QStringLiteral("bin-dir"),
        QStringLiteral("Where metatopia-server is (default: next to this program)."),
        QStringLiteral("dir"));
    const QCommandLineOption headlessOption(QStringLiteral("headless"),
        QStringLiteral("No window: print one status line per replica every few seconds."));
    const QCommandLineOption interval(QStringLiteral("status-interval"),
        QStringLiteral("--headless: seconds between status reports (default 5)."),
        QStringLiteral("s"), QStringLiteral("5"));
    parser.addOptions({ worldDir, replicas, basePort, binDir, headlessOption, interval });
    parser.process(*app);

    metatopia::LocalWorldOptions options;
    options.worldDir = parser.value(worldDir);
    bool ok = false;
    options.replicas = parser.value(replicas).toInt(&ok);
    if (!ok) {
        std::fprintf(stderr, "metatopia-manager: --replicas: not a number\n");
        return 2;
    }
    const uint port = parser.value(basePort).toUInt(&ok);
    if (!ok || port > 65535) {
        std::fprintf(stderr, "metatopia-manager: --base-port: not a port number\n");
        return 2;
    }
    options.basePort = quint16(port);
    options.serverBinary = metatopia::LocalWorld::serverBinaryIn(parser.value(binDir));
    const int seconds = parser.value(interval).toInt(&ok);
    if (!ok || seconds < 1) {
        std::fprintf(stderr, "metatopia-manager: --status-interval: not a number of seconds\n");
        return 2;
    }

    metatopia::ManagerController controller(options, QStringLiteral(":/Metatopia/Manager/scripts"));
    // SIGTERM/SIGINT quit the event loop, so the world's processes are stopped cleanly on the
    // way out.
    metatopia::quitOnTerminationSignals(*app);

    if (headless) {
        if (!controller.start()) {
            std::fprintf(stderr, "metatopia-manager: %s\n", qPrintable(controller.errorText()));
            return 1;
        }
        for (const QString &note : controller.world().notes())
            print(QStringLiteral("note: ") + note);
        QObject::connect(&controller.world(), &metatopia::LocalWorld::started, [&controller] {
            print(QStringLiteral("READY world is running"));
            for (const QString &line : controller.connectionHelp())
                print(line);
        });
        QObject::connect(&controller.world(), &metatopia::LocalWorld::failed,
            [](const QString &reason) { print(QStringLiteral("FAILED ") + reason); });
        QTimer report;
        QObject::connect(&report, &QTimer::timeout, [&controller] {
            for (const QString &line : controller.statusLines())
                print(line);
        });
        report.start(seconds * 1000);
        const int rc = QCoreApplication::exec();
        print(QStringLiteral("stopping the world"));
        controller.stop();
        return rc;
    }

    metatopia::applyQuickStyle();
    QQmlApplicationEngine engine;
    metatopia::prepareQmlEngine(engine);
    engine.setInitialProperties(
        { { QStringLiteral("controller"), QVariant::fromValue(&controller) } });
    QObject::connect(
        &engine, &QQmlApplicationEngine::objectCreationFailed, app.get(),
        [] { QCoreApplication::exit(1); }, Qt::QueuedConnection);
    engine.load(QUrl(QStringLiteral("qrc:/Metatopia/Manager/Main.qml")));
    if (engine.rootObjects().isEmpty())
        return 1;
    controller.start();
    const int rc = QCoreApplication::exec();
    controller.stop();
    return rc;
}
