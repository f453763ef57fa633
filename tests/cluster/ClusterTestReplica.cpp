// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// cluster_test_replica: one raft replica of a TestLedger for the multi-process cluster tests and
// bench_cluster (the real replica is `metatopia-server --role sim`). It prints
// "READY control=<port>" on stdout once raft runs, then serves line commands on 127.0.0.1:<port>:
//   propose <clientId> <seq> <payload>  -> later "ack <clientId> <seq> <index>" once committed
//                                          (index 0: was already committed), or
//                                          "nack <clientId> <seq> <reason> [leaderId
//                                          leaderAddress]"
//   status                              -> "status id=.. role=.. term=.. commit=.. applied=..
//   last=..
//                                           leader=.. voters=.. restores=.. accepted=.. dups=..
//                                           hash=.."
//   list                                -> "list <n> c:s c:s ..." (actions in applied order)
//   hashes                              -> "hashes <n> index:hash ..." (state hash after each
//   recent
//                                          batch, hex; what a replica publishes per tick)
//   add <id> <address> | remove <id>    -> "changed ok" | "changed err <reason>"
//   quit                                -> "bye", then a clean shutdown and exit code 0
// Unknown or malformed lines get "error ..." and the connection stays usable.

#include "TestLedger.h"
#include "cluster/BatchBuilder.h"
#include "cluster/RaftNode.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QPointer>
#include <QTcpServer>
#include <QTcpSocket>

#include <cstdio>
#include <map>

using namespace metatopia::cluster;
using metatopia::cluster::test::TestLedger;

namespace {

class Replica final : public QObject
{
public:
    Replica(RaftConfig config, size_t maxBatch, quint64 faultAtIndex)
        : m_config(std::move(config))
        , m_ledger(std::make_shared<TestLedger>())
        , m_node(m_ledger)
        , m_builder(maxBatch)
    {
        // Set before the raft thread exists, so no synchronisation is needed.
        m_ledger->setFaultAtIndex(faultAtIndex);
        connect(&m_node, &RaftNode::committed, this, &Replica::onCommitted);
        connect(&m_control, &QTcpServer::newConnection, this, &Replica::onConnection);
    }

    bool start()
    {
        QString error;
        if (!m_node.start(m_config, &error)) {
            std::fprintf(stderr, "replica %llu: %s\n", m_config.id, qPrintable(error));
            return false;
        }
        if (!m_control.listen(QHostAddress::LocalHost, 0)) {
            std::fprintf(stderr, "replica %llu: control listen failed\n", m_config.id);
            return false;
        }
        std::printf("READY control=%u\n", unsigned(m_control.serverPort()));
        std::fflush(stdout);
        return true;
    }

private:
    void onConnection()
    {
        while (QTcpSocket *socket = m_control.nextPendingConnection()) {
            socket->setParent(this);
            connect(socket, &QTcpSocket::readyRead, this, [this, socket] { onReadable(socket); });
            connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
        }
    }

    void onReadable(QTcpSocket *socket)
    {
        while (socket->canReadLine()) {
            const QByteArray line = socket->readLine().trimmed();
            handle(socket, line);
        }
        if (socket->bytesAvailable() > 64 * 1024) {
            socket->write("error line too long\n");
            socket->abort();
            return;
        }
        // Everything that arrived in this read goes into as few proposals as maxBatch allows.
        flush();
    }

