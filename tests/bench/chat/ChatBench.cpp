// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later

// Chat fan-out: one metatopia-server process, 200 ChatClients on loopback TLS in this process,
// all in one channel, every message delivered to the 199 other members.
// - Throughput: each round 10 senders send a burst of 10 messages each; delivered messages per
//   second is the median over the rounds after a warm-up, with the p50/p99 time from send to
//   receipt under that burst.
// - Latency: one message at a time, the next only once everyone has the previous one; p50/p99
//   from send to receipt (same clock, this process) and of the acknowledgement (stored on disk).
// Figures only: the comparison with an IRC server comes later. The clients share the machine's
// cores with the server, so this measures the whole loopback system.
//
// The accounts are created in the server's data dir before it starts, with argon2id at its
// minimum cost: registering 200 accounts at the interactive cost would measure the password
// hash, not the chat.
//
// Usage: bench_chat [clients] [rounds]

#include "ServerProcess.h"

#include "chat/ChatClient.h"
#include "chat/ChatServerHost.h"
#include "store/AccountStore.h"
#include "store/Database.h"

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QTemporaryDir>
#include <QThread>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <vector>

using namespace metatopia;

namespace {

constexpr int SendersCount = 10;
constexpr int BurstPerSender = 10;
constexpr int WarmupRounds = 1;
constexpr int LatencyWarmup = 3;
constexpr int LatencySamples = 30;

bool waitUntil(const std::function<bool()> &done, int timeoutMs)
{
    QElapsedTimer timer;
    timer.start();
    while (!done()) {
        if (timer.elapsed() > timeoutMs)
            return false;
        QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents, 20);
    }
    return true;
}

double percentile(std::vector<double> values, double p)
{
    if (values.empty())
        return 0;
    std::sort(values.begin(), values.end());
    const size_t index = std::min(values.size() - 1, size_t(p * double(values.size() - 1) + 0.5));
    return values[index];
}

void bench(const QString &name, double value, const char *unit)
{
    std::printf("BENCH chat.%s value=%.3f unit=%s\n", qPrintable(name), value, unit);
    std::fflush(stdout);
}

QString userName(int i)
{
    return QStringLiteral("user%1").arg(i);
}

QString password(int i)
{
    return QStringLiteral("bench password %1").arg(i);
}

