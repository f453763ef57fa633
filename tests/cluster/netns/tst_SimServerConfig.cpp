// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// `metatopia-server --config <file>`: a sim replica configured by an INI file becomes READY and
// ticks; command-line options override the file; a bad file is refused with a clear error.
// Real processes on 127.0.0.1 (no namespaces needed).

#include "ClusterTestUtil.h"
#include "GatewayClient.h"
#include "SimServerProcess.h"

#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

using namespace metatopia;
using namespace metatopia::cluster::test;

class SimServerConfigTest : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    std::unique_ptr<net::PinStore> m_pins;
    int m_files = 0;
    int m_dataDirs = 0;

    QString writeConfig(const QByteArray &text)
    {
        const QString path = m_dir.filePath(QStringLiteral("sim%1.ini").arg(++m_files));
        QFile file(path);
        if (!file.open(QIODevice::WriteOnly) || file.write(text) != text.size())
            return {};
        return path;
    }

    QString freshDataDir() { return m_dir.filePath(QStringLiteral("data%1").arg(++m_dataDirs)); }

    // Runs the server expecting it to refuse; returns its stderr.
    static QString refusal(const QStringList &args, int *exitCode)
    {
        QProcess process;
        process.start(SimServerProcess::defaultExecutable(), args);
        if (!process.waitForFinished(10000)) {
            process.kill();
            process.waitForFinished(2000);
            *exitCode = -1;
            return {};
        }
        *exitCode = process.exitCode();
        return QString::fromUtf8(process.readAllStandardError());
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        QVERIFY2(QFile::exists(SimServerProcess::defaultExecutable()),
            qPrintable(SimServerProcess::defaultExecutable()));
        m_pins = std::make_unique<net::PinStore>(m_dir.filePath(QStringLiteral("pins")));
    }

    void configFileStartsATickingReplica()
    {
        const QString raft = freeLoopbackAddress();
        const QString client = freeLoopbackAddress();
        QVERIFY(!raft.isEmpty() && !client.isEmpty() && raft != client);
        const QString dataDir = freshDataDir();
        const QString path = writeConfig(QStringLiteral("# one sim replica\n"
                                                        "role=sim\n"
                                                        "cluster=5\n"
                                                        "id=1\n"
                                                        "peers=\"1=%1/%2\"\n"
                                                        "data-dir=%3\n"
                                                        "tick-rate=45\n")
                                             .arg(raft, client, dataDir)
                                             .toUtf8());
        QVERIFY(!path.isEmpty());
        SimServerProcess server(
            SimServerOptions { {}, {}, { QStringLiteral("--config"), path }, {} });
        QString error;
        QVERIFY2(server.start(20000, &error), qPrintable(error));
        QCOMPARE(server.clientPort(), portOf(client));

        GatewayProbe probe(client, *m_pins);
        auto status = probe.status();
        QVERIFY(status);
        QCOMPARE(status->value(QStringLiteral("cluster")).toInteger(), 5);
        QCOMPARE(status->value(QStringLiteral("replica")).toInteger(), 1);
        const qint64 first = status->value(QStringLiteral("tick")).toInteger();
        QTRY_VERIFY_WITH_TIMEOUT((status = probe.status())
                && status->value(QStringLiteral("tick")).toInteger() >= first + 20,
            10000);
        QCOMPARE(status->value(QStringLiteral("role")).toString(), QStringLiteral("leader"));
        QVERIFY(QFile::exists(dataDir + QStringLiteral("/raft")));
        server.terminate();
    }

    void commandLineOverridesTheFile()
    {
        const QString raft = freeLoopbackAddress();
        const QString client = freeLoopbackAddress();
        // id 9 is not among the peers and cluster 5 is overridden: the command line must win.
        // The peers list is unquoted on purpose: QSettings reads it as a list, joined back.
        const QString other = QStringLiteral("2=127.0.0.1:1/127.0.0.1:2,3=127.0.0.1:3/127.0.0.1:4");
        const QString path = writeConfig(QStringLiteral("role=sim\ncluster=5\nid=9\n"
                                                        "peers=1=%1/%2,%3\ndata-dir=%4\n")
                                             .arg(raft, client, other, freshDataDir())
                                             .toUtf8());
        SimServerProcess server(SimServerOptions { {}, {},
            { QStringLiteral("--config"), path, QStringLiteral("--id"), QStringLiteral("1"),
                QStringLiteral("--cluster"), QStringLiteral("6") },
            {} });
        QString error;
        QVERIFY2(server.start(20000, &error), qPrintable(error));
        GatewayProbe probe(client, *m_pins);
        const auto status = probe.status();
        QVERIFY(status);
        QCOMPARE(status->value(QStringLiteral("cluster")).toInteger(), 6);
        QCOMPARE(status->value(QStringLiteral("replica")).toInteger(), 1);
        // All three peers were parsed from the unquoted list (no quorum alone: no leader).
        QCOMPARE(status->value(QStringLiteral("voters")).toInteger(), 3);
        server.terminate();
    }

    void badFilesAreRefused()
    {
        int code = 0;
        QString err = refusal(
            { QStringLiteral("--config"), m_dir.filePath(QStringLiteral("missing.ini")) }, &code);
        QCOMPARE(code, 2);
        QVERIFY2(err.contains(QStringLiteral("cannot read")), qPrintable(err));

        err = refusal(
            { QStringLiteral("--config"), writeConfig("role=sim\ntick-rat=45\n") }, &code);
        QCOMPARE(code, 2);
        QVERIFY2(err.contains(QStringLiteral("unknown key \"tick-rat\"")), qPrintable(err));

        err = refusal({ QStringLiteral("--config"), writeConfig("role=sim\njoin=maybe\n") }, &code);
        QCOMPARE(code, 2);
        QVERIFY2(err.contains(QStringLiteral("join")), qPrintable(err));

        err = refusal(
            { QStringLiteral("--config"), writeConfig("role=sim\ntick-rate=fast\n") }, &code);
        QCOMPARE(code, 2);
        QVERIFY2(err.contains(QStringLiteral("--tick-rate")), qPrintable(err));
    }
};

QTEST_GUILESS_MAIN(SimServerConfigTest)
#include "tst_SimServerConfig.moc"