    void handle(QTcpSocket *socket, const QByteArray &line)
    {
        const QList<QByteArray> words = line.split(' ');
        const QByteArray command = words.value(0);
        if (command == "propose" && words.size() >= 3) {
            bool okClient = false;
            bool okSeq = false;
            Action action;
            action.key.clientId = words[1].toULongLong(&okClient);
            action.key.seq = words[2].toULongLong(&okSeq);
            action.payload = words.mid(3).join(' ');
            if (!okClient || !okSeq) {
                socket->write("error bad propose\n");
                return;
            }
            offer(socket, action);
        } else if (command == "status") {
            writeStatus(socket);
        } else if (command == "list") {
            std::vector<ActionKey> order;
            m_node.callOnRaftThread([&] { order = m_ledger->order(); });
            QByteArray reply = "list " + QByteArray::number(qulonglong(order.size()));
            for (const ActionKey &key : order)
                reply += ' ' + QByteArray::number(key.clientId) + ':' + QByteArray::number(key.seq);
            socket->write(reply + '\n');
        } else if (command == "hashes") {
            std::map<quint64, quint64> history;
            m_node.callOnRaftThread([&] { history = m_ledger->hashHistory(); });
            QByteArray reply = "hashes " + QByteArray::number(qulonglong(history.size()));
            for (const auto &[index, hash] : history)
                reply += ' ' + QByteArray::number(index) + ':' + QByteArray::number(hash, 16);
            socket->write(reply + '\n');
        } else if ((command == "add" && words.size() == 3)
            || (command == "remove" && words.size() == 2)) {
            QPointer<QTcpSocket> client(socket);
            auto reply = [client](const ChangeResult &result) {
                if (client)
                    client->write(result.ok ? QByteArray("changed ok\n")
                                            : "changed err " + result.error.toUtf8() + '\n');
            };
            if (command == "add")
                m_node.addVoter(words[1].toULongLong(), QString::fromUtf8(words[2]), reply);
            else
                m_node.removeServer(words[1].toULongLong(), reply);
        } else if (command == "quit") {
            socket->write("bye\n");
            socket->flush();
            m_node.stop();
            QCoreApplication::exit(0);
        } else {
            socket->write("error unknown command\n");
        }
    }

    void offer(QTcpSocket *socket, const Action &action)
    {
        switch (m_builder.offer(action)) {
        case BatchBuilder::Offer::Queued:
        case BatchBuilder::Offer::AlreadyPending:
            m_waiters[action.key].push_back(socket);
            break;
        case BatchBuilder::Offer::AlreadyCommitted:
            socket->write(ackLine(action.key, 0));
            break;
        case BatchBuilder::Offer::Full:
            socket->write(nackLine(action.key, "busy"));
            break;
        }
    }

    void flush()
    {
        while (m_builder.hasQueued()) {
            const QByteArray batch = m_builder.takeBatch();
            m_node.propose(batch, [this, batch](const ProposeResult &result) {
                if (result.ok)
                    return; // acks go out from onCommitted, on every replica alike
                QByteArray reason = result.notLeader ? "notleader" : "failed";
                reason += ' ' + QByteArray::number(result.leaderId) + ' '
                    + (result.leaderAddress.isEmpty() ? QByteArray("-")
                                                      : result.leaderAddress.toUtf8());
                for (const ActionKey &key : m_builder.abandonBatch(batch))
                    reply(key, nackLine(key, reason));
            });
        }
    }

    void onCommitted(quint64 index, const QByteArray &batch)
    {
        for (const ActionKey &key : m_builder.noteCommitted(batch))
            reply(key, ackLine(key, index));
    }

    void reply(const ActionKey &key, const QByteArray &line)
    {
        const auto it = m_waiters.find(key);
        if (it == m_waiters.end())
            return;
        for (const QPointer<QTcpSocket> &socket : it->second) {
            if (socket)
                socket->write(line);
        }
        m_waiters.erase(it);
    }

    static QByteArray ackLine(const ActionKey &key, quint64 index)
    {
        return "ack " + QByteArray::number(key.clientId) + ' ' + QByteArray::number(key.seq) + ' '
            + QByteArray::number(index) + '\n';
    }

    static QByteArray nackLine(const ActionKey &key, const QByteArray &reason)
    {
        return "nack " + QByteArray::number(key.clientId) + ' ' + QByteArray::number(key.seq) + ' '
            + reason + '\n';
    }