bool createAccounts(const QString &dataDir, int count)
{
    QDir().mkpath(dataDir);
    store::Database db;
    if (!db.open(ChatServerHost::databasePath(dataDir))) {
        std::fprintf(stderr, "bench_chat: %s\n", qPrintable(db.errorString()));
        return false;
    }
    store::AccountStore accounts(db, store::PasswordHashing::minimal());
    for (int i = 0; i < count; ++i) {
        const auto result = accounts.registerAccount(userName(i), password(i));
        if (!result.ok()) {
            std::fprintf(stderr, "bench_chat: %s\n", qPrintable(result.errorText));
            return false;
        }
    }
    return true;
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    const int clientCount = argc > 1 ? std::max(2, std::atoi(argv[1])) : 200;
    const int rounds = argc > 2 ? std::max(1, std::atoi(argv[2])) : 7;
    const int senders = std::min(SendersCount, clientCount);

    QTemporaryDir dir;
    const QString dataDir = dir.filePath(QStringLiteral("server"));
    if (!createAccounts(dataDir, clientCount))
        return 1;
    test::ServerProcess server(dataDir);
    if (!server.start(0,
            { QStringLiteral("--rate-limit"), QStringLiteral("0"),
                QStringLiteral("--wrong-password-delay"), QStringLiteral("0") })) {
        std::fprintf(stderr, "bench_chat: metatopia-server did not start\n");
        return 1;
    }
    std::fprintf(stderr, "server on port %u, %d clients, %d senders x %d messages, %d rounds\n",
        unsigned(server.port()), clientCount, senders, BurstPerSender, rounds);

    QElapsedTimer clock;
    clock.start();
    std::vector<std::unique_ptr<ChatClient>> clients;
    int loggedIn = 0;
    int joined = 0;
    for (int i = 0; i < clientCount; ++i) {
        auto client = std::make_unique<ChatClient>(dir.filePath(QStringLiteral("c%1").arg(i)));
        QObject::connect(client.get(), &ChatClient::loggedIn, &app, [&loggedIn] { ++loggedIn; });
        QObject::connect(client.get(), &ChatClient::channelJoined, &app, [&joined] { ++joined; });
        QObject::connect(client.get(), &ChatClient::loginFailed, &app, [](const QString &why) {
            std::fprintf(stderr, "login failed: %s\n", qPrintable(why));
        });
        client->connectToServer(QStringLiteral("127.0.0.1"), server.port());
        client->login(userName(i), password(i));
        client->joinChannel(QStringLiteral("#bench"));
        clients.push_back(std::move(client));
    }
    if (!waitUntil([&] { return loggedIn == clientCount && joined == clientCount; }, 600000)) {
        std::fprintf(stderr, "bench_chat: only %d logged in, %d joined\n", loggedIn, joined);
        return 1;
    }
    std::fprintf(stderr, "setup (login + join of %d clients): %.1f s\n", clientCount,
        double(clock.elapsed()) / 1000.0);

    // The text carries the send time on the shared clock.
    qint64 delivered = 0;
    qint64 acked = 0;
    std::vector<double> latencies;
    std::vector<double> ackLatencies;
    std::map<qint64, qint64> sentAt; // clientSeq -> ns
    for (auto &client : clients) {
        QObject::connect(
            client.get(), &ChatClient::messageReceived, &app, [&](const ChatMessage &m) {
                if (m.pending)
                    return;
                const qint64 sentNs = m.text.section(u' ', 1, 1).toLongLong();
                latencies.push_back(double(clock.nsecsElapsed() - sentNs) / 1e6);
                ++delivered;
            });
        QObject::connect(
            client.get(), &ChatClient::messageAcknowledged, &app, [&](qint64 seq, qint64) {
                auto it = sentAt.find(seq);
                if (it != sentAt.end()) {
                    ackLatencies.push_back(double(clock.nsecsElapsed() - it->second) / 1e6);
                    sentAt.erase(it);
                }
                ++acked;
            });
    }
    const auto send = [&](int sender, int tag) {
        const qint64 now = clock.nsecsElapsed();
        const qint64 seq = clients[size_t(sender)]->sendToChannel(
            QStringLiteral("#bench"), QStringLiteral("m %1 %2").arg(now).arg(tag));
        sentAt[seq] = now;
    };

    // Throughput under bursts.
    std::vector<double> throughput;
    std::vector<double> burstLatencies;
    const qint64 perRound = qint64(senders) * BurstPerSender * (clientCount - 1);
    for (int round = 0; round < WarmupRounds + rounds; ++round) {
        delivered = 0;
        acked = 0;
        latencies.clear();
        QElapsedTimer t;
        t.start();
        for (int k = 0; k < BurstPerSender; ++k) {
            for (int s = 0; s < senders; ++s)
                send(s, round);
        }
        if (!waitUntil([&] { return delivered >= perRound && acked >= senders * BurstPerSender; },
                120000)) {
            std::fprintf(stderr, "bench_chat: round %d delivered %lld of %lld\n", round,
                static_cast<long long>(delivered), static_cast<long long>(perRound));
            return 1;
        }
        const double seconds = double(t.nsecsElapsed()) / 1e9;
        std::fprintf(stderr, "burst round %d: %lld deliveries in %.3f s = %.0f msg/s\n", round,
            static_cast<long long>(delivered), seconds, double(delivered) / seconds);
        if (round < WarmupRounds)
            continue;
        throughput.push_back(double(delivered) / seconds);
        burstLatencies.insert(burstLatencies.end(), latencies.begin(), latencies.end());
    }

    // Latency, one message at a time.
    std::vector<double> singleLatencies;
    std::vector<double> singleAcks;
    for (int i = 0; i < LatencyWarmup + LatencySamples; ++i) {
        delivered = 0;
        acked = 0;
        latencies.clear();
        ackLatencies.clear();
        send(i % clientCount, 1000 + i);
        if (!waitUntil([&] { return delivered >= clientCount - 1 && acked >= 1; }, 60000)) {
            std::fprintf(stderr, "bench_chat: single message %d not delivered\n", i);
            return 1;
        }
        if (i < LatencyWarmup)
            continue;
        singleLatencies.insert(singleLatencies.end(), latencies.begin(), latencies.end());
        singleAcks.insert(singleAcks.end(), ackLatencies.begin(), ackLatencies.end());
    }

    const QString prefix = QStringLiteral("fanout%1.").arg(clientCount);
    bench(prefix + QStringLiteral("delivered"), percentile(throughput, 0.5), "msg/s");
    bench(prefix + QStringLiteral("burst_latency_p50"), percentile(burstLatencies, 0.5), "ms");
    bench(prefix + QStringLiteral("burst_latency_p99"), percentile(burstLatencies, 0.99), "ms");
    bench(prefix + QStringLiteral("delivery_latency_p50"), percentile(singleLatencies, 0.5), "ms");
    bench(prefix + QStringLiteral("delivery_latency_p99"), percentile(singleLatencies, 0.99), "ms");
    bench(prefix + QStringLiteral("ack_latency_p50"), percentile(singleAcks, 0.5), "ms");
    bench(prefix + QStringLiteral("ack_latency_p99"), percentile(singleAcks, 0.99), "ms");
    std::fprintf(stderr, "machine: %d cores (shared by server, clients and other jobs)\n",
        QThread::idealThreadCount());

    clients.clear();
    server.terminate();
    return 0;
}
