// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "SimServerProcess.h"

#include <QDeadlineTimer>
#include <QFile>
#include <QRegularExpression>

#include <csignal>
#include <sys/prctl.h>

namespace metatopia::cluster::test {

SimServerProcess::SimServerProcess(SimServerOptions options)
    : m_options(std::move(options))
{
    if (m_options.executable.isEmpty())
        m_options.executable = defaultExecutable();
}

SimServerProcess::~SimServerProcess()
{
    kill9();
}

QString SimServerProcess::defaultExecutable()
{
    return QStringLiteral(METATOPIA_BIN_DIR "/metatopia-server");
}

bool SimServerProcess::start(int timeoutMs, QString *error)
{
    kill9();
    m_clientPort = 0;
    m_process = std::make_unique<QProcess>();
    if (m_options.logFile.isEmpty())
        m_process->setProcessChannelMode(QProcess::ForwardedErrorChannel);
    else
        m_process->setStandardErrorFile(m_options.logFile, QIODevice::Append);
    // If the test process dies (crash, ctest timeout) the replica must not live on: `ip netns
    // exec` execs the server in place, so the death signal set here reaches the server itself.
    m_process->setChildProcessModifier([] { ::prctl(PR_SET_PDEATHSIG, SIGKILL); });
    if (m_options.netns.isEmpty()) {
        m_process->start(m_options.executable, m_options.args);
    } else {
        m_process->start(QStringLiteral("ip"),
            QStringList { QStringLiteral("netns"), QStringLiteral("exec"), m_options.netns,
                m_options.executable }
                + m_options.args);
    }
    if (!m_process->waitForStarted(10000)) {
        if (error)
            *error = m_process->errorString();
        return false;
    }
    static const QRegularExpression ready(QStringLiteral("READY client=(\\d+)"));
    QByteArray out;
    QDeadlineTimer deadline(timeoutMs);
    while (!deadline.hasExpired()) {
        out += m_process->readAllStandardOutput();
        const QRegularExpressionMatch match = ready.match(QString::fromUtf8(out));
        if (match.hasMatch()) {
            m_clientPort = quint16(match.captured(1).toUInt());
            return true;
        }
        if (m_process->state() != QProcess::Running)
            break;
        m_process->waitForReadyRead(int(qBound(qint64(1), deadline.remainingTime(), qint64(500))));
    }
    if (error) {
        *error = QStringLiteral("no READY line (exit %1): %2")
                     .arg(m_process->exitCode())
                     .arg(logTail(10));
    }
    kill9();
    return false;
}

void SimServerProcess::kill9()
{
    if (!m_process)
        return;
    if (m_process->state() != QProcess::NotRunning) {
        m_process->kill();
        m_process->waitForFinished(5000);
    }
    m_process.reset();
}

void SimServerProcess::terminate(int timeoutMs)
{
    if (!m_process)
        return;
    if (m_process->state() != QProcess::NotRunning) {
        m_process->terminate();
        if (!m_process->waitForFinished(timeoutMs))
            kill9();
    }
    m_process.reset();
}

bool SimServerProcess::isRunning() const
{
    return m_process && m_process->state() == QProcess::Running;
}

qint64 SimServerProcess::pid() const
{
    return m_process ? m_process->processId() : 0;
}

QString SimServerProcess::logTail(int lines) const
{
    QFile file(m_options.logFile);
    if (m_options.logFile.isEmpty() || !file.open(QIODevice::ReadOnly))
        return {};
    const qint64 size = file.size();
    file.seek(qMax<qint64>(0, size - 64 * 1024));
    QStringList all = QString::fromUtf8(file.readAll()).split(QLatin1Char('\n'));
    while (!all.isEmpty() && all.last().isEmpty())
        all.removeLast();
    return all.mid(qMax<qsizetype>(0, all.size() - lines)).join(QLatin1Char('\n'));
}

} // namespace metatopia::cluster::test