    void writeStatus(QTcpSocket *socket)
    {
        const RaftStatus s = m_node.status();
        TestLedger::Summary summary;
        m_node.callOnRaftThread([&] { summary = m_ledger->summary(); });
        const QString line
            = QStringLiteral("status id=%1 role=%2 term=%3 commit=%4 applied=%5 last=%6 "
                             "leader=%7 voters=%8 restores=%9 accepted=%10 dups=%11 hash=%12\n")
                  .arg(s.id)
                  .arg(QString::fromLatin1(raftRoleName(s.role)))
                  .arg(s.term)
                  .arg(s.commitIndex)
                  .arg(s.appliedIndex)
                  .arg(s.lastIndex)
                  .arg(s.leaderId)
                  .arg(s.voters)
                  .arg(s.snapshotsRestored)
                  .arg(summary.accepted)
                  .arg(summary.duplicates)
                  .arg(summary.hash, 16, 16, QLatin1Char('0'));
        socket->write(line.toUtf8());
    }

    RaftConfig m_config;
    std::shared_ptr<TestLedger> m_ledger;
    RaftNode m_node;
    BatchBuilder m_builder;
    QTcpServer m_control;
    std::map<ActionKey, std::vector<QPointer<QTcpSocket>>> m_waiters;
};

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Test-only raft replica of a TestLedger"));
    parser.addHelpOption();
    const QCommandLineOption idOption(
        QStringLiteral("id"), QStringLiteral("Raft server id."), QStringLiteral("id"));
    const QCommandLineOption raftOption(
        QStringLiteral("raft"), QStringLiteral("Raft address ip:port."), QStringLiteral("address"));
    const QCommandLineOption dataOption(
        QStringLiteral("data"), QStringLiteral("Data dir."), QStringLiteral("dir"));
    const QCommandLineOption peersOption(QStringLiteral("peers"),
        QStringLiteral("Bootstrap voters id=ip:port,..."), QStringLiteral("list"));
    const QCommandLineOption electionOption(QStringLiteral("election-ms"),
        QStringLiteral("Election timeout."), QStringLiteral("ms"), QStringLiteral("300"));
    const QCommandLineOption heartbeatOption(QStringLiteral("heartbeat-ms"),
        QStringLiteral("Heartbeat timeout."), QStringLiteral("ms"), QStringLiteral("50"));
    const QCommandLineOption thresholdOption(QStringLiteral("snapshot-threshold"),
        QStringLiteral("Entries per snapshot."), QStringLiteral("n"), QStringLiteral("1024"));
    const QCommandLineOption trailingOption(QStringLiteral("snapshot-trailing"),
        QStringLiteral("Entries kept after a snapshot."), QStringLiteral("n"),
        QStringLiteral("128"));
    const QCommandLineOption batchOption(QStringLiteral("max-batch"),
        QStringLiteral("Actions per proposal."), QStringLiteral("n"), QStringLiteral("1"));
    const QCommandLineOption faultOption(QStringLiteral("fault-at-index"),
        QStringLiteral("Test-only: perturb this replica's state from this log index."),
        QStringLiteral("index"), QStringLiteral("0"));
    parser.addOptions({ idOption, raftOption, dataOption, peersOption, electionOption,
        heartbeatOption, thresholdOption, trailingOption, batchOption, faultOption });
    parser.process(app);

    RaftConfig config;
    config.id = parser.value(idOption).toULongLong();
    config.address = parser.value(raftOption);
    config.dataDir = parser.value(dataOption);
    config.electionTimeoutMs = parser.value(electionOption).toUInt();
    config.heartbeatTimeoutMs = parser.value(heartbeatOption).toUInt();
    config.snapshotThreshold = parser.value(thresholdOption).toUInt();
    config.snapshotTrailing = parser.value(trailingOption).toUInt();
    const QString peers = parser.value(peersOption);
    for (const QString &peer : peers.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        const QStringList parts = peer.split(QLatin1Char('='));
        if (parts.size() != 2) {
            std::fprintf(stderr, "bad peer %s\n", qPrintable(peer));
            return 2;
        }
        config.bootstrap.append({ parts[0].toULongLong(), parts[1] });
    }

    Replica replica(config, qMax(1u, parser.value(batchOption).toUInt()),
        parser.value(faultOption).toULongLong());
    if (!replica.start())
        return 1;
    return app.exec();
}
