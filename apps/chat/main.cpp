// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
// metatopia-chat: the standalone chat client. Wires a ChatController to the Metatopia.Chat
// window; everything else lives in libs/ui and the QML modules.

#include <QCommandLineParser>
#include <QGuiApplication>
#include <QQmlApplicationEngine>
#include <QQmlEngineExtensionPlugin>
#include <QStandardPaths>

#include "ui/ChatController.h"
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
    const QCommandLineOption host(QStringLiteral("host"),
        QStringLiteral("Server address (default 127.0.0.1)."), QStringLiteral("address"),
        QStringLiteral("127.0.0.1"));
    const QCommandLineOption port(QStringLiteral("port"),
        QStringLiteral("Server port (default 7777)."), QStringLiteral("port"),
        QStringLiteral("7777"));
    const QCommandLineOption user(
        QStringLiteral("user"), QStringLiteral("User name."), QStringLiteral("name"));
    const QCommandLineOption password(QStringLiteral("password"),
        QStringLiteral("Password: logs in at once (visible to other local users in the process "
                       "list; meant for scripts and tests)."),
        QStringLiteral("password"));
    const QCommandLineOption registerFirst(QStringLiteral("register"),
        QStringLiteral("With --user and --password: create the account instead of logging in."));
    const QCommandLineOption dataDir(QStringLiteral("data-dir"),
        QStringLiteral("Where the pinned server certificates are kept (default: %1).")
            .arg(QStandardPaths::writableLocation(QStandardPaths::AppDataLocation)),
        QStringLiteral("dir"));
    parser.addOptions({ host, port, user, password, registerFirst, dataDir });
    parser.process(app);

    bool ok = false;
    const int portValue = parser.value(port).toInt(&ok);
    if (!ok || portValue < 1 || portValue > 65535) {
        std::fprintf(stderr, "metatopia-chat: --port: \"%s\" is not a port number\n",
            qPrintable(parser.value(port)));
        return 2;
    }

    const QString dir = parser.isSet(dataDir)
        ? parser.value(dataDir)
        : QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);
    metatopia::ChatController controller(dir);
    controller.setHost(parser.value(host));
    controller.setPort(portValue);
    controller.setUserName(parser.value(user));

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

    if (parser.isSet(user) && parser.isSet(password)) {
        if (parser.isSet(registerFirst))
            controller.registerAccount(parser.value(password));
        else
            controller.login(parser.value(password));
    }
    return app.exec();
}
