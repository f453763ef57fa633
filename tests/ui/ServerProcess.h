// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

// A real metatopia-server child process on loopback for the UI tests: started with a temporary
// data dir and port 0 (or a given port, to restart on the same one), ready once it printed its
// "LISTENING <address>:<port> fingerprint=<sha256>" line.

#include <QElapsedTimer>
#include <QProcess>
#include <QRegularExpression>
#include <QStringList>
#include <QTest>

namespace metatopia::test {

class ServerProcess
{
public:
    explicit ServerProcess(QString dataDir)
        : m_dataDir(std::move(dataDir))
    {
        m_process.setProgram(QStringLiteral(METATOPIA_BIN_DIR "/metatopia-server"));
        m_process.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        QObject::connect(&m_process, &QProcess::readyReadStandardOutput, &m_process,
            [this] { m_output += m_process.readAllStandardOutput(); });
    }
    ~ServerProcess() { stop(); }
    ServerProcess(const ServerProcess &) = delete;
    ServerProcess &operator=(const ServerProcess &) = delete;

    // Starts the server and waits (bounded by timeoutMs) for its LISTENING line. Port 0 picks a
    // free port; the test server answers wrong passwords at once and has no rate limit.
    bool start(quint16 port = 0, int timeoutMs = 30000)
    {
        m_output.clear();
        m_port = 0;
        m_process.setArguments({ QStringLiteral("--data-dir"), m_dataDir, QStringLiteral("--port"),
            QString::number(port), QStringLiteral("--wrong-password-delay"), QStringLiteral("0"),
            QStringLiteral("--rate-limit"), QStringLiteral("0"), QStringLiteral("--name"),
            QStringLiteral("ui-test") });
        m_process.start();
        if (!m_process.waitForStarted(timeoutMs))
            return false;
        static const QRegularExpression listening(
            QStringLiteral("^LISTENING (\\S+):(\\d+)"), QRegularExpression::MultilineOption);
        QElapsedTimer timer;
        timer.start();
        while (timer.elapsed() < timeoutMs && m_process.state() == QProcess::Running) {
            const QRegularExpressionMatch match = listening.match(QString::fromUtf8(m_output));
            if (match.hasMatch()) {
                m_port = quint16(match.captured(2).toUInt());
                return m_port != 0;
            }
            // Runs the event loop so the output arrives; returns as soon as it does.
            m_process.waitForReadyRead(100);
        }
        return false;
    }

    // Terminates the server (SIGTERM: it shuts down cleanly) and waits for it.
    void stop()
    {
        if (m_process.state() == QProcess::NotRunning)
            return;
        m_process.terminate();
        if (!m_process.waitForFinished(10000)) {
            m_process.kill();
            m_process.waitForFinished(5000);
        }
    }

    quint16 port() const { return m_port; }

private:
    QString m_dataDir;
    QProcess m_process;
    QByteArray m_output;
    quint16 m_port = 0;
};

} // namespace metatopia::test
