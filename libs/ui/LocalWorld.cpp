// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "ui/LocalWorld.h"

#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QDir>
#include <QFileInfo>
#include <QSettings>
#include <QStandardPaths>

#include <algorithm>
#include <csignal>
#include <sys/prctl.h>

namespace metatopia {

namespace {

// The servers' own lines (tests/support/ServerProcess.h and SimReplica's runSimReplica).
const QRegularExpression chatReady(
    QStringLiteral("^LISTENING ([0-9.]+):([0-9]+) fingerprint=([0-9A-Fa-f:]+)$"));
const QRegularExpression simReady(QStringLiteral("^READY client=([0-9]+) raft=(\\S+)$"));

} // namespace

ManagedProcess::ManagedProcess(QString name, QString program, QStringList arguments,
    QRegularExpression readyLine, int readyTimeoutMs, QObject *parent)
    : QObject(parent)
    , m_name(std::move(name))
    , m_program(std::move(program))
    , m_arguments(std::move(arguments))
    , m_readyLine(std::move(readyLine))
    , m_readyTimeoutMs(readyTimeoutMs)
    , m_log(new ProcessLog(500, this))
{
    m_process.setProcessChannelMode(QProcess::SeparateChannels);
    // A world must not outlive its manager: if the manager crashes or is killed, its servers
    // would keep ticking (and holding their ports) with nobody watching them.
    m_process.setChildProcessModifier([] { ::prctl(PR_SET_PDEATHSIG, SIGKILL); });
    m_readyTimer.setSingleShot(true);
    connect(&m_readyTimer, &QTimer::timeout, this, [this] {
        if (m_state != State::Starting)
            return;
        const QString reason = QStringLiteral("%1 printed no ready line within %2 ms")
                                   .arg(m_name)
                                   .arg(m_readyTimeoutMs);
        note(reason);
        m_exitNote = reason;
        m_stopRequested = false;
        m_process.kill();
        setState(State::Crashed);
        emit failed(reason);
    });
    connect(
        &m_process, &QProcess::readyReadStandardOutput, this, &ManagedProcess::onReadyReadStdout);
    connect(
        &m_process, &QProcess::readyReadStandardError, this, &ManagedProcess::onReadyReadStderr);
    connect(&m_process, &QProcess::finished, this, &ManagedProcess::onFinished);
    connect(&m_process, &QProcess::errorOccurred, this, &ManagedProcess::onErrorOccurred);
}

ManagedProcess::~ManagedProcess()
{
    // Nothing may outlive the manager unnoticed: a clean stop first, a kill if it hangs.
    m_process.disconnect(this);
    stopAndWait(10000);
}

QString ManagedProcess::stateName() const
{
    switch (m_state) {
    case State::Stopped:
        return QStringLiteral("stopped");
    case State::Starting:
        return QStringLiteral("starting");
    case State::Running:
        return QStringLiteral("running");
    case State::Stopping:
        return QStringLiteral("stopping");
    case State::Crashed:
        return QStringLiteral("crashed");
    }
    return {};
}

void ManagedProcess::start()
{
    if (m_process.state() != QProcess::NotRunning) {
        return;
    }
    m_stdout.clear();
    m_stderr.clear();
    m_captures.clear();
    m_exitNote.clear();
    m_stopRequested = false;
    m_restartPending = false;
    note(QStringLiteral("starting %1 %2").arg(m_program, m_arguments.join(QLatin1Char(' '))));
    setState(State::Starting);
    m_readyTimer.start(m_readyTimeoutMs);
    m_process.start(m_program, m_arguments);
}

void ManagedProcess::terminate()
{
    if (m_process.state() == QProcess::NotRunning)
        return;
    m_stopRequested = true;
    note(QStringLiteral("sending SIGTERM"));
    setState(State::Stopping);
    m_process.terminate();
}

void ManagedProcess::kill()
{
    if (m_process.state() == QProcess::NotRunning)
        return;
    m_stopRequested = true;
    m_restartPending = false;
    note(QStringLiteral("sending SIGKILL"));
    m_process.kill();
}

void ManagedProcess::restart()
{
    if (m_process.state() == QProcess::NotRunning) {
        start();
        return;
    }
    terminate();
    m_restartPending = true;
}

void ManagedProcess::stopAndWait(int timeoutMs)
{
    m_restartPending = false;
    if (m_process.state() == QProcess::NotRunning)
        return;
    if (m_process.state() == QProcess::Starting)
        m_process.waitForStarted(timeoutMs);
    m_stopRequested = true;
    m_process.terminate();
    if (!m_process.waitForFinished(timeoutMs)) {
        m_process.kill();
        m_process.waitForFinished(timeoutMs);
    }
}

void ManagedProcess::setState(State state)
{
    if (m_state == state)
        return;
    m_state = state;
    emit stateChanged();
}

void ManagedProcess::onReadyReadStdout()
{
    takeLines(m_stdout, m_process.readAllStandardOutput(), true);
}

void ManagedProcess::onReadyReadStderr()
{
    takeLines(m_stderr, m_process.readAllStandardError(), false);
}

void ManagedProcess::takeLines(QByteArray &buffer, const QByteArray &incoming, bool stdoutChannel)
{
    buffer += incoming;
    for (qsizetype end = buffer.indexOf('\n'); end >= 0; end = buffer.indexOf('\n')) {
        const QString line = QString::fromUtf8(buffer.left(end)).trimmed();
        buffer.remove(0, end + 1);
        m_log->append(line);
        if (!stdoutChannel || m_state != State::Starting)
            continue;
        const QRegularExpressionMatch match = m_readyLine.match(line);
        if (match.hasMatch()) {
            m_captures = match.capturedTexts();
            m_readyTimer.stop();
            setState(State::Running);
            emit ready();
        }
    }
    // A line never ends: keep the buffer bounded, the log gets what there is.
    if (buffer.size() > 64 * 1024) {
        m_log->append(QString::fromUtf8(buffer));
        buffer.clear();
    }
}

void ManagedProcess::onFinished(int exitCode, QProcess::ExitStatus status)
{
    m_readyTimer.stop();
    onReadyReadStdout();
    onReadyReadStderr();
    if (status == QProcess::CrashExit)
        m_exitNote = QStringLiteral("killed by a signal");
    else
        m_exitNote = QStringLiteral("exited with code %1").arg(exitCode);
    note(m_exitNote);
    const bool expected = m_stopRequested;
    m_stopRequested = false;
    if (m_state == State::Crashed) // already reported (no ready line in time)
        return;
    setState(expected ? State::Stopped : State::Crashed);
    if (!expected)
        emit failed(QStringLiteral("%1 %2").arg(m_name, m_exitNote));
    if (m_restartPending) {
        m_restartPending = false;
        start();
    }
}

void ManagedProcess::onErrorOccurred(QProcess::ProcessError error)
{
    if (error != QProcess::FailedToStart)
        return;
    m_readyTimer.stop();
    m_exitNote = QStringLiteral("cannot run %1: %2").arg(m_program, m_process.errorString());
    note(m_exitNote);
    setState(State::Crashed);
    emit failed(m_exitNote);
}

void ManagedProcess::note(const QString &text)
{
    m_log->append(QStringLiteral("[manager] ") + text);
}

LocalWorld::LocalWorld(LocalWorldOptions options, QObject *parent)
    : QObject(parent)
    , m_options(std::move(options))
{
    if (m_options.worldDir.isEmpty())
        m_options.worldDir = defaultWorldDir();
}

LocalWorld::~LocalWorld()
{
    stop();
}

QString LocalWorld::defaultWorldDir()
{
    return QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation)
        + QStringLiteral("/metatopia/world");
}

