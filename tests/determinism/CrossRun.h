// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

// Helpers shared by the cross-compiler determinism tests: where the two builds' binaries are,
// running one of them as a real child process, and naming the first line where two outputs
// differ (a byte-for-byte comparison that says where, not just that, they diverge).

#include <QByteArray>
#include <QFileInfo>
#include <QList>
#include <QProcess>
#include <QString>
#include <QStringList>
#include <QtGlobal>

namespace metatopia::test {

// A binary of this (the main) build.
inline QString mainBinary(const QString &name)
{
    return QStringLiteral(METATOPIA_BIN_DIR "/") + name;
}

// A binary of the other compiler's build, made by the determinism_cross_build fixture.
// METATOPIA_CROSS_BIN_DIR in the environment points the tests at another tree instead (used
// to check that the tests catch a deliberately diverging build).
inline QString crossBinary(const QString &name)
{
    const QString dir = qEnvironmentVariableIsSet("METATOPIA_CROSS_BIN_DIR")
        ? qEnvironmentVariable("METATOPIA_CROSS_BIN_DIR")
        : QStringLiteral(METATOPIA_CROSS_BIN_DIR);
    return dir + QLatin1Char('/') + name;
}

inline QString missingBinaryMessage(const QString &path)
{
    return QStringLiteral("%1 is missing: it is built by the ctest fixture "
                          "determinism_cross_build (run `ctest -R determinism`)")
        .arg(path);
}

struct RunResult
{
    bool finished = false;
    int exitCode = -1;
    QByteArray out;
    QByteArray err;

    // Why a run did not end normally, for failure messages.
    QString failure() const
    {
        const QString what = finished ? QStringLiteral("exited with %1").arg(exitCode)
                                      : QStringLiteral("crashed or timed out");
        return what + QStringLiteral("; stderr: ") + QString::fromUtf8(err.right(2000));
    }

    // Everything a run shows to the outside, in one comparable blob.
    QByteArray transcript() const
    {
        return out + "--- stderr\n" + err + "--- exit " + QByteArray::number(exitCode) + '\n';
    }
};

inline RunResult runProcess(
    const QString &program, const QStringList &arguments, const QString &workingDir, int timeoutMs)
{
    QProcess process;
    process.setProgram(program);
    process.setArguments(arguments);
    process.setWorkingDirectory(workingDir);
    process.start();
    RunResult result;
    if (!process.waitForStarted(timeoutMs)) {
        result.err = process.errorString().toUtf8();
        return result;
    }
    result.finished
        = process.waitForFinished(timeoutMs) && process.exitStatus() == QProcess::NormalExit;
    if (!result.finished) {
        process.kill();
        process.waitForFinished(timeoutMs);
    }
    result.exitCode = process.exitCode();
    result.out = process.readAllStandardOutput();
    result.err = process.readAllStandardError();
    return result;
}

// Empty when a and b are byte-identical; otherwise the first differing line of each.
inline QString firstDifference(
    const QByteArray &a, const QString &labelA, const QByteArray &b, const QString &labelB)
{
    if (a == b)
        return {};
    const QList<QByteArray> linesA = a.split('\n');
    const QList<QByteArray> linesB = b.split('\n');
    const qsizetype common = qMin(linesA.size(), linesB.size());
    qsizetype line = 0;
    while (line < common && linesA[line] == linesB[line])
        ++line;
    const auto show = [](const QList<QByteArray> &lines, qsizetype i) {
        if (i >= lines.size())
            return QStringLiteral("<end of output>");
        QByteArray text = lines[i];
        if (text.size() > 400)
            text = text.left(400) + "...";
        return QString::fromUtf8(text);
    };
    return QStringLiteral("outputs differ at line %1 (of %2 / %3):\n  %4: %5\n  %6: %7")
        .arg(line + 1)
        .arg(linesA.size())
        .arg(linesB.size())
        .arg(labelA, show(linesA, line), labelB, show(linesB, line));
}

} // namespace metatopia::test
