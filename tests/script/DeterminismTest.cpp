// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// The determinism corpus: the same scripts give identical output and identical VM-state hashes
// in separate processes (metatopia-lua --hash) and in several threads of one process, each with
// its own VM, all at the same time.

#include "script/ScriptVm.h"

#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <fstream>
#include <thread>

using namespace metatopia;

namespace {

struct Script
{
    const char *name;
    const char *source;
};

const Script corpus[] = {
    {"numeric", R"lua(
        local acc, x = 0, 0.5
        for i = 1, 20000 do
            x = (x * 3.7 + i / 7) % 1000
            acc = acc + math.sin(x) * math.sqrt(x + 1) - math.log(x + 2) / 3
            acc = acc % 100000
        end
        out = string.format("%.10f %.6e %g", acc, x, acc / 3)
        print(out, math.random(1, 1000000), math.random())
    )lua"},
    {"tables_keyed_by_tables", R"lua(
        local keys, t = {}, {}
        for i = 1, 500 do local k = {i} keys[i] = k t[k] = i t[function() return i end] = -i end
        for i = 1, 500, 3 do t[keys[i]] = nil end
        for i = 1, 200 do t[{}] = i end
        local order = {}
        for k, v in pairs(t) do order[#order + 1] = v end
        print(#order, table.concat(order, ",", 1, 40))
        print(tostring(keys[1]), tostring(keys[500]))
        state = t
    )lua"},
    {"coroutines", R"lua(
        local producers = {}
        for p = 1, 10 do
            producers[p] = coroutine.create(function()
                for i = 1, 100 do coroutine.yield(p * 1000 + i) end
            end)
        end
        local sum, log = 0, {}
        for round = 1, 50 do
            for p = 1, 10 do
                local _, v = coroutine.resume(producers[p]) sum = sum + v
                if round == 50 then log[#log + 1] = v end
            end
        end
        print(sum, table.concat(log, " "))
        keep = producers
    )lua"},
    {"string_building", R"lua(
        local parts = {}
        for i = 1, 3000 do parts[#parts + 1] = ("%d=%x;"):format(i, i * 31) .. ("ab"):rep(i % 5) end
        local s = table.concat(parts)
        local n = 0 for k, v in s:gmatch("(%d+)=(%x+)") do n = n + #k + #v end
        text = s:sub(1, 5000):gsub("a", "A")
        print(#s, n, text:sub(1, 60))
    )lua"},
    {"gc_heavy", R"lua(
        local live = {}
        for i = 1, 30000 do
            local t = {i, tostring(i), {i * 2}}
            if i % 97 == 0 then live[#live + 1] = t end
        end
        collectgarbage() collectgarbage("step")
        local s = 0 for _, t in ipairs(live) do s = s + t[3][1] end
        print(#live, s)
        kept = live
    )lua"},
};

class Quiet final : public ScriptHost
{
public:
    std::string printed;
    std::vector<ScriptValue> call(std::string_view, std::span<const ScriptValue> args) override
    {
        printed += std::get<std::string>(args[0]) + "\n";
        return {};
    }
};

std::string runInProcess(const char *source, const char *name)
{
    ScriptVm vm(ScriptLimits{}, 0);
    Quiet host;
    if (auto error = vm.load(source, name, host))
        return "error: " + *error;
    char hash[17];
    std::snprintf(hash, sizeof hash, "%016llx", static_cast<unsigned long long>(vm.stateHash()));
    return host.printed + hash + "\n";
}

} // namespace

class DeterminismTest : public QObject
{
    Q_OBJECT

private slots:
    void processesAndThreadsAgree()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString runner = QStringLiteral(METATOPIA_BIN_DIR "/metatopia-lua");
        for (const Script &script : corpus) {
            const QString file = dir.filePath(QString::fromLatin1(script.name) + QStringLiteral(".lua"));
            std::ofstream(file.toStdString()) << script.source;
            QStringList outputs;
            for (int run = 0; run < 2; ++run) {
                QProcess p;
                p.start(runner, {QStringLiteral("--hash"), file});
                QVERIFY(p.waitForFinished(60000));
                QCOMPARE(p.exitCode(), 0);
                outputs << QString::fromUtf8(p.readAllStandardOutput());
            }
            QCOMPARE(outputs[0], outputs[1]);

            // Four threads, each with its own VM, running concurrently.
            std::vector<std::string> results(4);
            std::vector<std::thread> threads;
            for (std::size_t i = 0; i < results.size(); ++i)
                threads.emplace_back([&, i] {
                    results[i] = runInProcess(script.source, (std::string(script.name) + ".lua").c_str());
                });
            for (auto &t : threads)
                t.join();
            for (const auto &r : results)
                QCOMPARE(QString::fromStdString(r), outputs[0]);
            QVERIFY2(!outputs[0].startsWith(QStringLiteral("error")), qPrintable(outputs[0]));
        }
    }
};

QTEST_GUILESS_MAIN(DeterminismTest)
#include "DeterminismTest.moc"
