// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "ReplicaProcess.h"

#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QDir>
#include <QHostAddress>

namespace metatopia::cluster::test {

ReplicaProcess::ReplicaProcess(ReplicaOptions options, QObject *parent)
    : QObject(parent)
    , m_options(std::move(options))
{
    m_process.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    connect(&m_control, &QTcpSocket::readyRead, this, &ReplicaProcess::readControl);
}

ReplicaProcess::~ReplicaProcess()
{
    if (m_process.state() != QProcess::NotRunning) {
        m_process.kill();
        m_process.waitForFinished(5000);
    }
}

QString ReplicaProcess::executable()
{
    // Next to the test binaries' sibling bin/ dir (METATOPIA_BIN_DIR), or next to this executable.
    const QString fromApp
        = QCoreApplication::applicationDirPath() + QStringLiteral("/../bin/cluster_test_replica");
    return QDir::cleanPath(fromApp);
}

bool ReplicaProcess::start(int timeoutMs)
{
    QStringList args { QStringLiteral("--id"), QString::number(m_options.id),
        QStringLiteral("--raft"), m_options.raftAddress, QStringLiteral("--data"),
        m_options.dataDir };
    if (!m_options.peers.isEmpty())
        args << QStringLiteral("--peers") << m_options.peers;
    args << m_options.extraArgs;
    m_buffer.clear();
    m_replies.clear();
    m_process.start(executable(), args);
    if (!m_process.waitForStarted(timeoutMs))
        return false;
    QDeadlineTimer deadline(timeoutMs);
    QByteArray out;
    quint16 port = 0;
    while (port == 0 && !deadline.hasExpired() && m_process.state() == QProcess::Running) {
        if (!m_process.canReadLine() && !m_process.waitForReadyRead(int(deadline.remainingTime())))
            continue;
        while (m_process.canReadLine()) {
            const QByteArray line = m_process.readLine().trimmed();
            if (line.startsWith("READY control="))
                port = quint16(line.mid(14).toUInt());
        }
    }
    if (port == 0)
        return false;
    m_control.abort();
    m_control.connectToHost(QHostAddress::LocalHost, port);
    return m_control.waitForConnected(int(qMax<qint64>(1000, deadline.remainingTime())));
}

void ReplicaProcess::kill9()
{
    m_process.kill(); // SIGKILL
    m_process.waitForFinished(5000);
    m_control.abort();
}

bool ReplicaProcess::quit(int timeoutMs)
{
    send("quit");
    if (!m_process.waitForFinished(timeoutMs))
        return false;
    m_control.abort();
    return m_process.exitStatus() == QProcess::NormalExit && m_process.exitCode() == 0;
}

bool ReplicaProcess::isRunning() const
{
    return m_process.state() == QProcess::Running;
}

void ReplicaProcess::send(const QByteArray &line)
{
    if (m_control.state() == QAbstractSocket::ConnectedState) {
        m_control.write(line + '\n');
        // Write now: callers often block next (waitForFinished) without running the event loop.
        m_control.flush();
    }
}

void ReplicaProcess::propose(quint64 clientId, quint64 seq, const QByteArray &payload)
{
    send("propose " + QByteArray::number(clientId) + ' ' + QByteArray::number(seq) + ' ' + payload);
}

void ReplicaProcess::readControl()
{
    m_buffer.append(m_control.readAll());
    qsizetype newline;
    while ((newline = m_buffer.indexOf('\n')) >= 0) {
        const QByteArray line = m_buffer.left(newline);
        m_buffer.remove(0, newline + 1);
        const QList<QByteArray> words = line.split(' ');
        if (words.value(0) == "ack" && words.size() >= 4) {
            emit acked(words[1].toULongLong(), words[2].toULongLong(), words[3].toULongLong());
        } else if (words.value(0) == "nack" && words.size() >= 3) {
            emit nacked(words[1].toULongLong(), words[2].toULongLong(), words.mid(3).join(' '));
        } else {
            m_replies.push_back(line);
        }
    }
}

std::optional<QByteArray> ReplicaProcess::request(const QByteArray &line, int timeoutMs)
{
    if (m_control.state() != QAbstractSocket::ConnectedState)
        return std::nullopt;
    m_replies.clear();
    send(line);
    QDeadlineTimer deadline(timeoutMs);
    while (m_replies.empty() && !deadline.hasExpired()
        && m_control.state() == QAbstractSocket::ConnectedState) {
        if (m_control.waitForReadyRead(int(qMax<qint64>(1, deadline.remainingTime()))))
            readControl();
    }
    if (m_replies.empty())
        return std::nullopt;
    QByteArray reply = m_replies.front();
    m_replies.pop_front();
    return reply;
}

QMap<QString, QString> ReplicaProcess::status(int timeoutMs)
{
    QMap<QString, QString> fields;
    const auto reply = request("status", timeoutMs);
    if (!reply || !reply->startsWith("status "))
        return fields;
    for (const QByteArray &word : reply->mid(7).split(' ')) {
        const qsizetype eq = word.indexOf('=');
        if (eq > 0)
            fields.insert(QString::fromUtf8(word.left(eq)), QString::fromUtf8(word.mid(eq + 1)));
    }
    return fields;
}

std::optional<std::vector<ActionKey>> ReplicaProcess::list(int timeoutMs)
{
    const auto reply = request("list", timeoutMs);
    if (!reply || !reply->startsWith("list "))
        return std::nullopt;
    const QList<QByteArray> words = reply->split(' ');
    std::vector<ActionKey> keys;
    for (qsizetype i = 2; i < words.size(); ++i) {
        const qsizetype colon = words[i].indexOf(':');
        if (colon < 0)
            return std::nullopt;
        keys.push_back(
            { words[i].left(colon).toULongLong(), words[i].mid(colon + 1).toULongLong() });
    }
    if (keys.size() != words.value(1).toULongLong())
        return std::nullopt;
    return keys;
}

} // namespace metatopia::cluster::test

namespace metatopia::cluster::test {

std::optional<std::map<quint64, quint64>> ReplicaProcess::hashes(int timeoutMs)
{
    const auto reply = request("hashes", timeoutMs);
    if (!reply || !reply->startsWith("hashes "))
        return std::nullopt;
    const QList<QByteArray> words = reply->split(' ');
    std::map<quint64, quint64> out;
    for (qsizetype i = 2; i < words.size(); ++i) {
        const qsizetype colon = words[i].indexOf(':');
        if (colon < 0)
            return std::nullopt;
        out[words[i].left(colon).toULongLong()] = words[i].mid(colon + 1).toULongLong(nullptr, 16);
    }
    if (out.size() != words.value(1).toULongLong())
        return std::nullopt;
    return out;
}

} // namespace metatopia::cluster::test
