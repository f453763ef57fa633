// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later

// Chat fan-out: one metatopia-server process, 200 ChatClients on loopback TLS in this process,
// all in one channel. Each round a few senders each send a burst; every message is delivered to
// the 199 other members. Reports delivered messages per second (median over rounds after a
// warm-up) and p50/p99 of delivery latency (send call to receipt, same clock) and of the
// acknowledgement (stored on disk) latency. Figures only: the comparison with an IRC server
// comes later. Note that the 200 clients share the machine's cores with the server.
//
// Usage: bench_chat [clients] [rounds]

#include "ServerProcess.h"

#include "chat/ChatClient.h"

#include <QCoreApplication>
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

double median(std::vector<double> values)
{
    return percentile(std::move(values), 0.5);
}

void bench(const char *name, double value, const char *unit)
{
    std::printf("BENCH chat.%s value=%.3f unit=%s\n", name, value, unit);
    std::fflush(stdout);
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    const int clientCount = argc > 1 ? std::max(2, std::atoi(argv[1])) : 200;
    const int rounds = argc > 2 ? std::max(1, std::atoi(argv[2])) : 5;
    const int senders = std::min(SendersCount, clientCount);

    QTemporaryDir dir;
    test::ServerProcess server(dir.filePath(QStringLiteral("server")));
    if (!server.start(0, { QStringLiteral("--rate-limit"), QStringLiteral("0"),
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
        QObject::connect(client.get(), &ChatClient::registrationFailed, &app,
                         [](const QString &why) {
                             std::fprintf(stderr, "registration failed: %s\n", qPrintable(why));
                         });
        client->connectToServer(QStringLiteral("127.0.0.1"), server.port());
        client->registerAccount(QStringLiteral("user%1").arg(i),
                                QStringLiteral("bench password %1").arg(i));
        client->joinChannel(QStringLiteral("#bench"));
        clients.push_back(std::move(client));
    }
    if (!waitUntil([&] { return loggedIn == clientCount && joined == clientCount; }, 600000)) {
        std::fprintf(stderr, "bench_chat: only %d logged in, %d joined\n", loggedIn, joined);
        return 1;
    }
    std::fprintf(stderr, "setup (register + join of %d clients): %.1f s\n", clientCount,
                 double(clock.elapsed()) / 1000.0);

    // Delivery bookkeeping: the text carries the send time on the shared clock.
    qint64 delivered = 0;
    std::vector<double> latencies;
    std::vector<double> ackLatencies;
    std::map<qint64, qint64> sentAt; // clientSeq -> ns
    qint64 acked = 0;
    for (auto &client : clients) {
        QObject::connect(client.get(), &ChatClient::messageReceived, &app,
                         [&](const ChatMessage &m) {
                             if (m.pending)
                                 return;
                             const qint64 sentNs = m.text.section(u' ', 1, 1).toLongLong();
                             latencies.push_back(double(clock.nsecsElapsed() - sentNs) / 1e6);
                             ++delivered;
                         });
        QObject::connect(client.get(), &ChatClient::messageAcknowledged, &app,
                         [&](qint64 seq, qint64) {
                             auto it = sentAt.find(seq);
                             if (it != sentAt.end()) {
                                 ackLatencies.push_back(
                                     double(clock.nsecsElapsed() - it->second) / 1e6);
                                 sentAt.erase(it);
                             }
                             ++acked;
                         });
    }

    std::vector<double> throughput;
    std::vector<double> storeRate;
    std::vector<double> measuredLatencies;
    std::vector<double> measuredAcks;
    const qint64 perRound = qint64(senders) * BurstPerSender * (clientCount - 1);
    for (int round = 0; round < WarmupRounds + rounds; ++round) {
        delivered = 0;
        acked = 0;
        latencies.clear();
        ackLatencies.clear();
        QElapsedTimer t;
        t.start();
        for (int k = 0; k < BurstPerSender; ++k) {
            for (int s = 0; s < senders; ++s) {
                const qint64 now = clock.nsecsElapsed();
                const qint64 seq = clients[size_t(s)]->sendToChannel(
                    QStringLiteral("#bench"), QStringLiteral("m %1 r%2").arg(now).arg(round));
                sentAt[seq] = now;
            }
        }
        if (!waitUntil([&] { return delivered >= perRound && acked >= senders * BurstPerSender; },
                       120000)) {
            std::fprintf(stderr, "bench_chat: round %d delivered %lld of %lld\n", round,
                         static_cast<long long>(delivered), static_cast<long long>(perRound));
            return 1;
        }
        const double seconds = double(t.nsecsElapsed()) / 1e9;
        std::fprintf(stderr, "round %d: %lld deliveries in %.3f s = %.0f msg/s\n", round,
                     static_cast<long long>(delivered), seconds, double(delivered) / seconds);
        if (round < WarmupRounds)
            continue;
        throughput.push_back(double(delivered) / seconds);
        storeRate.push_back(double(senders * BurstPerSender) / seconds);
        measuredLatencies.insert(measuredLatencies.end(), latencies.begin(), latencies.end());
        measuredAcks.insert(measuredAcks.end(), ackLatencies.begin(), ackLatencies.end());
    }

    bench("fanout_delivered_200clients", median(throughput), "msg/s");
    bench("delivery_latency_p50", percentile(measuredLatencies, 0.50), "ms");
    bench("delivery_latency_p99", percentile(measuredLatencies, 0.99), "ms");
    bench("ack_latency_p50", percentile(measuredAcks, 0.50), "ms");
    bench("ack_latency_p99", percentile(measuredAcks, 0.99), "ms");
    bench("stored_messages", median(storeRate), "msg/s");
    std::fprintf(stderr, "machine: %d cores (shared by server, clients and other jobs)\n",
                 QThread::idealThreadCount());

    clients.clear();
    server.terminate();
    return 0;
}
