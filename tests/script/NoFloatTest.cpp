// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// No float or double arithmetic in the script library: disassembles every object of
// libmetatopia_script.a (Lua's own files compiled with our configuration, and our glue) and
// looks for SSE/AVX/x87 floating-point instructions. Moves between registers (movq, movd) are
// allowed: the IEEE bit conversions of string.pack use them without computing anything.

#include <QProcess>
#include <QRegularExpression>
#include <QTest>

class NoFloatTest : public QObject
{
    Q_OBJECT

private slots:
    void noFloatInstructions()
    {
        QProcess objdump;
        objdump.start(QStringLiteral("objdump"),
                      {QStringLiteral("-d"), QStringLiteral("--no-show-raw-insn"),
                       QStringLiteral(SCRIPT_LIBRARY_PATH)});
        QVERIFY(objdump.waitForFinished(120000));
        QCOMPARE(objdump.exitCode(), 0);
        const QString out = QString::fromUtf8(objdump.readAllStandardOutput());
        const QRegularExpression member(QStringLiteral("^In archive .*|^(\\S+\\.o):\\s+file format"));
        const QRegularExpression fp(QStringLiteral(
            "\\s(v?(add|sub|mul|div|sqrt|min|max|round)[sp][sd]|v?cvt[a-z0-9]+|v?u?comis[sd]"
            "|f(ld|st|add|sub|mul|div|ild|ist|sqrt|comi|ucomi|prem|sin|cos|patan|yl2x)[a-z]*)\\s"));
        QString current;
        int objects = 0;
        int luaObjects = 0;
        QStringList hits;
        for (const QString &line : out.split(QLatin1Char('\n'))) {
            const auto m = member.match(line);
            if (m.hasMatch() && !m.captured(1).isEmpty()) {
                current = m.captured(1);
                ++objects;
                if (current.startsWith(QLatin1Char('l')) && current.endsWith(QStringLiteral(".c.o")))
                    ++luaObjects;
                continue;
            }
            if (fp.match(line).hasMatch() && hits.size() < 20)
                hits << current + QStringLiteral(": ") + line.trimmed();
        }
        QVERIFY2(luaObjects >= 20, qPrintable(QStringLiteral("only %1 Lua objects").arg(luaObjects)));
        QVERIFY(objects > luaObjects);
        QVERIFY2(hits.isEmpty(), qPrintable(hits.join(QLatin1Char('\n'))));
    }
};

QTEST_GUILESS_MAIN(NoFloatTest)
#include "NoFloatTest.moc"
