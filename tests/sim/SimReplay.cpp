// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
// sim_replay: replays a recorded input log through a TickEngine in its own process, so tests can
// compare state hashes across processes, thread counts and snapshot/restore.
//
//   sim_replay generate --out LOG [--objects N] [--avatars N] [--ticks T] [--seed S]
//   sim_replay run --log LOG [--threads K] [--until T] [--hashes FILE]
//                  [--snapshot-at K --snapshot FILE] [--restore FILE]
// `run` prints "final <tick> <hash> chain <hash of all tick hashes>" on stdout.

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QFile>
#include <QTextStream>

#include "BusyWorld.h"
#include "sim/Hash.h"
#include "sim/TickEngine.h"

#include <cstdio>

using namespace metatopia::sim;

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    parser.addHelpOption();
    parser.addPositionalArgument(QStringLiteral("command"), QStringLiteral("generate or run"));
    const QCommandLineOption out(
        QStringLiteral("out"), QStringLiteral("log to write"), QStringLiteral("file"));
    const QCommandLineOption objects(QStringLiteral("objects"), QStringLiteral("scripted objects"),
        QStringLiteral("n"), QStringLiteral("2000"));
    const QCommandLineOption avatars(QStringLiteral("avatars"), QStringLiteral("avatars"),
        QStringLiteral("n"), QStringLiteral("20"));
    const QCommandLineOption ticks(QStringLiteral("ticks"), QStringLiteral("ticks"),
        QStringLiteral("n"), QStringLiteral("300"));
    const QCommandLineOption seed(QStringLiteral("seed"), QStringLiteral("generator seed"),
        QStringLiteral("n"), QStringLiteral("1"));
    const QCommandLineOption log(
        QStringLiteral("log"), QStringLiteral("log to replay"), QStringLiteral("file"));
    const QCommandLineOption threads(QStringLiteral("threads"), QStringLiteral("worker threads"),
        QStringLiteral("n"), QStringLiteral("1"));
    const QCommandLineOption until(
        QStringLiteral("until"), QStringLiteral("last tick to run"), QStringLiteral("n"));
    const QCommandLineOption hashes(
        QStringLiteral("hashes"), QStringLiteral("write per-tick hashes"), QStringLiteral("file"));
    const QCommandLineOption snapshotAt(QStringLiteral("snapshot-at"),
        QStringLiteral("snapshot after this tick"), QStringLiteral("n"));
    const QCommandLineOption snapshot(
        QStringLiteral("snapshot"), QStringLiteral("snapshot file"), QStringLiteral("file"));
    const QCommandLineOption restore(
        QStringLiteral("restore"), QStringLiteral("start from a snapshot"), QStringLiteral("file"));
    parser.addOptions({ out, objects, avatars, ticks, seed, log, threads, until, hashes, snapshotAt,
        snapshot, restore });
    parser.process(app);
    const QStringList args = parser.positionalArguments();
    QTextStream err(stderr);

    if (args.value(0) == QStringLiteral("generate")) {
        test::BusyWorldOptions options;
        options.objects = parser.value(objects).toInt();
        options.avatars = parser.value(avatars).toInt();
        options.ticks = parser.value(ticks).toULongLong();
        options.seed = parser.value(seed).toULongLong();
        if (!parser.isSet(out) || options.objects <= 0) {
            err << "generate needs --out and --objects > 0\n";
            return 2;
        }
        return test::writeInputLog(parser.value(out), test::generateBusyWorld(options)) ? 0 : 1;
    }
    if (args.value(0) != QStringLiteral("run") || !parser.isSet(log)) {
        parser.showHelp(2);
    }

    std::string error;
    const auto batches = test::readInputLog(parser.value(log), &error);
    if (!batches) {
        err << QString::fromStdString(error) << "\n";
        return 1;
    }
    const int threadCount = parser.value(threads).toInt();
    std::unique_ptr<TickEngine> engine;
    if (parser.isSet(restore)) {
        engine = TickEngine::loadSnapshot(parser.value(restore), threadCount, &error);
        if (!engine) {
            err << QString::fromStdString(error) << "\n";
            return 1;
        }
    } else {
        EngineConfig config;
        config.threads = threadCount;
        engine = std::make_unique<TickEngine>(config);
    }
    const std::uint64_t last
        = parser.isSet(until) ? parser.value(until).toULongLong() : batches->size();
    QFile hashFile;
    if (parser.isSet(hashes)) {
        hashFile.setFileName(parser.value(hashes));
        if (!hashFile.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
            err << "cannot write hashes\n";
            return 1;
        }
    }
    std::uint64_t chain = 0;
    for (const TickBatch &batch : *batches) {
        if (batch.tick <= engine->tick())
            continue;
        if (batch.tick > last)
            break;
        engine->step(batch);
        chain = hashCombine(chain, engine->stateHash());
        if (hashFile.isOpen())
            hashFile.write(QByteArray::number(quint64(engine->tick())) + ' '
                + QByteArray::number(quint64(engine->stateHash()), 16) + '\n');
        if (parser.isSet(snapshotAt) && engine->tick() == parser.value(snapshotAt).toULongLong()) {
            if (auto e = engine->saveSnapshot(parser.value(snapshot))) {
                err << QString::fromStdString(*e) << "\n";
                return 1;
            }
        }
    }
    std::printf("final %llu %016llx chain %016llx\n",
        static_cast<unsigned long long>(engine->tick()),
        static_cast<unsigned long long>(engine->stateHash()),
        static_cast<unsigned long long>(chain));
    return 0;
}
