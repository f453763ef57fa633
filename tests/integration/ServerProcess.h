// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

// A real metatopia-server child process for multi-process tests and benchmarks: started with a
// data dir and a port (0 = ephemeral), ready once it printed its LISTENING line.

#include <QElapsedTimer>
#include <QProcess>
#include <QRegularExpression>
#include <QString>
#include <QStringList>

namespace metatopia::test {

class ServerProcess
{
public:
    explicit ServerProcess(QString dataDir)
        : m_dataDir(std::move(dataDir))
    { }
    ~ServerProcess() { kill(); }

    // Starts the server and waits (bounded) for "LISTENING <addr>:<port> fingerprint=<fp>".
    bool start(quint16 port = 0, const QStringList &extraArgs = {}, int timeoutMs = 20000)
    {
        m_stdout.clear();
        m_process.setProgram(QStringLiteral(METATOPIA_BIN_DIR "/metatopia-server"));
        m_process.setArguments(
            QStringList { QStringLiteral("--role"), QStringLiteral("chat"),
                QStringLiteral("--data-dir"), m_dataDir, QStringLiteral("--listen"),
                QStringLiteral("127.0.0.1"), QStringLiteral("--port"), QString::number(port),
                QStringLiteral("--name"), QStringLiteral("integration") }
            + extraArgs);
        m_process.setProcessChannelMode(QProcess::SeparateChannels);
        m_process.setStandardErrorFile(
            m_dataDir + QStringLiteral(".stderr.log"), QIODevice::Append);
        m_process.start();
        if (!m_process.waitForStarted(timeoutMs))
            return false;
        static const QRegularExpression line(
            QStringLiteral("^LISTENING ([0-9.]+):([0-9]+) fingerprint=([0-9A-F:]+)$"),
            QRegularExpression::MultilineOption);
        QElapsedTimer timer;
        timer.start();
        while (timer.elapsed() < timeoutMs) {
            if (m_process.state() != QProcess::Running)
                return false;
            m_process.waitForReadyRead(100);
            m_stdout += QString::fromUtf8(m_process.readAllStandardOutput());
            const auto match = line.match(m_stdout);
            if (match.hasMatch()) {
                m_port = quint16(match.captured(2).toUInt());
                m_fingerprint = match.captured(3);
                return m_port != 0;
            }
        }
        return false;
    }

    // SIGTERM, then waits for a clean exit. True when it exited with status 0.
    bool terminate(int timeoutMs = 20000)
    {
        if (m_process.state() == QProcess::NotRunning)
            return false;
        m_process.terminate();
        if (!m_process.waitForFinished(timeoutMs)) {
            kill();
            return false;
        }
        return m_process.exitStatus() == QProcess::NormalExit && m_process.exitCode() == 0;
    }

    // SIGKILL: a crash, nothing flushed by the process itself.
    void kill()
    {
        if (m_process.state() == QProcess::NotRunning)
            return;
        m_process.kill();
        m_process.waitForFinished(20000);
    }

    bool isRunning() const { return m_process.state() == QProcess::Running; }
    quint16 port() const { return m_port; }
    QString fingerprint() const { return m_fingerprint; }
    QString stderrLog() const { return m_dataDir + QStringLiteral(".stderr.log"); }

private:
    QString m_dataDir;
    QProcess m_process;
    QString m_stdout;
    quint16 m_port = 0;
    QString m_fingerprint;
};

} // namespace metatopia::test