QString LocalWorld::serverBinaryIn(const QString &binDir)
{
    const QString dir = binDir.isEmpty() ? QCoreApplication::applicationDirPath() : binDir;
    return QDir(dir).filePath(QStringLiteral("metatopia-server"));
}

quint16 LocalWorld::clientPort(int replica) const
{
    return quint16(m_options.basePort + replica);
}

quint16 LocalWorld::raftPort(int replica) const
{
    return quint16(m_options.basePort + 10 + replica);
}

QString LocalWorld::peersArgument() const
{
    QStringList peers;
    for (int id = 1; id <= m_options.replicas; ++id) {
        peers << QStringLiteral("%1=127.0.0.1:%2/127.0.0.1:%3")
                     .arg(id)
                     .arg(raftPort(id))
                     .arg(clientPort(id));
    }
    return peers.join(QLatin1Char(','));
}

QString LocalWorld::pinFile() const
{
    return QDir(m_options.worldDir).filePath(QStringLiteral("manager-pins.txt"));
}

QString LocalWorld::chatDataDir() const
{
    return QDir(m_options.worldDir).filePath(QStringLiteral("chat"));
}

QString LocalWorld::settingsFile() const
{
    return QDir(m_options.worldDir).filePath(QStringLiteral("world.ini"));
}

