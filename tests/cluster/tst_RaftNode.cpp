// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "cluster/RaftNode.h"

#include "ClusterTestUtil.h"
#include "TestLedger.h"
#include "cluster/ActionBatch.h"

#include <QRandomGenerator>
#include <QSignalSpy>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>
#include <QtEndian>

#include <QDir>

#include <map>
#include <memory>
#include <set>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

using namespace metatopia::cluster;
using metatopia::cluster::test::TestLedger;

namespace {

constexpr int ElectionWaitMs = 15000;
constexpr int CatchUpWaitMs = 20000;

struct Member
{
    RaftConfig config;
    std::shared_ptr<TestLedger> ledger;
    std::unique_ptr<RaftNode> node;
    std::vector<quint64> committedIndices; // as seen through the committed() signal
};

QByteArray actionBatch(quint64 clientId, quint64 seq)
{
    ActionBatch batch;
    batch.actions.push_back(
        { { clientId, seq }, QByteArray("payload-") + QByteArray::number(seq) });
    return batch.encode();
}

} // namespace

namespace metatopia::cluster::test {
char *toString(const TestLedger::Summary &s)
{
    return qstrdup(
        qPrintable(QStringLiteral("hash=%1 accepted=%2 duplicates=%3 batches=%4 lastIndex=%5")
                       .arg(s.hash, 0, 16)
                       .arg(s.accepted)
                       .arg(s.duplicates)
                       .arg(s.batches)
                       .arg(s.lastIndex)));
}
} // namespace metatopia::cluster::test

class TestRaftNode : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void electsLeaderAndCommitsInOrder();
    void raftConnectionsSendWithoutDelay();
    void commitTimingOfOwnProposals();
    void followerRefusesWithLeaderHint();
    void restartedNodeCatchesUpFromDataDir();
    void fourthNodeJoinsThroughSnapshot();
    void garbageOnRaftPortIsHarmless();
    void cleanShutdown();

private:
    Member &add(quint64 id, bool bootstrap);
    bool startMember(Member &member);
    Member *leader();
    bool waitConverged(const std::vector<quint64> &ids, int timeoutMs);
    TestLedger::Summary summaryOf(Member &member);
    std::vector<ActionKey> orderOf(Member &member);
    // Proposes count single-action batches from the leader and waits until all are committed.
    void commitBatches(quint64 clientId, quint64 firstSeq, int count);

    QTemporaryDir m_dir;
    QList<RaftPeer> m_bootstrap;
    std::map<quint64, Member> m_members;
};

Member &TestRaftNode::add(quint64 id, bool bootstrap)
{
    Member &member = m_members[id];
    member.config.id = id;
    member.config.address = metatopia::cluster::test::freeLoopbackAddress();
    member.config.dataDir = m_dir.filePath(QStringLiteral("node%1").arg(id));
    member.config.electionTimeoutMs = 300;
    member.config.heartbeatTimeoutMs = 50;
    // Small thresholds so the tests exercise snapshots and log compaction.
    member.config.snapshotThreshold = 64;
    member.config.snapshotTrailing = 16;
    if (bootstrap)
        m_bootstrap.append({ id, member.config.address });
    return member;
}

bool TestRaftNode::startMember(Member &member)
{
    member.ledger = std::make_shared<TestLedger>();
    member.node = std::make_unique<RaftNode>(member.ledger);
    member.committedIndices.clear();
    connect(member.node.get(), &RaftNode::committed, this,
        [&member](quint64 index, const QByteArray &) { member.committedIndices.push_back(index); });
    QString error;
    const bool ok = member.node->start(member.config, &error);
    if (!ok)
        qWarning() << "start failed:" << error;
    return ok;
}

Member *TestRaftNode::leader()
{
    for (auto &[id, member] : m_members) {
        if (member.node && member.node->isRunning()
            && member.node->status().role == RaftRole::Leader)
            return &member;
    }
    return nullptr;
}

