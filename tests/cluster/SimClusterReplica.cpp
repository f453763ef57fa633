// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// sim_cluster_test_replica: one SimReplica for the multi-process sim cluster tests, with the
// command line metatopia-server --role sim will get:
//   --id N --cluster C --raft host:port --client host:port --data DIR
//   --peers "1=raftHost:port/clientHost:port,2=..." [--join] [--tick-hz 45]
//   [--snapshot-threshold N] [--fault-tick N] [--subscriber-queue-bytes N] [--client-rate N]
//   [--cluster-token SECRET]
// Prints "READY client=<port> raft=<address>" once serving.

#include "cluster/SimReplica.h"

#include <QCommandLineParser>
#include <QCoreApplication>

#include <cstdio>

using namespace metatopia::cluster;

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    const QCommandLineOption id(
        QStringLiteral("id"), QStringLiteral("replica id"), QStringLiteral("n"));
    const QCommandLineOption cluster(QStringLiteral("cluster"), QStringLiteral("cluster id"),
        QStringLiteral("n"), QStringLiteral("1"));
    const QCommandLineOption raft(
        QStringLiteral("raft"), QStringLiteral("raft address"), QStringLiteral("a"));
    const QCommandLineOption client(
        QStringLiteral("client"), QStringLiteral("client address"), QStringLiteral("a"));
    const QCommandLineOption data(
        QStringLiteral("data"), QStringLiteral("data dir"), QStringLiteral("dir"));
    const QCommandLineOption peers(
        QStringLiteral("peers"), QStringLiteral("members"), QStringLiteral("list"));
    const QCommandLineOption join(QStringLiteral("join"), QStringLiteral("join a running cluster"));
    const QCommandLineOption tickHz(QStringLiteral("tick-hz"), QStringLiteral("ticks per second"),
        QStringLiteral("n"), QStringLiteral("45"));
    const QCommandLineOption snapshot(QStringLiteral("snapshot-threshold"),
        QStringLiteral("entries between snapshots"), QStringLiteral("n"), QStringLiteral("1024"));
    const QCommandLineOption fault(QStringLiteral("fault-tick"),
        QStringLiteral("test-only: perturb this replica at that tick"), QStringLiteral("n"),
        QStringLiteral("0"));
    const QCommandLineOption subscriberQueue(QStringLiteral("subscriber-queue-bytes"),
        QStringLiteral("unwritten state-stream bytes after which a subscriber is dropped"),
        QStringLiteral("n"), QString::number(SimReplicaOptions {}.subscriberMaxQueueBytes));
    const QCommandLineOption clientRate(QStringLiteral("client-rate"),
        QStringLiteral("client messages per second per connection"), QStringLiteral("n"),
        QString::number(SimReplicaOptions {}.clientMessagesPerSecond));
    const QCommandLineOption clusterToken(QStringLiteral("cluster-token"),
        QStringLiteral("shared secret for replica-to-replica and admin requests"),
        QStringLiteral("secret"));
    parser.addOptions({ id, cluster, raft, client, data, peers, join, tickHz, snapshot, fault,
        subscriberQueue, clientRate, clusterToken });
    parser.process(app);

    SimReplicaOptions options;
    options.id = parser.value(id).toULongLong();
    options.clusterId = parser.value(cluster).toULongLong();
    options.raftAddress = parser.value(raft);
    options.clientAddress = parser.value(client);
    options.dataDir = parser.value(data);
    options.join = parser.isSet(join);
    options.tickRateHz = parser.value(tickHz).toInt();
    options.snapshotThreshold = parser.value(snapshot).toUInt();
    options.snapshotTrailing = qMin(128u, options.snapshotThreshold / 2);
    options.faultAtTick = parser.value(fault).toULongLong();
    options.subscriberMaxQueueBytes = parser.value(subscriberQueue).toLongLong();
    options.clientMessagesPerSecond = parser.value(clientRate).toDouble();
    options.clusterToken = parser.value(clusterToken);
    QString error;
    const auto members = parseSimPeers(parser.value(peers), &error);
    if (!members || options.id == 0) {
        std::fprintf(stderr, "bad arguments: %s\n", qPrintable(error));
        return 2;
    }
    options.peers = *members;
    return runSimReplica(options);
}