ManagedProcess *LocalWorld::replica(int replica) const
{
    if (replica < 1 || replica > int(m_replicas.size()))
        return nullptr;
    return m_replicas[size_t(replica - 1)].get();
}

QList<ManagedProcess *> LocalWorld::processes() const
{
    QList<ManagedProcess *> out;
    if (m_chat)
        out << m_chat.get();
    for (const auto &replica : m_replicas)
        out << replica.get();
    return out;
}

bool LocalWorld::allRunning() const
{
    const QList<ManagedProcess *> all = processes();
    return !all.isEmpty()
        && std::all_of(all.cbegin(), all.cend(), [](ManagedProcess *p) { return p->isRunning(); });
}

bool LocalWorld::loadWorldConfig(QString *error)
{
    // The first start of a world fixes its shape: the replicas' raft data names their peers by
    // these ports, so a later start with other options keeps the recorded ones.
    QSettings ini(settingsFile(), QSettings::IniFormat);
    if (ini.contains(QStringLiteral("replicas"))) {
        const int replicas = ini.value(QStringLiteral("replicas")).toInt();
        const int basePort = ini.value(QStringLiteral("basePort")).toInt();
        const quint64 cluster = ini.value(QStringLiteral("cluster")).toULongLong();
        if (replicas != m_options.replicas || basePort != m_options.basePort
            || cluster != m_options.clusterId) {
            m_notes << QStringLiteral("%1 was created with %2 replicas on base port %3 "
                                      "(cluster %4): using those")
                           .arg(m_options.worldDir)
                           .arg(replicas)
                           .arg(basePort)
                           .arg(cluster);
        }
        m_options.replicas = replicas;
        m_options.basePort = quint16(basePort);
        m_options.clusterId = cluster;
    }
    if (m_options.replicas < 1 || m_options.replicas > MaxReplicas || m_options.replicas % 2 == 0) {
        *error = QStringLiteral("the number of replicas must be odd, between 1 and %1 (is %2)")
                     .arg(MaxReplicas)
                     .arg(m_options.replicas);
        return false;
    }
    if (m_options.basePort < 1024 || int(m_options.basePort) + 10 + MaxReplicas > 65535) {
        *error = QStringLiteral("base port %1 is out of range (1024..%2)")
                     .arg(m_options.basePort)
                     .arg(65535 - 10 - MaxReplicas);
        return false;
    }
    if (m_options.clusterId == 0) {
        *error = QStringLiteral("the cluster id must not be 0");
        return false;
    }
    ini.setValue(QStringLiteral("replicas"), m_options.replicas);
    ini.setValue(QStringLiteral("basePort"), m_options.basePort);
    ini.setValue(QStringLiteral("cluster"), m_options.clusterId);
    ini.sync();
    if (ini.status() != QSettings::NoError) {
        *error = QStringLiteral("cannot write %1").arg(ini.fileName());
        return false;
    }
    return true;
}

