// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
// metatopia-client: the 3D client. Wires a ChatController (login, chat, IM) and a WorldSession
// (the region from the sim cluster's gateways) to the Metatopia.Client window; everything else
// lives in libs/ui and the QML modules.

#include <QCommandLineParser>
#include <QDir>
#include <QGuiApplication>
#include <QQmlApplicationEngine>
#include <QQmlEngineExtensionPlugin>

#include "ui/ChatController.h"
#include "ui/ChatLoginOptions.h"
#include "ui/QuickSetup.h"
#include "ui/WorldSession.h"

#include <cstdio>

Q_IMPORT_QML_PLUGIN(Metatopia_UiPlugin)
Q_IMPORT_QML_PLUGIN(Metatopia_CommonPlugin)
Q_IMPORT_QML_PLUGIN(Metatopia_ClientPlugin)

int main(int argc, char *argv[])
{
    QGuiApplication app(argc, argv);
    QGuiApplication::setApplicationName(QStringLiteral("metatopia-client"));
    QGuiApplication::setApplicationDisplayName(QStringLiteral("Metatopia"));
    QGuiApplication::setOrganizationName(QStringLiteral("Metatopia"));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Metatopia's 3D client. Logs in to the world's chat service and enters the region served "
        "by the sim replicas' gateways (the next one is tried when one fails). Without "
        "--gateways, a local world's layout is assumed: chat on the base port, replica i's "
        "gateway on base+i."));
    parser.addHelpOption();
    const metatopia::ChatLoginOptions login(parser);
    const QCommandLineOption basePort(QStringLiteral("base-port"),
        QStringLiteral("A local world's base port (default 7777)."), QStringLiteral("port"),
        QStringLiteral("7777"));
    const QCommandLineOption chatPort(QStringLiteral("chat-port"),
        QStringLiteral("Chat service port (default: the base port)."), QStringLiteral("port"));
    const QCommandLineOption replicas(QStringLiteral("replicas"),
        QStringLiteral("Without --gateways: how many replicas follow the base port (default 3)."),
        QStringLiteral("n"), QStringLiteral("3"));
    const QCommandLineOption gateways(QStringLiteral("gateways"),
        QStringLiteral("The sim gateways, host:port,host:port,..."), QStringLiteral("list"));
    parser.addOptions({ basePort, chatPort, replicas, gateways });
    parser.process(app);

    int base = 0;
    if (!metatopia::ChatLoginOptions::parsePort(parser.value(basePort), &base)) {
        std::fprintf(stderr, "metatopia-client: --base-port: \"%s\" is not a port number\n",
            qPrintable(parser.value(basePort)));
        return 2;
    }
    int chat = base;
    if (parser.isSet(chatPort)
        && !metatopia::ChatLoginOptions::parsePort(parser.value(chatPort), &chat)) {
        std::fprintf(stderr, "metatopia-client: --chat-port: \"%s\" is not a port number\n",
            qPrintable(parser.value(chatPort)));
        return 2;
    }
    QStringList gatewayList;
    if (parser.isSet(gateways)) {
        QString error;
        const auto parsed = metatopia::WorldSession::parseGateways(parser.value(gateways), &error);
        if (!parsed) {
            std::fprintf(stderr, "metatopia-client: --gateways: %s\n", qPrintable(error));
            return 2;
        }
        gatewayList = *parsed;
    } else {
        bool ok = false;
        const int count = parser.value(replicas).toInt(&ok);
        if (!ok || count < 1 || count > 7 || base + count > 65535) {
            std::fprintf(stderr, "metatopia-client: --replicas: 1..7 expected\n");
            return 2;
        }
        for (int i = 1; i <= count; ++i)
            gatewayList << QStringLiteral("%1:%2").arg(login.host()).arg(base + i);
    }

    const QString dir = login.dataDirectory();
    metatopia::ChatController controller(dir);
    login.configure(controller, chat);
    metatopia::WorldSession session(QDir(dir).filePath(QStringLiteral("sim-pins")));
    session.setGateways(gatewayList);
    // The world may still be starting (the manager launches it alongside): keep trying.
    session.setReconnectDelays(200, 3000);

    metatopia::applyQuickStyle();
    QQmlApplicationEngine engine;
    metatopia::prepareQmlEngine(engine);
    engine.setInitialProperties({ { QStringLiteral("controller"), QVariant::fromValue(&controller) },
        { QStringLiteral("session"), QVariant::fromValue(&session) } });
    QObject::connect(
        &engine, &QQmlApplicationEngine::objectCreationFailed, &app,
        [] { QCoreApplication::exit(1); }, Qt::QueuedConnection);
    engine.load(QUrl(QStringLiteral("qrc:/Metatopia/Client/Main.qml")));
    if (engine.rootObjects().isEmpty())
        return 1;

    session.start();
    login.logInIfGiven(controller);
    const int code = app.exec();
    session.stop();
    return code;
}
