// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

// A real metatopia-server (chat role) child process for multi-process tests and benchmarks:
// started with a data dir and a port (0 = ephemeral), ready once it printed its
// "LISTENING <address>:<port> fingerprint=<sha256>" line. Its stderr goes to <dataDir>.stderr.log
// so a failing test can point at it.

#include <QElapsedTimer>
#include <QProcess>
#include <QRegularExpression>
#include <QString>
#include <QStringList>

namespace metatopia::test {

class ServerProcess
{
public:
    // baseArgs are passed on every start (e.g. "--rate-limit 0" for a whole test class).
    explicit ServerProcess(QString dataDir, QStringList baseArgs = {})
        : m_dataDir(std::move(dataDir))
        , m_baseArgs(std::move(baseArgs))
    { }
    ~ServerProcess() { terminate(10000); }
    ServerProcess(const ServerProcess &) = delete;
    ServerProcess &operator=(const ServerProcess &) = delete;

    // Starts the server and waits (bounded) for its LISTENING line. Restarting on the same data
    // dir and port is how tests simulate an operator restart.
    bool start(quint16 port = 0, const QStringList &extraArgs = {}, int timeoutMs = 30000)
    {
        m_stdout.clear();
        m_port = 0;
        m_process.setProgram(QStringLiteral(METATOPIA_BIN_DIR "/metatopia-server"));
        m_process.setArguments(QStringList { QStringLiteral("--role"), QStringLiteral("chat"),
                                   QStringLiteral("--data-dir"), m_dataDir,
                                   QStringLiteral("--listen"), QStringLiteral("127.0.0.1"),
                                   QStringLiteral("--port"), QString::number(port),
                                   QStringLiteral("--name"), QStringLiteral("test-server") }
            + m_baseArgs + extraArgs);
        m_process.setProcessChannelMode(QProcess::SeparateChannels);
        m_process.setStandardErrorFile(stderrLog(), QIODevice::Append);
        m_process.start();
        if (!m_process.waitForStarted(timeoutMs))
            return false;
        static const QRegularExpression line(
            QStringLiteral("^LISTENING ([0-9.]+):([0-9]+) fingerprint=([0-9A-F:]+)$"),
            QRegularExpression::MultilineOption);
        QElapsedTimer timer;
        timer.start();
        while (timer.elapsed() < timeoutMs && m_process.state() == QProcess::Running) {
            // Returns as soon as output arrives; the 100 ms only bounds a silent child.
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

    // SIGTERM, then waits for a clean exit (SIGKILL after timeoutMs). True when it exited with
    // status 0.
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
    QStringList m_baseArgs;
    QProcess m_process;
    QString m_stdout;
    quint16 m_port = 0;
    QString m_fingerprint;
};

} // namespace metatopia::test