std::unique_ptr<ManagedProcess> LocalWorld::makeReplica(int id)
{
    const QString dir = QDir(m_options.worldDir).filePath(QStringLiteral("sim-%1").arg(id));
    auto process = std::make_unique<ManagedProcess>(QStringLiteral("sim-%1").arg(id),
        m_options.serverBinary,
        QStringList { QStringLiteral("--role"), QStringLiteral("sim"), QStringLiteral("--cluster"),
            QString::number(m_options.clusterId), QStringLiteral("--id"), QString::number(id),
            QStringLiteral("--data-dir"), dir, QStringLiteral("--tick-rate"),
            QString::number(m_options.tickRateHz), QStringLiteral("--peers"), peersArgument() },
        simReady, m_options.readyTimeoutMs);
    return process;
}

bool LocalWorld::start(QString *error)
{
    QString failure;
    const auto fail = [&](const QString &text) {
        if (error)
            *error = text;
        return false;
    };
    if (!m_replicas.empty() || m_chat)
        return fail(QStringLiteral("the world is already started"));
    if (!QFileInfo(m_options.serverBinary).isExecutable())
        return fail(QStringLiteral("%1 is not an executable").arg(m_options.serverBinary));
    if (!QDir().mkpath(m_options.worldDir))
        return fail(QStringLiteral("cannot create %1").arg(m_options.worldDir));
    if (!loadWorldConfig(&failure))
        return fail(failure);
    const QDir world(m_options.worldDir);
    for (int id = 1; id <= m_options.replicas; ++id) {
        if (!QDir().mkpath(world.filePath(QStringLiteral("sim-%1").arg(id))))
            return fail(QStringLiteral("cannot create the data dirs in %1").arg(world.path()));
    }

    m_chat = std::make_unique<ManagedProcess>(QStringLiteral("chat"), m_options.serverBinary,
        QStringList { QStringLiteral("--role"), QStringLiteral("chat"),
            QStringLiteral("--data-dir"), chatDataDir(), QStringLiteral("--listen"),
            QStringLiteral("127.0.0.1"), QStringLiteral("--port"), QString::number(chatPort()),
            QStringLiteral("--name"), QStringLiteral("Metatopia local world") },
        chatReady, m_options.readyTimeoutMs);
    for (int id = 1; id <= m_options.replicas; ++id)
        m_replicas.push_back(makeReplica(id));

    m_startedEmitted = false;
    for (ManagedProcess *process : processes()) {
        connect(process, &ManagedProcess::ready, this, &LocalWorld::checkAllRunning);
        connect(process, &ManagedProcess::stateChanged, this,
            [this, process] { emit processStateChanged(process); });
        connect(process, &ManagedProcess::failed, this, [this](const QString &reason) {
            if (!m_startedEmitted)
                emit failed(reason);
        });
        process->start();
    }
    return true;
}

void LocalWorld::checkAllRunning()
{
    if (!m_startedEmitted && allRunning()) {
        m_startedEmitted = true;
        emit started();
    }
}

void LocalWorld::stop(int timeoutMs)
{
    // SIGTERM to all first so they shut down in parallel, then wait for each.
    const QList<ManagedProcess *> all = processes();
    for (ManagedProcess *process : all)
        process->terminate();
    QDeadlineTimer deadline(timeoutMs);
    for (ManagedProcess *process : all)
        process->stopAndWait(int(qMax<qint64>(1000, deadline.remainingTime())));
}

void LocalWorld::killReplica(int id)
{
    if (ManagedProcess *process = replica(id))
        process->kill();
}

void LocalWorld::stopReplica(int id)
{
    if (ManagedProcess *process = replica(id))
        process->terminate();
}

void LocalWorld::restartReplica(int id)
{
    if (ManagedProcess *process = replica(id))
        process->restart();
}

void LocalWorld::startReplica(int id)
{
    if (ManagedProcess *process = replica(id))
        process->start();
}

} // namespace metatopia