TestLedger::Summary TestRaftNode::summaryOf(Member &member)
{
    TestLedger::Summary summary;
    member.node->callOnRaftThread([&] { summary = member.ledger->summary(); });
    return summary;
}

std::vector<ActionKey> TestRaftNode::orderOf(Member &member)
{
    std::vector<ActionKey> order;
    member.node->callOnRaftThread([&] { order = member.ledger->order(); });
    return order;
}

bool TestRaftNode::waitConverged(const std::vector<quint64> &ids, int timeoutMs)
{
    QDeadlineTimer deadline(timeoutMs);
    while (!deadline.hasExpired()) {
        Member *lead = leader();
        if (lead) {
            const quint64 target = lead->node->status().appliedIndex;
            bool all = true;
            for (quint64 id : ids)
                all = all && m_members[id].node->status().appliedIndex >= target;
            if (all && target > 0)
                return true;
        }
        QTest::qWait(20);
    }
    return false;
}

void TestRaftNode::commitBatches(quint64 clientId, quint64 firstSeq, int count)
{
    QTRY_VERIFY_WITH_TIMEOUT(leader() != nullptr, ElectionWaitMs);
    Member *lead = leader();
    // Shared counters: a callback may still arrive after a failed wait returned.
    auto ok = std::make_shared<int>(0);
    auto failed = std::make_shared<int>(0);
    for (int i = 0; i < count; ++i) {
        lead->node->propose(actionBatch(clientId, firstSeq + quint64(i)),
            [ok, failed](const ProposeResult &result) { ++*(result.ok ? ok : failed); });
    }
    QTRY_VERIFY_WITH_TIMEOUT(*ok + *failed == count, CatchUpWaitMs);
    QCOMPARE(*failed, 0);
}

void TestRaftNode::initTestCase()
{
    QVERIFY(m_dir.isValid());
    for (quint64 id = 1; id <= 3; ++id)
        add(id, true);
    for (auto &[id, member] : m_members) {
        member.config.bootstrap = m_bootstrap;
        QVERIFY(startMember(member));
    }
}

void TestRaftNode::electsLeaderAndCommitsInOrder()
{
    QTRY_VERIFY_WITH_TIMEOUT(leader() != nullptr, ElectionWaitMs);
    Member *lead = leader();
    // Every node agrees on who leads.
    QTRY_VERIFY_WITH_TIMEOUT(m_members[1].node->status().leaderId == lead->config.id
            && m_members[2].node->status().leaderId == lead->config.id
            && m_members[3].node->status().leaderId == lead->config.id,
        ElectionWaitMs);

    auto indicesPtr = std::make_shared<std::vector<quint64>>();
    auto failed = std::make_shared<int>(0);
    constexpr int Count = 1000;
    for (int i = 1; i <= Count; ++i) {
        lead->node->propose(
            actionBatch(7, quint64(i)), [indicesPtr, failed](const ProposeResult &result) {
                if (result.ok)
                    indicesPtr->push_back(result.index);
                else
                    ++*failed;
            });
    }
    QTRY_VERIFY_WITH_TIMEOUT(int(indicesPtr->size()) + *failed == Count, CatchUpWaitMs);
    QCOMPARE(*failed, 0);
    const std::vector<quint64> indices = *indicesPtr;
    // Completions arrive in log order with distinct indices.
    QVERIFY(std::is_sorted(indices.begin(), indices.end()));
    QVERIFY(std::adjacent_find(indices.begin(), indices.end()) == indices.end());

    QVERIFY(waitConverged({ 1, 2, 3 }, CatchUpWaitMs));
    const auto reference = summaryOf(*lead);
    QCOMPARE(reference.accepted, quint64(Count));
    QCOMPARE(reference.duplicates, quint64(0));
    const auto referenceOrder = orderOf(*lead);
    for (quint64 seq = 1; seq <= Count; ++seq)
        QCOMPARE(referenceOrder[seq - 1].seq, seq);
    for (auto &[id, member] : m_members) {
        QCOMPARE(summaryOf(member), reference);
        QVERIFY(orderOf(member) == referenceOrder);
        // committed() delivered every batch in increasing index order on every replica.
        QTRY_COMPARE_WITH_TIMEOUT(member.committedIndices.size(), size_t(Count), CatchUpWaitMs);
        QVERIFY(std::is_sorted(member.committedIndices.begin(), member.committedIndices.end()));
    }
    QCOMPARE(m_members[1].committedIndices, m_members[2].committedIndices);
    QCOMPARE(m_members[1].committedIndices, m_members[3].committedIndices);
}

