// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
// metatopia-chat: the standalone chat client. Wires a ChatController to the Metatopia.Chat
// window; everything else lives in libs/ui and the QML modules.

#include <QCommandLineParser>
#include <QGuiApplication>
#include <QQmlApplicationEngine>
#include <QQmlEngineExtensionPlugin>

#include "ui/ChatController.h"
#include "ui/ChatLoginOptions.h"
#include "ui/QuickSetup.h"

#include <cstdio>

Q_IMPORT_QML_PLUGIN(Metatopia_UiPlugin)
Q_IMPORT_QML_PLUGIN(Metatopia_CommonPlugin)
Q_IMPORT_QML_PLUGIN(Metatopia_ChatPlugin)

int main(int argc, char *argv[])
{
    QGuiApplication app(argc, argv);
    QGuiApplication::setApplicationName(QStringLiteral("metatopia-chat"));
    QGuiApplication::setApplicationDisplayName(QStringLiteral("Metatopia Chat"));
    QGuiApplication::setOrganizationName(QStringLiteral("Metatopia"));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Metatopia's standalone chat client. With --user and --password it logs in at once."));
    parser.addHelpOption();
    const metatopia::ChatLoginOptions login(parser);
    const QCommandLineOption port(QStringLiteral("port"),
        QStringLiteral("Server port (default 7777)."), QStringLiteral("port"),
        QStringLiteral("7777"));
    parser.addOption(port);
    parser.process(app);

    int portValue = 0;
    if (!metatopia::ChatLoginOptions::parsePort(parser.value(port), &portValue)) {
        std::fprintf(stderr, "metatopia-chat: --port: \"%s\" is not a port number\n",
            qPrintable(parser.value(port)));
        return 2;
    }

    metatopia::ChatController controller(login.dataDirectory());
    login.configure(controller, portValue);

    metatopia::applyQuickStyle();
    QQmlApplicationEngine engine;
    metatopia::prepareQmlEngine(engine);
    engine.setInitialProperties(
        { { QStringLiteral("controller"), QVariant::fromValue(&controller) } });
    QObject::connect(
        &engine, &QQmlApplicationEngine::objectCreationFailed, &app,
        [] { QCoreApplication::exit(1); }, Qt::QueuedConnection);
    engine.load(QUrl(QStringLiteral("qrc:/Metatopia/Chat/Main.qml")));
    if (engine.rootObjects().isEmpty())
        return 1;

    login.logInIfGiven(controller);
    return app.exec();
}
