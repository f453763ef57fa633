// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// Partition: three `metatopia-server --role sim` processes, each in a network namespace of its
// own (NetnsTopology), a TLS client in the test process sending actions all along. The leader's
// raft link is cut: the two others elect a leader and keep ticking, the isolated one stops
// leading and its applied tick freezes while its gateway still answers over the client network.
// On heal it catches up. Finally every acknowledged action is in every replica's state exactly
// once and all replicas have the same state hash for every tick they executed.
// Needs root and iproute2 (skipped otherwise).

#include "GatewayClient.h"
#include "NetnsTopology.h"
#include "SimServerProcess.h"

#include <QElapsedTimer>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <map>
#include <memory>

using namespace metatopia;
using namespace metatopia::cluster::test;

namespace {

constexpr quint16 RaftPort = 7001;
constexpr quint16 ClientPort = 8001;
constexpr int Replicas = 3;

qint64 field(const std::optional<QCborMap> &status, const char *key)
{
    return status ? status->value(QLatin1String(key)).toInteger(-1) : -1;
}

QString role(const std::optional<QCborMap> &status)
{
    return status ? status->value(QStringLiteral("role")).toString() : QString();
}

} // namespace

class ClusterPartitionTest : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    NetnsTopology m_net;
    std::unique_ptr<net::PinStore> m_pins;
    std::vector<std::unique_ptr<SimServerProcess>> m_replicas;
    std::vector<std::unique_ptr<GatewayProbe>> m_probes;
    bool m_passed = false;

    std::optional<QCborMap> status(int replica) { return m_probes.at(replica - 1)->status(2000); }

    int leader(int except = 0, qint64 minTerm = 0)
    {
        for (int i = 1; i <= Replicas; ++i) {
            if (i == except)
                continue;
            const auto reply = status(i);
            if (role(reply) == QLatin1String("leader") && field(reply, "term") >= minTerm)
                return i;
        }
        return 0;
    }