// libraft's transport leaves Nagle's algorithm on; RaftNode turns it off on every raft connection
// (an AppendEntries or its result held back until the previous one is acknowledged cost tens of
// milliseconds per commit). The three nodes run in this process, so both ends of every raft
// connection are among its file descriptors.
void TestRaftNode::raftConnectionsSendWithoutDelay()
{
    QTRY_VERIFY_WITH_TIMEOUT(leader() != nullptr, ElectionWaitMs);
    commitBatches(13, 1, 10);
    std::set<quint16> raftPorts;
    for (const auto &[id, member] : m_members)
        raftPorts.insert(metatopia::cluster::test::portOf(member.config.address));
    int connections = 0;
    int withoutDelay = 0;
    const QStringList fds = QDir(QStringLiteral("/proc/self/fd")).entryList(QDir::System);
    for (const QString &name : fds) {
        const int fd = name.toInt();
        sockaddr_in local {};
        sockaddr_in peer {};
        socklen_t localLength = sizeof(local);
        socklen_t peerLength = sizeof(peer);
        if (getsockname(fd, reinterpret_cast<sockaddr *>(&local), &localLength) != 0
            || local.sin_family != AF_INET
            || getpeername(fd, reinterpret_cast<sockaddr *>(&peer), &peerLength) != 0)
            continue; // not an IPv4 socket, or not connected (e.g. a listener)
        if (!raftPorts.contains(ntohs(local.sin_port)) && !raftPorts.contains(ntohs(peer.sin_port)))
            continue;
        int noDelay = 0;
        socklen_t length = sizeof(noDelay);
        if (getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &noDelay, &length) != 0)
            continue;
        ++connections;
        if (noDelay != 0)
            ++withoutDelay;
        else
            qWarning("fd %d (port %u -> %u) has Nagle's algorithm on", fd,
                unsigned(ntohs(local.sin_port)), unsigned(ntohs(peer.sin_port)));
    }
    // A node sends on connections it opened: the leader to both followers, each follower its
    // results to the leader; 4 connections, 8 ends (more if an earlier election left some).
    QVERIFY2(
        connections >= 8, qPrintable(QStringLiteral("%1 raft connection ends").arg(connections)));
    QCOMPARE(withoutDelay, connections);
}

// committed() comes with where the entry's time went: set, in order, for the leader's own
// proposals; only the state machine's part for an entry another node proposed.
void TestRaftNode::commitTimingOfOwnProposals()
{
    QTRY_VERIFY_WITH_TIMEOUT(leader() != nullptr, ElectionWaitMs);
    Member *lead = leader();
    Member &follower = m_members[lead->config.id == 1 ? 2 : 1];
    std::vector<CommitTiming> onLeader;
    std::vector<CommitTiming> onFollower;
    const auto leaderConnection = connect(lead->node.get(), &RaftNode::committed, this,
        [&] { onLeader.push_back(lead->node->deliveryTiming()); });
    const auto followerConnection = connect(follower.node.get(), &RaftNode::committed, this,
        [&] { onFollower.push_back(follower.node->deliveryTiming()); });
    const qint64 before = RaftNode::clockNs();
    commitBatches(14, 1, 20);
    QTRY_VERIFY_WITH_TIMEOUT(onFollower.size() >= 20, CatchUpWaitMs);
    disconnect(leaderConnection);
    disconnect(followerConnection);
    const qint64 after = RaftNode::clockNs();
    QVERIFY(onLeader.size() >= 20);
    for (const CommitTiming &timing : onLeader) {
        QVERIFY(before <= timing.proposedNs);
        QVERIFY(timing.proposedNs <= timing.submittedNs);
        QVERIFY(timing.submittedNs <= timing.applyStartNs);
        QVERIFY(timing.applyStartNs <= timing.appliedNs);
        QVERIFY(timing.appliedNs <= after);
    }
    for (const CommitTiming &timing : onFollower) {
        QCOMPARE(timing.proposedNs, 0);
        QCOMPARE(timing.submittedNs, 0);
        QVERIFY(timing.applyStartNs > 0 && timing.applyStartNs <= timing.appliedNs);
    }
    // Outside committed() there is nothing to report.
    QCOMPARE(lead->node->deliveryTiming().appliedNs, 0);
}

