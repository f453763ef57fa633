// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
// ScriptDeployer's check with the sims' own Lua: every example compiles, errors come with the
// script's own line numbers (also for sources that contain long-string brackets), top-level code
// is compiled and not run; deploying without a known leader fails with a clear message.

#include "ui/ScriptDeployer.h"

#include "net/PinStore.h"

#include <QDir>
#include <QFile>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace metatopia;

class TestScriptDeployer : public QObject
{
    Q_OBJECT

private slots:
    void examplesCompile();
    void errorsHaveTheirLine();
    void bracketsInTheSource();
    void deployNeedsALeader();
};

void TestScriptDeployer::examplesCompile()
{
    const QDir dir(QStringLiteral(METATOPIA_SOURCE_DIR "/resources/scripts"));
    const QStringList files = dir.entryList({ QStringLiteral("*.lua") }, QDir::Files);
    QVERIFY(files.size() >= 3);
    for (const QString &name : files) {
        QFile file(dir.filePath(name));
        QVERIFY(file.open(QIODevice::ReadOnly));
        const ScriptCheck result = ScriptDeployer::check(QString::fromUtf8(file.readAll()));
        QVERIFY2(result.ok, qPrintable(name + QStringLiteral(": ") + result.message));
    }
}

void TestScriptDeployer::errorsHaveTheirLine()
{
    ScriptCheck result = ScriptDeployer::check(
        QStringLiteral("listen(0)\n\nfunction on_listen(c, f, n, t)\n  say(0, \"hi\"\nend\n"));
    QVERIFY(!result.ok);
    QCOMPARE(result.line, 5);
    QVERIFY2(result.message.contains(QStringLiteral("expected")), qPrintable(result.message));

    result = ScriptDeployer::check(QStringLiteral("x = = 1"));
    QVERIFY(!result.ok);
    QCOMPARE(result.line, 1);

    // A constant that does not fit the sims' fixed-point numbers fails when compiled.
    result = ScriptDeployer::check(QStringLiteral("-- big\nlocal x = 1e20\n"));
    QVERIFY(!result.ok);
    QCOMPARE(result.line, 2);

    // Compiled, not run: a runtime error or a world call at the top level is no check failure.
    result = ScriptDeployer::check(QStringLiteral("listen(0)\nerror('boom')\n"));
    QVERIFY2(result.ok, qPrintable(result.message));
    QVERIFY(ScriptDeployer::check(QString()).ok);
}

void TestScriptDeployer::bracketsInTheSource()
{
    ScriptCheck result = ScriptDeployer::check(
        QStringLiteral("local s = [[a]] .. [=[b]=] .. [==[c]==]\nsay(0, s)\n"));
    QVERIFY2(result.ok, qPrintable(result.message));
    result = ScriptDeployer::check(QStringLiteral("local s = [[a]]\n]]\n"));
    QVERIFY(!result.ok);
    QCOMPARE(result.line, 2);
}

void TestScriptDeployer::deployNeedsALeader()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    ReplicaListModel replicas;
    replicas.setReplicas({ { QStringLiteral("sim-1"), QStringLiteral("127.0.0.1"), 1 } });
    net::PinStore pins(dir.filePath(QStringLiteral("pins.txt")));
    ScriptDeployer deployer(replicas, pins);
    QSignalSpy state(&deployer, &ScriptDeployer::stateChanged);
    deployer.deploy(QStringLiteral("listen(0)"), QStringLiteral("thing"));
    QCOMPARE(deployer.state(), ScriptDeployer::State::Failed);
    QVERIFY(deployer.message().contains(QStringLiteral("no leader")));
    // A script that does not compile is refused before anything is sent.
    deployer.deploy(QStringLiteral("function ("), QStringLiteral("broken"));
    QCOMPARE(deployer.state(), ScriptDeployer::State::Failed);
    QVERIFY2(deployer.message().startsWith(QStringLiteral("not deployed: line 1")),
        qPrintable(deployer.message()));
    QCOMPARE(state.count(), 2);
}

QTEST_GUILESS_MAIN(TestScriptDeployer)
#include "tst_ScriptDeployer.moc"