private slots:
    void initTestCase()
    {
        const QString reason = NetnsTopology::unavailableReason();
        if (!reason.isEmpty())
            QSKIP(qPrintable(reason));
        QVERIFY(m_dir.isValid());
        QVERIFY2(QFile::exists(SimServerProcess::defaultExecutable()),
            qPrintable(SimServerProcess::defaultExecutable()));
        QString error;
        QVERIFY2(m_net.create(Replicas, &error), qPrintable(error));
        m_pins = std::make_unique<net::PinStore>(m_dir.filePath(QStringLiteral("pins")));

        QStringList peers;
        for (int i = 1; i <= Replicas; ++i) {
            peers << QStringLiteral("%1=%2/%3")
                         .arg(i)
                         .arg(m_net.raftAddress(i, RaftPort), m_net.clientAddress(i, ClientPort));
        }
        for (int i = 1; i <= Replicas; ++i) {
            SimServerOptions options;
            options.netns = m_net.namespaceOf(i);
            options.logFile = m_dir.filePath(QStringLiteral("replica%1.log").arg(i));
            options.args = QStringList { QStringLiteral("--role"), QStringLiteral("sim"),
                QStringLiteral("--cluster"), QStringLiteral("11"), QStringLiteral("--id"),
                QString::number(i), QStringLiteral("--peers"), peers.join(QLatin1Char(',')),
                QStringLiteral("--data-dir"), m_dir.filePath(QStringLiteral("replica%1").arg(i)),
                QStringLiteral("--tick-rate"), QStringLiteral("45") };
            m_replicas.push_back(std::make_unique<SimServerProcess>(options));
            QVERIFY2(m_replicas.back()->start(20000, &error), qPrintable(error));
            QCOMPARE(m_replicas.back()->clientPort(), ClientPort);
            m_probes.push_back(
                std::make_unique<GatewayProbe>(m_net.clientAddress(i, ClientPort), *m_pins));
        }
    }

    void cleanupTestCase()
    {
        m_probes.clear();
        for (auto &replica : m_replicas) {
            replica->terminate(3000);
            if (!m_passed)
                qWarning("replica log %s:\n%s", qPrintable(replica->options().logFile),
                    qPrintable(replica->logTail(30)));
        }
        m_replicas.clear();
        m_net.destroy();
    }

    void isolatedLeaderStopsAndCatchesUp()
    {
        QStringList addresses;
        for (int i = 1; i <= Replicas; ++i)
            addresses << m_net.clientAddress(i, ClientPort);
        SimLoadClient client(42, addresses, *m_pins);
        client.setWindow(32);
        client.setRate(200);
        client.setSending(true);

        int old = 0;
        QTRY_VERIFY_WITH_TIMEOUT((old = leader()) != 0, 15000);
        QTRY_VERIFY_WITH_TIMEOUT(client.ackedCount() >= 30, 15000);
        const qint64 oldTerm = field(status(old), "term");
        QVERIFY(oldTerm > 0);

        // Cut: the leader's raft interface goes down; its gateway stays reachable.
        QString error;
        QElapsedTimer clock;
        clock.start();
        QVERIFY2(m_net.setRaftLink(old, false, &error), qPrintable(error));
        const size_t ackedAtCut = client.ackedCount();

        int fresh = 0;
        QTRY_VERIFY_WITH_TIMEOUT((fresh = leader(old, oldTerm + 1)) != 0, 10000);
        const qint64 electedMs = clock.elapsed();
        // Without a quorum the old leader steps down (raft's check-quorum) ...
        QTRY_VERIFY_WITH_TIMEOUT(role(status(old)) != QLatin1String("leader"), 10000);
        // ... while the majority goes on ticking and committing the client's actions.
        const qint64 majorityTick = field(status(fresh), "tick");
        QTRY_VERIFY_WITH_TIMEOUT(field(status(fresh), "tick") >= majorityTick + 45, 10000);
        QTRY_VERIFY_WITH_TIMEOUT(client.ackedCount() >= ackedAtCut + 50, 15000);

        // The isolated replica's applied tick is frozen: it stays put while the majority runs
        // another 45 ticks (one second).
        const auto isolated = status(old);
        QVERIFY(isolated);
        const qint64 frozenTick = field(isolated, "tick");
        const qint64 frozenApplied = field(isolated, "applied");
        const qint64 mark = field(status(fresh), "tick");
        QTRY_VERIFY_WITH_TIMEOUT(field(status(fresh), "tick") >= mark + 45, 10000);
        const auto later = status(old);
        QVERIFY(later);
        QCOMPARE(field(later, "tick"), frozenTick);
        QCOMPARE(field(later, "applied"), frozenApplied);
        const qint64 majorityNow = field(status(fresh), "tick");
        QVERIFY(frozenTick < majorityNow);
        qInfo("partition: replica %d isolated; replica %d elected after %lld ms; isolated frozen "
              "at tick %lld while the majority reached tick %lld",
            old, fresh, electedMs, frozenTick, majorityNow);

        // Heal: the old leader catches up with the ticks it missed.
        QVERIFY2(m_net.setRaftLink(old, true, &error), qPrintable(error));
        clock.restart();
        const qint64 healTick = field(status(fresh), "tick");
        QTRY_VERIFY_WITH_TIMEOUT(field(status(old), "tick") >= healTick + 10, 20000);
        const qint64 caughtUpMs = clock.elapsed();
        // Pre-vote: rejoining did not depose the new leader.
        QCOMPARE(leader(), fresh);

        client.setSending(false);
        QTRY_COMPARE_WITH_TIMEOUT(client.unacked(), size_t(0), 20000);
        QVERIFY(client.ackedCount() >= ackedAtCut + 50);

        // Every acknowledged action exactly once, the same objects in the same order everywhere.
        std::optional<QStringList> reference;
        for (int i = 1; i <= Replicas; ++i) {
            QStringList names;
            auto holdsAll = [&] {
                const auto reply = m_probes.at(i - 1)->objectNames();
                if (!reply)
                    return false;
                names = *reply;
                const QSet<QString> present(names.begin(), names.end());
                for (const auto &[seq, at] : client.acked()) {
                    if (!present.contains(client.name(seq)))
                        return false;
                }
                return true;
            };
            QTRY_VERIFY_WITH_TIMEOUT(holdsAll(), 15000);
            std::map<QString, int> counts;
            for (const QString &name : std::as_const(names))
                ++counts[name];
            for (const auto &[name, count] : counts)
                QVERIFY2(count == 1, qPrintable(QStringLiteral("%1 x%2").arg(name).arg(count)));
            if (!reference)
                reference = names;
            else
                QCOMPARE(names, *reference);
        }

        // The same state hash on every replica for every tick it executed (all of them: nobody
        // installed a snapshot here), and no divergence flagged.
        qint64 common = std::numeric_limits<qint64>::max();
        for (int i = 1; i <= Replicas; ++i) {
            const auto reply = status(i);
            QVERIFY(reply);
            QCOMPARE(field(reply, "divergences"), 0);
            QCOMPARE(reply->value(QStringLiteral("diverged")).toBool(), false);
            QCOMPARE(field(reply, "snapshotsRestored"), 0);
            common = qMin(common, field(reply, "tick"));
        }
        QVERIFY(common > majorityNow);
        std::map<qint64, QString> byTick;
        int compared = 0;
        for (int i = 1; i <= Replicas; ++i) {
            const auto hashes = m_probes.at(i - 1)->hashes(1, common);
            QVERIFY(hashes);
            QCOMPARE(qint64(hashes->size()), common);
            for (const auto &[tick, hash] : *hashes) {
                const auto [known, inserted] = byTick.emplace(tick, hash);
                if (!inserted) {
                    QVERIFY2(known->second == hash,
                        qPrintable(QStringLiteral("tick %1: replica %2 has %3, another %4")
                                       .arg(tick)
                                       .arg(i)
                                       .arg(hash, known->second)));
                    ++compared;
                }
            }
        }
        QCOMPARE(compared, int(common) * (Replicas - 1));
        qInfo("partition: healed replica caught up in %lld ms; %zu actions acknowledged (%llu "
              "reconnects, %llu duplicate acks); hashes of ticks 1..%lld identical on all %d "
              "replicas",
            caughtUpMs, client.ackedCount(), client.reconnects(), client.duplicateAcks(), common,
            Replicas);
        m_passed = true;
    }
};

QTEST_GUILESS_MAIN(ClusterPartitionTest)
#include "tst_ClusterPartition.moc"
