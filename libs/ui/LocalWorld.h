// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include "ui/ProcessLog.h"

#include <QObject>
#include <QProcess>
#include <QRegularExpression>
#include <QString>
#include <QStringList>
#include <QTimer>

#include <memory>
#include <vector>

namespace metatopia {

// One metatopia-server child of the manager. It counts as running once it printed its ready line
// on stdout (waited for on the output, bounded by a timeout, never by sleeping); everything it
// writes (stderr logs and stdout) goes line by line into a ProcessLog, with the manager's own
// notes ("started", "killed") in between.
class ManagedProcess final : public QObject
{
    Q_OBJECT
    Q_PROPERTY(QString name READ name CONSTANT)
    Q_PROPERTY(State state READ state NOTIFY stateChanged)
    Q_PROPERTY(QString stateName READ stateName NOTIFY stateChanged)
    Q_PROPERTY(QString exitNote READ exitNote NOTIFY stateChanged)
    Q_PROPERTY(ProcessLog *log READ log CONSTANT)
public:
    enum class State
    {
        Stopped, // never started, stopped on request, or killed on request
        Starting, // waiting for the ready line
        Running,
        Stopping, // SIGTERM sent
        Crashed, // exited without being asked to, or never became ready
    };
    Q_ENUM(State)

    ManagedProcess(QString name, QString program, QStringList arguments,
        QRegularExpression readyLine, int readyTimeoutMs, QObject *parent = nullptr);
    ~ManagedProcess() override;

    QString name() const { return m_name; }
    State state() const { return m_state; }
    QString stateName() const;
    QString exitNote() const { return m_exitNote; }
    ProcessLog *log() const { return m_log; }
    QStringList arguments() const { return m_arguments; }
    qint64 pid() const { return m_process.processId(); }
    // The ready line's captures (index 0: the whole line); empty until it was seen.
    QStringList readyCaptures() const { return m_captures; }
    bool isRunning() const { return m_state == State::Running; }
    bool isActive() const { return m_state == State::Starting || m_state == State::Running; }

    void start();
    // SIGTERM: the server shuts down cleanly.
    void terminate();
    // SIGKILL: a crash as far as the cluster can tell.
    void kill();
    // Stops (SIGTERM) if needed and starts again once it has exited.
    void restart();
    // Blocks until the process exited, at most timeoutMs; SIGKILL after that. For shutdown.
    void stopAndWait(int timeoutMs);

signals:
    void stateChanged();
    void ready();
    void failed(const QString &reason);

private:
    void setState(State state);
    void onReadyReadStdout();
    void onReadyReadStderr();
    void onFinished(int exitCode, QProcess::ExitStatus status);
    void onErrorOccurred(QProcess::ProcessError error);
    void takeLines(QByteArray &buffer, const QByteArray &incoming, bool stdoutChannel);
    void note(const QString &text);

    QString m_name;
    QString m_program;
    QStringList m_arguments;
    QRegularExpression m_readyLine;
    int m_readyTimeoutMs;
    QProcess m_process;
    QTimer m_readyTimer;
    // Parented, not a unique_ptr: QML takes ownership of parentless objects returned to it.
    ProcessLog *m_log;
    QByteArray m_stdout;
    QByteArray m_stderr;
    QStringList m_captures;
    State m_state = State::Stopped;
    QString m_exitNote;
    bool m_stopRequested = false;
    bool m_restartPending = false;
};

struct LocalWorldOptions
{
    QString worldDir; // empty: defaultWorldDir()
    QString serverBinary; // path of metatopia-server
    int replicas = 3; // odd, 1..7
    // chat on basePort, replica i (1-based) serves clients on basePort + i and raft on
    // basePort + 10 + i: all on 127.0.0.1.
    quint16 basePort = 7777;
    int tickRateHz = 45;
    quint64 clusterId = 1;
    int readyTimeoutMs = 30000;
    // A new world gets the example objects (WorldSeeder) once it is up; tests that count
    // objects start empty.
    bool seedExamples = true;
};

// A whole world on this machine, supervised by the manager: the chat server and the N replicas of
// one lockstep sim as metatopia-server child processes, with their data under one world dir:
//   <world>/world.ini   replicas, base port and cluster id of this world (they win over the
//                       options on a later start, so the replicas find their raft peers again)
//   <world>/chat/       chat server data
//   <world>/sim-<i>/    replica i's raft log, snapshots and TLS identity
// Starting again on the same dir reuses everything: the replicas rejoin from their raft data.
// Destroying the LocalWorld stops every child with SIGTERM (SIGKILL if one hangs).
class LocalWorld final : public QObject
{
    Q_OBJECT
public:
    static constexpr int MaxReplicas = 7;

    explicit LocalWorld(LocalWorldOptions options, QObject *parent = nullptr);
    ~LocalWorld() override;

    // ~/.local/share/metatopia/world
    static QString defaultWorldDir();
    // metatopia-server in binDir (empty: next to the running executable).
    static QString serverBinaryIn(const QString &binDir = {});

    // Prepares the dirs and starts every process; started() once all printed their ready line,
    // failed() if one could not start. False (with error) when the options are unusable.
    bool start(QString *error = nullptr);
    // SIGTERM to every child; blocks until they exited (bounded).
    void stop(int timeoutMs = 15000);

    const LocalWorldOptions &options() const { return m_options; }
    QString worldDir() const { return m_options.worldDir; }
    int replicaCount() const { return m_options.replicas; }
    quint16 chatPort() const { return m_options.basePort; }
    quint16 clientPort(int replica) const; // 1-based replica id
    quint16 raftPort(int replica) const;
    QString peersArgument() const;
    QString pinFile() const; // where the manager keeps the replicas' certificate pins
    QString chatDataDir() const; // the chat server's data dir (its accounts database is there)
    QString settingsFile() const; // world.ini: ports, replicas, the admin rule
    // Notes from start(), e.g. that world.ini overrode the options.
    QStringList notes() const { return m_notes; }

    ManagedProcess *chat() const { return m_chat.get(); }
    ManagedProcess *replica(int replica) const; // 1-based; nullptr if out of range
    // chat first, then the replicas in id order.
    QList<ManagedProcess *> processes() const;
    bool allRunning() const;

    void killReplica(int replica);
    void stopReplica(int replica);
    void restartReplica(int replica);
    void startReplica(int replica);

signals:
    void started();
    void failed(const QString &reason);
    void processStateChanged(ManagedProcess *process);

private:
    bool loadWorldConfig(QString *error);
    std::unique_ptr<ManagedProcess> makeReplica(int id);
    void checkAllRunning();

    LocalWorldOptions m_options;
    QStringList m_notes;
    std::unique_ptr<ManagedProcess> m_chat;
    std::vector<std::unique_ptr<ManagedProcess>> m_replicas;
    bool m_startedEmitted = false;
};

} // namespace metatopia