void TestRaftNode::followerRefusesWithLeaderHint()
{
    QTRY_VERIFY_WITH_TIMEOUT(leader() != nullptr, ElectionWaitMs);
    const quint64 leaderId = leader()->config.id;
    Member &follower = m_members[leaderId == 1 ? 2 : 1];
    std::optional<ProposeResult> result;
    follower.node->propose(actionBatch(8, 1), [&](const ProposeResult &r) { result = r; });
    QTRY_VERIFY_WITH_TIMEOUT(result.has_value(), 5000);
    QVERIFY(!result->ok);
    QCOMPARE(result->leaderId, leaderId);
    QCOMPARE(result->leaderAddress, m_members[leaderId].config.address);
    QVERIFY(!result->error.isEmpty());
}

void TestRaftNode::restartedNodeCatchesUpFromDataDir()
{
    QTRY_VERIFY_WITH_TIMEOUT(leader() != nullptr, ElectionWaitMs);
    const quint64 leaderId = leader()->config.id;
    const quint64 followerId = leaderId == 3 ? 2 : 3;
    Member &follower = m_members[followerId];
    follower.node->stop();
    QVERIFY(!follower.node->isRunning());

    // The two survivors keep a majority and go on committing while the follower is down.
    commitBatches(9, 1, 300);

    // Restart from the same data dir with a fresh (empty) state machine: raft restores the last
    // snapshot, replays the log and catches up from the leader.
    QVERIFY(startMember(follower));
    QVERIFY(waitConverged({ 1, 2, 3 }, CatchUpWaitMs));
    QVERIFY(follower.node->status().snapshotsRestored >= 1);
    Member *lead = leader();
    QVERIFY(lead);
    QCOMPARE(summaryOf(follower), summaryOf(*lead));
    QVERIFY(orderOf(follower) == orderOf(*lead));
}

