// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
// ScriptVm::dispatch: several events delivered in one entry into the VM behave like one call()
// per event: handlers looked up each time, a missing one skipped, each with its own instruction
// budget, the first error suspends and ends the batch; the handler names survive a restore.

#include <QTest>

#include "script/ScriptVm.h"

using namespace metatopia;

namespace {

class RecordingHost final : public ScriptHost
{
public:
    std::vector<ScriptValue> call(
        std::string_view function, std::span<const ScriptValue> args) override
    {
        if (function == "note" && !args.empty())
            if (const auto *s = std::get_if<std::string>(&args[0]))
                notes.push_back(*s);
        return {};
    }
    std::vector<std::string> notes;
};

const std::vector<std::string> Handlers { "on_a", "on_b", "on_c" };

std::unique_ptr<ScriptVm> makeVm(const char *source, ScriptHost &host, ScriptLimits limits = {})
{
    auto vm = std::make_unique<ScriptVm>(limits, 7);
    vm->setHostFunctions({ "note" });
    vm->setEventHandlers(Handlers);
    if (auto error = vm->load(source, "test", host))
        qWarning() << error->c_str();
    return vm;
}

} // namespace

class DispatchTest : public QObject
{
    Q_OBJECT

private slots:
    void callsHandlersInOrderAndSkipsMissingOnes();
    void handlerRedefinedMidBatchIsUsed();
    void eachHandlerHasItsOwnBudget();
    void errorSuspendsAndEndsTheBatch();
    void restoredVmDispatchesAlike();
};

void DispatchTest::callsHandlersInOrderAndSkipsMissingOnes()
{
    RecordingHost host;
    auto vm = makeVm(
        "function on_a(x) note('a' .. x) end function on_c(x, y) note('c' .. x .. y) end", host);
    const std::vector<ScriptValue> one { ScriptValue(std::int64_t(1)) };
    const std::vector<ScriptValue> two { ScriptValue("x"), ScriptValue("y") };
    const std::vector<ScriptVm::Event> events { { 0, one }, { 1, one }, { 2, two }, { 0, two },
        { 9, one } };
    std::size_t called = 0;
    QVERIFY(!vm->dispatch(events, host, &called));
    QCOMPARE(called, std::size_t(3)); // on_b is missing, 9 is no handler
    QCOMPARE(host.notes, (std::vector<std::string> { "a1", "cxy", "ax" }));
    QVERIFY(!vm->suspended());
}

void DispatchTest::handlerRedefinedMidBatchIsUsed()
{
    RecordingHost host;
    auto vm = makeVm(R"(
function on_a() note('first') on_a = function() note('second') end end
function on_b() on_c = function() note('c appeared') end end)",
        host);
    const std::vector<ScriptVm::Event> events { { 0, {} }, { 2, {} }, { 1, {} }, { 0, {} },
        { 2, {} } };
    QVERIFY(!vm->dispatch(events, host));
    QCOMPARE(host.notes, (std::vector<std::string> { "first", "second", "c appeared" }));
}

void DispatchTest::eachHandlerHasItsOwnBudget()
{
    // The smallest budget one call of the handler fits in (found by bisection): four calls in
    // one batch must fit in it too, which they would not if the batch shared one budget.
    const char *source
        = "function on_a() local s = 0 for i = 1, 300 do s = s + i end note('' .. s) end";
    RecordingHost host;
    const std::vector<ScriptVm::Event> single { { 0, {} } };
    const auto fits = [&](std::int64_t budget) {
        ScriptLimits limits;
        limits.instructionsPerCall = budget;
        auto vm = makeVm(source, host, limits);
        return !vm->dispatch(single, host);
    };
    std::int64_t low = 1, high = 1000000; // !fits(low), fits(high)
    QVERIFY(fits(high));
    while (high - low > 1) {
        const std::int64_t mid = (low + high) / 2;
        (fits(mid) ? high : low) = mid;
    }
    QVERIFY(high > 300);
    ScriptLimits limits;
    limits.instructionsPerCall = high;
    auto vm = makeVm(source, host, limits);
    host.notes.clear();
    std::vector<ScriptVm::Event> events(4, ScriptVm::Event { 0, {} });
    QVERIFY(!vm->dispatch(events, host));
    QCOMPARE(host.notes, std::vector<std::string>(4, "45150"));

    // A handler that loops forever still stops at its own budget.
    limits.instructionsPerCall = 20000;
    auto looping = makeVm("function on_a() note('start') while true do end end", host, limits);
    host.notes.clear();
    const auto error = looping->dispatch(events, host);
    QVERIFY(error);
    QVERIFY2(error->find("instruction budget") != std::string::npos, error->c_str());
    QCOMPARE(host.notes, std::vector<std::string> { "start" });
}

void DispatchTest::errorSuspendsAndEndsTheBatch()
{
    RecordingHost host;
    auto vm = makeVm("function on_a(x) note('a') if x then error('boom') end end", host);
    const std::vector<ScriptValue> yes { ScriptValue(true) };
    const std::vector<ScriptVm::Event> events { { 0, {} }, { 0, yes }, { 0, {} } };
    std::size_t called = 0;
    const auto error = vm->dispatch(events, host, &called);
    QVERIFY(error);
    QVERIFY2(error->find("test:1: boom") != std::string::npos, error->c_str());
    QCOMPARE(called, std::size_t(1));
    QCOMPARE(host.notes, (std::vector<std::string> { "a", "a" }));
    QVERIFY(vm->suspended());
    // A suspended VM takes no more events.
    QVERIFY(vm->dispatch(events, host));
    QCOMPARE(host.notes.size(), std::size_t(2));
}

void DispatchTest::restoredVmDispatchesAlike()
{
    RecordingHost host;
    auto vm = makeVm("n = 0 function on_b(k) n = n + k note('n=' .. n) end", host);
    const std::vector<ScriptValue> three { ScriptValue(std::int64_t(3)) };
    const std::vector<ScriptVm::Event> events { { 1, three } };
    QVERIFY(!vm->dispatch(events, host));
    std::string error;
    auto copy = ScriptVm::deserialize(vm->serialize(), ScriptLimits {}, &error);
    QVERIFY2(copy, error.c_str());
    QCOMPARE(copy->stateHash(), vm->stateHash());
    QVERIFY(!vm->dispatch(events, host));
    QVERIFY(!copy->dispatch(events, host));
    QCOMPARE(host.notes, (std::vector<std::string> { "n=3", "n=6", "n=6" }));
    QCOMPARE(copy->stateHash(), vm->stateHash());
}

QTEST_GUILESS_MAIN(DispatchTest)
#include "DispatchTest.moc"
