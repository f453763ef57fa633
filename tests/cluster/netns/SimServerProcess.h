// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

// Test and benchmark support: `metatopia-server --role sim` as a real child process, optionally
// inside a network namespace (`ip netns exec <ns> metatopia-server ...`). Its stderr goes to a
// log file so a failing test can show what the replica said.

#include <QProcess>
#include <QString>
#include <QStringList>

#include <memory>

namespace metatopia::cluster::test {

struct SimServerOptions
{
    QString executable; // default: METATOPIA_BIN_DIR/metatopia-server
    QString netns; // empty: run in the caller's namespace
    QStringList args; // everything after the binary
    QString logFile; // stderr is appended here; empty: forwarded to ours
};

class SimServerProcess
{
public:
    explicit SimServerProcess(SimServerOptions options);
    ~SimServerProcess(); // kills the process if it still runs

    static QString defaultExecutable();

    // Starts it and waits (bounded) for "READY client=<port> ..." on stdout.
    bool start(int timeoutMs = 20000, QString *error = nullptr);
    void kill9(); // SIGKILL and reap
    void terminate(int timeoutMs = 5000); // SIGTERM, then SIGKILL if it does not stop
    bool isRunning() const;
    qint64 pid() const;
    quint16 clientPort() const { return m_clientPort; }
    const SimServerOptions &options() const { return m_options; }
    SimServerOptions &options() { return m_options; }
    // The last lines of the log file (for failure messages).
    QString logTail(int lines = 20) const;

private:
    SimServerOptions m_options;
    std::unique_ptr<QProcess> m_process;
    quint16 m_clientPort = 0;
};

} // namespace metatopia::cluster::test