void TestRaftNode::fourthNodeJoinsThroughSnapshot()
{
    Member &fourth = add(4, false);
    QVERIFY(startMember(fourth));
    QSignalSpy restored(fourth.node.get(), &RaftNode::restored);

    QTRY_VERIFY_WITH_TIMEOUT(leader() != nullptr, ElectionWaitMs);
    std::optional<ChangeResult> added;
    leader()->node->addVoter(4, fourth.config.address, [&](const ChangeResult &r) { added = r; });
    QTRY_VERIFY_WITH_TIMEOUT(added.has_value(), CatchUpWaitMs);
    QVERIFY2(added->ok, qPrintable(added->error));
    QTRY_COMPARE_WITH_TIMEOUT(leader()->node->status().voters, quint64(4), CatchUpWaitMs);

    // The leader compacted its log long ago, so the newcomer can only catch up via a snapshot.
    QVERIFY(waitConverged({ 1, 2, 3, 4 }, CatchUpWaitMs));
    QVERIFY(restored.count() >= 1);
    QVERIFY(fourth.node->status().snapshotsRestored >= 1);
    // The Qt side hears of the snapshot before any batch that follows it.
    const quint64 snapshotIndex = restored.first().at(0).toULongLong();
    QVERIFY(snapshotIndex > 0);
    for (quint64 index : fourth.committedIndices)
        QVERIFY(index > snapshotIndex);
    QCOMPARE(summaryOf(fourth), summaryOf(*leader()));
    QVERIFY(orderOf(fourth) == orderOf(*leader()));

    // It takes part in the log from now on.
    commitBatches(10, 1, 50);
    QVERIFY(waitConverged({ 1, 2, 3, 4 }, CatchUpWaitMs));
    QCOMPARE(summaryOf(fourth), summaryOf(*leader()));

    // And it can be removed again.
    std::optional<ChangeResult> removed;
    leader()->node->removeServer(4, [&](const ChangeResult &r) { removed = r; });
    QTRY_VERIFY_WITH_TIMEOUT(removed.has_value(), CatchUpWaitMs);
    QVERIFY2(removed->ok, qPrintable(removed->error));
    QTRY_COMPARE_WITH_TIMEOUT(leader()->node->status().voters, quint64(3), CatchUpWaitMs);
    fourth.node->stop();
    m_members.erase(4);
}

void TestRaftNode::garbageOnRaftPortIsHarmless()
{
    QTRY_VERIFY_WITH_TIMEOUT(leader() != nullptr, ElectionWaitMs);
    const quint64 leaderId = leader()->config.id;
    auto *random = QRandomGenerator::global();
    for (auto &[id, member] : m_members) {
        const quint16 port = metatopia::cluster::test::portOf(member.config.address);
        // Random bytes.
        {
            QTcpSocket socket;
            socket.connectToHost(QHostAddress::LocalHost, port);
            QVERIFY(socket.waitForConnected(3000));
            QByteArray junk(4096, Qt::Uninitialized);
            for (char &c : junk)
                c = char(random->bounded(256));
            socket.write(junk);
            QVERIFY(socket.waitForBytesWritten(3000));
            socket.disconnectFromHost();
        }
        // A plausible handshake (protocol 1, server id, address length) claiming a huge address,
        // then a message header claiming a huge body.
        {
            QTcpSocket socket;
            socket.connectToHost(QHostAddress::LocalHost, port);
            QVERIFY(socket.waitForConnected(3000));
            QByteArray preamble(24, '\0');
            qToLittleEndian<quint64>(1, preamble.data());
            qToLittleEndian<quint64>(99, preamble.data() + 8);
            qToLittleEndian<quint64>(quint64(1) << 40, preamble.data() + 16);
            socket.write(preamble);
            QByteArray header(16, '\xff');
            socket.write(header);
            QVERIFY(socket.waitForBytesWritten(3000));
            // Keep it half-open while the cluster works.
            commitBatches(11, quint64(id) * 1000, 20);
            socket.abort();
        }
    }
    // Same leader, everybody still serving and converging.
    commitBatches(11, 100000, 100);
    QVERIFY(waitConverged({ 1, 2, 3 }, CatchUpWaitMs));
    QCOMPARE(leader()->config.id, leaderId);
    for (auto &[id, member] : m_members)
        QCOMPARE(summaryOf(member), summaryOf(*leader()));
}

void TestRaftNode::cleanShutdown()
{
    for (auto &[id, member] : m_members) {
        member.node->stop();
        QVERIFY(!member.node->isRunning());
        QCOMPARE(member.node->status().role, RaftRole::Unavailable);
    }
    // A stopped node refuses proposals through the callback rather than dropping them.
    std::optional<ProposeResult> result;
    m_members[1].node->propose(actionBatch(12, 1), [&](const ProposeResult &r) { result = r; });
    QTRY_VERIFY_WITH_TIMEOUT(result.has_value(), 2000);
    QVERIFY(!result->ok);
    m_members.clear();
}

QTEST_GUILESS_MAIN(TestRaftNode)
#include "tst_RaftNode.moc"
