// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// Hostile scripts: each is contained with a clear error naming the script and line, the VM is
// suspended, and another VM in the same process keeps working.

#include "script/ScriptVm.h"

#include <QTest>

using namespace metatopia;

namespace {

class NullHost final : public ScriptHost
{
public:
    std::vector<ScriptValue> call(std::string_view, std::span<const ScriptValue>) override
    {
        return {};
    }
};

} // namespace

class SandboxTest : public QObject
{
    Q_OBJECT

private slots:
    void hostile_data()
    {
        QTest::addColumn<QString>("source");
        QTest::addColumn<QString>("expected");
        QTest::newRow("infinite loop") << QStringLiteral("while true do end")
                                       << QStringLiteral("bad:1: instruction budget exceeded");
        QTest::newRow("loop that pcall catches") << QStringLiteral(
            "while true do pcall(function() while true do end end) end")
                                                 << QStringLiteral("instruction budget exceeded");
        QTest::newRow("loop inside a coroutine") << QStringLiteral(
            "local co = coroutine.create(function() while true do end end)\n"
            "print(coroutine.resume(co))")
                                                 << QStringLiteral("bad:1: instruction budget");
        QTest::newRow("string.rep bomb") << QStringLiteral("local s = string.rep('x', 1 << 40)")
                                         << QStringLiteral("too large");
        QTest::newRow("string.rep within memory")
            << QStringLiteral("local s = string.rep('x', 100000000)")
            << QStringLiteral("bad:1: memory limit of 4194304 bytes exceeded");
        QTest::newRow("huge concatenation")
            << QStringLiteral("local s = 'x'\nfor i = 1, 64 do s = s .. s end")
            << QStringLiteral("bad:2: string larger than the limit of 1048576 bytes");
        QTest::newRow("deep recursion")
            << QStringLiteral("local function f(n) return 1 + f(n + 1) end\nf(1)")
            << QStringLiteral("bad:1:");
        QTest::newRow("C stack recursion")
            << QStringLiteral("local t = setmetatable({}, {__index = function(t, k) return t[k] end})\n"
                              "return t.x")
            << QStringLiteral("stack overflow");
        QTest::newRow("pattern bomb")
            << QStringLiteral("local s = string.rep('a', 3000)\nreturn s:find('.-.-.-.-.-.-.-b')")
            << QStringLiteral("bad:2: pattern too complex");
        QTest::newRow("table bomb")
            << QStringLiteral("local t = {}\nfor i = 1, 1e9 do t[i] = {i} end")
            << QStringLiteral("bad:2: memory limit");
        QTest::newRow("memory caught by pcall")
            << QStringLiteral("local t = {}\nwhile true do pcall(function() t[#t + 1] = {} end) end")
            << QStringLiteral("memory limit");
        QTest::newRow("bytecode in load")
            << QStringLiteral("assert(load(string.char(27) .. 'Lua\\x54\\0'))")
            << QStringLiteral("attempt to load a binary chunk");
        QTest::newRow("error object") << QStringLiteral("error({})")
                                      << QStringLiteral("error object is a table value");
        QTest::newRow("syntax error") << QStringLiteral("x = = 1")
                                      << QStringLiteral("bad:1: unexpected symbol");
    }

    void hostile()
    {
        QFETCH(QString, source);
        QFETCH(QString, expected);
        NullHost host;
        ScriptVm bad(ScriptLimits{}, 1);
        ScriptVm good(ScriptLimits{}, 1);
        QVERIFY(!good.load("n = 0 function on_tick() n = n + 1 return n end", "good", host));
        const auto error = bad.load(source.toStdString(), "bad", host);
        QVERIFY(error.has_value());
        QVERIFY2(QString::fromStdString(*error).contains(expected), error->c_str());
        QVERIFY(bad.suspended());
        QVERIFY(bad.memoryUsed() <= bad.limits().memoryBytes);
        // The host and the other scripts keep running.
        std::vector<ScriptValue> results;
        QVERIFY(!good.call("on_tick", {}, host, &results));
        QCOMPARE(results.at(0), ScriptValue(1));
    }

    void budgetIsPerCall()
    {
        NullHost host;
        ScriptLimits limits;
        limits.instructionsPerCall = 100'000;
        ScriptVm vm(limits, 1);
        QVERIFY(!vm.load("function work(n) local s = 0 for i = 1, n do s = s + i end return s end",
                         "w", host));
        // 20 calls of ~40k instructions each: fine, because the budget renews per call.
        for (int i = 0; i < 20; ++i) {
            std::vector<ScriptValue> args{ScriptValue(10000)};
            QVERIFY(!vm.call("work", args, host));
        }
        std::vector<ScriptValue> args{ScriptValue(1000000)};
        const auto error = vm.call("work", args, host);
        QVERIFY(error && error->find("w:1: instruction budget exceeded") == 0);
    }

    void hostErrorsAreLuaErrors()
    {
        class Throwing final : public ScriptHost
        {
        public:
            std::vector<ScriptValue> call(std::string_view, std::span<const ScriptValue>) override
            {
                throw ScriptError{"no such object"};
            }
        } host;
        ScriptVm vm(ScriptLimits{}, 1);
        vm.setHostFunctions({"touch"});
        QVERIFY(!vm.load("ok, err = pcall(touch, 1)\nassert(not ok and err:find('no such object'))",
                         "h", host));
        const auto error = vm.load("touch(1)", "h2", host);
        QVERIFY(error && error->find("h2:1: no such object") == 0);
    }
};

QTEST_GUILESS_MAIN(SandboxTest)
#include "SandboxTest.moc"
