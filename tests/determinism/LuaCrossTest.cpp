// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// Issue 4's cross-compiler rule: every script of the corpus gives byte-identical output and
// VM-state hash (metatopia-lua --hash) in this build and in the other compiler's build, and in
// repeated runs of each. The corpus is resources/determinism/*.lua (numeric code, tables keyed
// by tables and functions, coroutines, string building, GC-heavy code) plus every example and
// test script under resources/scripts and tests/script, so new scripts are covered as they come.

#include "CrossRun.h"

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

namespace metatopia::test {

namespace {

// Generous limits: the corpus is meant to run, not to hit them; hostile scripts from the other
// directories still stop (with the same error in both builds).
const QStringList runnerOptions = {
    QStringLiteral("--hash"),
    QStringLiteral("--seed"),
    QStringLiteral("20261125"),
    QStringLiteral("--instr-limit"),
    QStringLiteral("50000000"),
    QStringLiteral("--mem-limit"),
    QStringLiteral("67108864"),
};
constexpr int runTimeoutMs = 120'000;

} // namespace

class LuaCrossTest : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void sameOutputAndHash_data();
    void sameOutputAndHash();
    void differentSeedsDiffer();

private:
    QString m_main;
    QString m_cross;
};

void LuaCrossTest::initTestCase()
{
    m_main = mainBinary(QStringLiteral("metatopia-lua"));
    m_cross = crossBinary(QStringLiteral("metatopia-lua"));
    QVERIFY2(QFileInfo(m_main).isExecutable(), qPrintable(m_main + QStringLiteral(" is missing")));
    QVERIFY2(QFileInfo(m_cross).isExecutable(), qPrintable(missingBinaryMessage(m_cross)));
    qInfo("comparing %s (%s) with %s (%s)", qPrintable(m_main), METATOPIA_COMPILER,
        qPrintable(m_cross), METATOPIA_CROSS_COMPILER);
    const QDir corpus(QStringLiteral(METATOPIA_SOURCE_DIR "/resources/determinism"));
    QVERIFY2(corpus.entryList({ QStringLiteral("*.lua") }, QDir::Files).size() >= 5,
        qPrintable(corpus.path() + QStringLiteral(" lacks its scripts")));
}

void LuaCrossTest::sameOutputAndHash_data()
{
    QTest::addColumn<QString>("script");
    QTest::addColumn<bool>("mustSucceed");
    const QString source = QStringLiteral(METATOPIA_SOURCE_DIR);
    // Ours must run to the end; scripts from elsewhere may be hostile on purpose.
    const QList<std::pair<QString, bool>> dirs = {
        { QStringLiteral("resources/determinism"), true },
        { QStringLiteral("resources/scripts"), false },
        { QStringLiteral("tests/script"), false },
    };
    for (const auto &[dir, mustSucceed] : dirs) {
        QStringList files;
        QDirIterator it(source + QLatin1Char('/') + dir, { QStringLiteral("*.lua") }, QDir::Files,
            QDirIterator::Subdirectories);
        while (it.hasNext())
            files << it.next();
        files.sort();
        for (const QString &file : files) {
            const QString name = QDir(source).relativeFilePath(file);
            QTest::newRow(qPrintable(name)) << file << mustSucceed;
        }
    }
}

void LuaCrossTest::sameOutputAndHash()
{
    QFETCH(QString, script);
    QFETCH(bool, mustSucceed);
    const QString dir = QFileInfo(script).absolutePath();
    const QStringList args = runnerOptions + QStringList { script };

    const RunResult reference = runProcess(m_main, args, dir, runTimeoutMs);
    QVERIFY2(reference.finished, qPrintable(m_main + QLatin1Char(' ') + reference.failure()));
    if (mustSucceed) {
        QVERIFY2(reference.exitCode == 0, qPrintable(reference.failure()));
        // Some real output and the state hash as the last line: a run that printed nothing
        // would compare equal to another run that printed nothing.
        QVERIFY(reference.out.count('\n') >= 10);
    }
    static const QRegularExpression hashLine(QStringLiteral("(^|\n)[0-9a-f]{16}\n$"));
    QVERIFY2(hashLine.match(QString::fromUtf8(reference.out)).hasMatch(),
        "metatopia-lua --hash printed no state hash as its last line");

    const struct
    {
        const char *label;
        QString binary;
    } runs[] = {
        { "same build, second process", m_main },
        { METATOPIA_CROSS_COMPILER " build", m_cross },
        { METATOPIA_CROSS_COMPILER " build, second process", m_cross },
    };
    const QString mainLabel = QStringLiteral(METATOPIA_COMPILER " build");
    for (const auto &run : runs) {
        const RunResult other = runProcess(run.binary, args, dir, runTimeoutMs);
        QVERIFY2(other.finished, qPrintable(run.binary + QLatin1Char(' ') + other.failure()));
        const QString diff = firstDifference(
            reference.transcript(), mainLabel, other.transcript(), QString::fromLatin1(run.label));
        QVERIFY2(
            diff.isEmpty(), qPrintable(QFileInfo(script).fileName() + QStringLiteral(": ") + diff));
    }
}

// The comparison above is only meaningful if the runs depend on their input at all: the host
// seed reaches math.random, so two seeds must give different transcripts.
void LuaCrossTest::differentSeedsDiffer()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString script = dir.filePath(QStringLiteral("seeded.lua"));
    QFile file(script);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("for i = 1, 5 do print(math.random(1, 1000000), math.random()) end\n");
    file.close();
    const auto run = [&](const QString &binary, const char *seed) {
        return runProcess(binary,
            { QStringLiteral("--hash"), QStringLiteral("--seed"), QString::fromLatin1(seed),
                script },
            dir.path(), runTimeoutMs);
    };
    const RunResult a = run(m_main, "1");
    const RunResult b = run(m_main, "2");
    const RunResult c = run(m_cross, "2");
    QCOMPARE(a.exitCode, 0);
    QVERIFY(a.out != b.out);
    const QString diff = firstDifference(b.transcript(), QStringLiteral(METATOPIA_COMPILER),
        c.transcript(), QStringLiteral(METATOPIA_CROSS_COMPILER));
    QVERIFY2(diff.isEmpty(), qPrintable(diff));
}

} // namespace metatopia::test

QTEST_GUILESS_MAIN(metatopia::test::LuaCrossTest)
#include "LuaCrossTest.moc"
