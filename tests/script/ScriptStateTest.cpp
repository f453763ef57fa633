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

const char *const Coroutines = R"lua(
    local function inner(...)
        local n = select("#", ...)
        return coroutine.yield(...), n
    end
    gen = coroutine.create(function(total, step)
        local names = {}
        peek = function() return total end -- 'total' stays an open upvalue while suspended
        poke = function(v) total = v end
        for i = 1, 1000 do
            total = total + step * i
            names[#names + 1] = "n" .. i
            local got, n = inner(total, i / 4, #names, names[#names])
            if got then step = got / 2 end
            total = total + n
        end
        return "done"
    end)
    fresh = coroutine.create(function(x) return x * 2 end)
    finished = coroutine.create(function() return 1 end)
    coroutine.resume(finished)
    failed = coroutine.create(function()
        local kept = 41
        keptf = function() kept = kept + 1 return kept end
        error("boom")
    end)
    coroutine.resume(failed)
    coroutine.resume(gen, 10, 3)
    function on_step(x)
        local ok, a, b, c, d = coroutine.resume(gen, x)
        return table.concat({tostring(ok), tostring(a), tostring(b), tostring(c), tostring(d),
            tostring(peek()), coroutine.status(gen), math.random(100)}, ":")
    end
    function on_poke(v)
        poke(v)
        return peek()
    end
    function on_status()
        local s = table.concat({coroutine.status(gen), coroutine.status(finished),
            coroutine.status(failed), coroutine.status(fresh)}, " ")
        local ok, msg = coroutine.close(failed)
        local fok, fx = coroutine.resume(fresh, keptf())
        return s .. "|" .. tostring(ok) .. ":" .. tostring(msg) .. "|" .. tostring(fok and fx == 84)
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

    // Damaged coroutine states (truncated anywhere, single bytes changed) are refused or
    // restored, never crash, and a restored one can still be called safely.
    void corruptCoroutineStateIsSafe()
    {
        LogHost host;
        ScriptVm a(ScriptLimits{}, 3);
        QVERIFY(!a.load(Coroutines, "co", host));
        const QByteArray bytes = a.serialize();
        std::string error;
        for (qsizetype n = 0; n < bytes.size(); n += 13)
            QVERIFY(!ScriptVm::deserialize(bytes.left(n), ScriptLimits{}, &error));
        int restored = 0;
        for (qsizetype i = 8; i < bytes.size(); i += 11) {
            QByteArray flipped = bytes;
            flipped[i] = static_cast<char>(flipped[i] ^ (1 << (i % 8)));
            auto vm = ScriptVm::deserialize(flipped, ScriptLimits{}, &error);
            if (vm) {
                ++restored;
                std::vector<ScriptValue> out;
                for (int k = 0; k < 3; ++k)
                    vm->call("on_step", std::vector<ScriptValue>{k}, host, &out); // may fail, not crash
            }
        }
        QVERIFY(restored > 0); // most flips hit values, which restore fine
    }

    // A generator suspended mid-loop (nested Lua frames, a vararg frame, locals, a local
    // shared with closures as an open upvalue), a fresh, a finished and a failed coroutine:
    // restored into a fresh VM, every resume yields the same values and leaves the same state.
    void suspendedCoroutinesRestore()
    {
        LogHost hostA;
        ScriptVm a(ScriptLimits{}, 5);
        QVERIFY(!a.load(Coroutines, "co", hostA));
        for (int i = 0; i < 3; ++i) {
            const std::vector<ScriptValue> args{i};
            QVERIFY(!a.call("on_step", args, hostA));
        }
        const QByteArray bytes = a.serialize();
        QCOMPARE(a.serialize(), bytes);
        std::string error;
        auto b = ScriptVm::deserialize(bytes, ScriptLimits{}, &error);
        QVERIFY2(b, error.c_str());
        QCOMPARE(b->serialize(), bytes);
        QCOMPARE(b->stateHash(), a.stateHash());
        LogHost hostB;
        std::vector<ScriptValue> first;
        for (int i = 0; i < 12; ++i) {
            std::vector<ScriptValue> ra, rb;
            const char *handler = i % 4 == 3 ? "on_poke" : "on_step";
            const std::vector<ScriptValue> args{i * 7};
            const auto ea = a.call(handler, args, hostA, &ra);
            const auto eb = b->call(handler, args, hostB, &rb);
            QVERIFY2(!ea, ea ? ea->c_str() : "");
            QVERIFY2(!eb, eb ? eb->c_str() : "");
            QCOMPARE(rb, ra);
            QCOMPARE(b->stateHash(), a.stateHash());
            QCOMPARE(b->serialize(), a.serialize());
            if (first.empty())
                first = ra;
            // A restored copy of the restored VM is still the same.
            if (i == 5) {
                auto c = ScriptVm::deserialize(b->serialize(), ScriptLimits{}, &error);
                QVERIFY2(c, error.c_str());
                QCOMPARE(c->serialize(), a.serialize());
                b = std::move(c);
            }
        }
        // The generator really yielded values from its loop, and status reports were made.
        QVERIFY(!first.empty());
        QVERIFY(std::get<std::string>(first[0]).find("true:") == 0);
        std::vector<ScriptValue> sa, sb;
        QVERIFY(!a.call("on_status", {}, hostA, &sa));
        QVERIFY(!b->call("on_status", {}, hostB, &sb));
        QCOMPARE(sb, sa);
        QCOMPARE(sa.at(0), ScriptValue("suspended dead dead suspended|false:co:25: boom|true"));
        QCOMPARE(b->stateHash(), a.stateHash());
    }

    void unsupportedCoroutinesAreReported()
    {
        LogHost host;
        ScriptVm a(ScriptLimits{}, 9);
        QVERIFY(!a.load("co = coroutine.create(function() pcall(coroutine.yield, 1) end) coroutine.resume(co)",
                        "c", host));
        const QByteArray bytes = a.serialize();
        QCOMPARE(bytes, a.serialize()); // still hashable and deterministic
        std::string error;
        QVERIFY(!ScriptVm::deserialize(bytes, ScriptLimits{}, &error));
        QVERIFY2(error.find("pcall") != std::string::npos, error.c_str());

        ScriptVm w(ScriptLimits{}, 9);
        QVERIFY(!w.load("g = coroutine.wrap(function() coroutine.yield(1) end) g()", "w", host));
        QCOMPARE(w.serialize(), w.serialize());
        QVERIFY(!ScriptVm::deserialize(w.serialize(), ScriptLimits{}, &error));
        QVERIFY2(error.find("coroutine.wrap") != std::string::npos, error.c_str());
    }
};

QTEST_GUILESS_MAIN(ScriptStateTest)
#include "ScriptStateTest.moc"
