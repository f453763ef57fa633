// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// A VM's whole state serialises to the same bytes every time, and a VM restored from those
// bytes behaves exactly like the original from then on (same results, same pairs order, same
// next state hash).

#include "script/ScriptVm.h"

#include <QTest>

using namespace metatopia;

namespace {

class LogHost final : public ScriptHost
{
public:
    std::vector<std::string> log;
    std::vector<ScriptValue> call(std::string_view function, std::span<const ScriptValue> args) override
    {
        std::string line(function);
        for (const auto &a : args)
            if (const auto *s = std::get_if<std::string>(&a))
                line += " " + *s;
        log.push_back(line);
        return {};
    }
};

const char *const Script = R"lua(
    local objects = {}
    local byObject = {}
    local counter = 0
    local function make(name)
        counter = counter + 1
        local o = {name = name, n = counter, f = counter / 3}
        o.self = o -- a cycle
        objects[#objects + 1] = o
        byObject[o] = name -- keyed by table
        byObject[function() return o end] = counter -- keyed by function
        return o
    end
    for i = 1, 20 do make("o" .. i) end
    setmetatable(byObject, {__index = function(_, k) return "missing" end})
    function on_tick(extra)
        counter = counter + 1
        local order = {}
        for k, v in pairs(byObject) do
            if type(k) == "table" then order[#order + 1] = k.name .. "=" .. tostring(v) end
        end
        if counter % 3 == 0 then byObject[objects[counter % #objects + 1]] = nil end
        make("t" .. counter)
        local s = table.concat(order, ",") .. "|" .. string.format("%.6f", objects[1].f)
            .. "|" .. tostring(math.random(1000)) .. "|" .. tostring(byObject[{}])
        print(s)
        return s
    end
)lua";

} // namespace

class ScriptStateTest : public QObject
{
    Q_OBJECT

private slots:
    void sameStateSameBytes()
    {
        LogHost host;
        ScriptVm a(ScriptLimits{}, 9);
        ScriptVm b(ScriptLimits{}, 9);
        QVERIFY(!a.load(Script, "s", host));
        QVERIFY(!b.load(Script, "s", host));
        QCOMPARE(a.serialize(), a.serialize());
        QCOMPARE(a.serialize(), b.serialize());
        QCOMPARE(a.stateHash(), b.stateHash());
        QVERIFY(!a.call("on_tick", {}, host));
        QVERIFY(a.stateHash() != b.stateHash());
    }

    void restoredBehavesIdentically()
    {
        LogHost hostA;
        ScriptVm a(ScriptLimits{}, 9);
        a.setHostFunctions({"say"});
        QVERIFY(!a.load(Script, "s", hostA));
        for (int i = 0; i < 5; ++i)
            QVERIFY(!a.call("on_tick", {}, hostA));
        const QByteArray bytes = a.serialize();
        std::string error;
        auto b = ScriptVm::deserialize(bytes, ScriptLimits{}, &error);
        QVERIFY2(b, error.c_str());
        QCOMPARE(b->serialize(), bytes);
        QCOMPARE(b->stateHash(), a.stateHash());
        QCOMPARE(b->source(), a.source());
        LogHost hostB;
        for (int i = 0; i < 10; ++i) {
            std::vector<ScriptValue> ra, rb;
            QVERIFY(!a.call("on_tick", {}, hostA, &ra));
            QVERIFY(!b->call("on_tick", {}, hostB, &rb));
            QCOMPARE(rb, ra);
            QCOMPARE(b->stateHash(), a.stateHash());
        }
        QCOMPARE(hostB.log.size(), std::size_t(10));
    }

    void corruptInputIsRejected()
    {
        LogHost host;
        ScriptVm a(ScriptLimits{}, 9);
        QVERIFY(!a.load(Script, "s", host));
        const QByteArray bytes = a.serialize();
        std::string error;
        QVERIFY(!ScriptVm::deserialize(bytes.left(bytes.size() / 2), ScriptLimits{}, &error));
        QVERIFY(!error.empty());
        QVERIFY(!ScriptVm::deserialize(QByteArray("garbage"), ScriptLimits{}, &error));
        QByteArray flipped = bytes;
        for (qsizetype i = 64; i < flipped.size(); i += 97)
            flipped[i] = static_cast<char>(flipped[i] ^ 0x5a);
        auto vm = ScriptVm::deserialize(flipped, ScriptLimits{}, &error); // must not crash
        Q_UNUSED(vm);
    }

    void suspendedCoroutinesAreReported()
    {
        LogHost host;
        ScriptVm a(ScriptLimits{}, 9);
        QVERIFY(!a.load("co = coroutine.create(function() coroutine.yield(1) end) coroutine.resume(co)",
                        "c", host));
        const QByteArray bytes = a.serialize();
        QCOMPARE(bytes, a.serialize()); // still hashable and deterministic
        std::string error;
        QVERIFY(!ScriptVm::deserialize(bytes, ScriptLimits{}, &error));
        QVERIFY2(error.find("coroutine") != std::string::npos, error.c_str());
    }
};

QTEST_GUILESS_MAIN(ScriptStateTest)
#include "ScriptStateTest.moc"
