// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include "cluster/ActionBatch.h"

#include <QByteArray>
#include <QMap>
#include <QObject>
#include <QProcess>
#include <QStringList>
#include <QTcpSocket>

#include <deque>
#include <map>
#include <optional>
#include <vector>

namespace metatopia::cluster::test {

struct ReplicaOptions
{
    quint64 id = 0;
    QString raftAddress;
    QString dataDir;
    QString peers; // "1=127.0.0.1:p1,2=..." for a new cluster; empty to join one
    QStringList extraArgs; // e.g. --election-ms 200
};

// One cluster_test_replica process, seen from a test or the benchmark: starts it, reads the
// control port it prints, and talks to it over the line protocol documented in
// ClusterTestReplica.cpp. Acks and nacks of proposals arrive as signals; other commands are
// request/response with a bounded wait.
class ReplicaProcess final : public QObject
{
    Q_OBJECT
public:
    explicit ReplicaProcess(ReplicaOptions options, QObject *parent = nullptr);
    ~ReplicaProcess() override;

    static QString executable();

    bool start(int timeoutMs = 15000);
    void kill9();
    bool quit(int timeoutMs = 15000); // graceful; true if the process exited with code 0
    bool isRunning() const;
    qint64 pid() const { return m_process.processId(); }
    const ReplicaOptions &options() const { return m_options; }

    void send(const QByteArray &line);
    void propose(quint64 clientId, quint64 seq, const QByteArray &payload);
    std::optional<QByteArray> request(const QByteArray &line, int timeoutMs = 5000);
    // key=value fields of a "status" reply; empty if the replica did not answer.
    QMap<QString, QString> status(int timeoutMs = 5000);
    std::optional<std::vector<ActionKey>> list(int timeoutMs = 10000);
    // Log index -> state hash after that batch, for the replica's recent batches.
    std::optional<std::map<quint64, quint64>> hashes(int timeoutMs = 10000);

signals:
    void acked(quint64 clientId, quint64 seq, quint64 index);
    void nacked(quint64 clientId, quint64 seq, const QByteArray &reason);

private:
    void readControl();

    ReplicaOptions m_options;
    QProcess m_process;
    QTcpSocket m_control;
    QByteArray m_buffer;
    std::deque<QByteArray> m_replies;
};

} // namespace metatopia::cluster::test
