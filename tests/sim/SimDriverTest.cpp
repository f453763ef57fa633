// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
// SimDriver: real ticks on a real timer at a fast rate, fed by a LocalInputQueue; it waits for
// batches that are not there yet, catches up after a stall, and stops.

#include <QSignalSpy>
#include <QTest>

#include "SimTestUtil.h"
#include "sim/SimDriver.h"

#include <mutex>

using namespace metatopia;
using namespace metatopia::sim;
using namespace metatopia::sim::test;

namespace {

// Hands out the local queue's batches only up to a limit the test moves.
class GatedSource final : public InputSource
{
public:
    std::optional<TickBatch> batchFor(std::uint64_t tick) override
    {
        {
            std::lock_guard lock(m_mutex);
            ++m_calls;
            if (tick > m_limit)
                return std::nullopt;
        }
        return m_queue.batchFor(tick);
    }
    void setLimit(std::uint64_t limit)
    {
        std::lock_guard lock(m_mutex);
        m_limit = limit;
    }
    LocalInputQueue &queue() { return m_queue; }
    std::uint64_t calls()
    {
        std::lock_guard lock(m_mutex);
        return m_calls;
    }

private:
    std::mutex m_mutex;
    std::uint64_t m_calls = 0;
    std::uint64_t m_limit = ~std::uint64_t(0);
    LocalInputQueue m_queue { 42 };
};

EngineConfig fastRegion(std::uint32_t tickRate)
{
    EngineConfig config;
    config.region.tickRate = tickRate;
    return config;
}

} // namespace

class SimDriverTest : public QObject
{
    Q_OBJECT

private slots:
    void ticksLiveAndRunsQueuedInputs();
    void waitsForBatchesThatAreNotAgreedYet();
    void stopEndsTicking();
};

void SimDriverTest::ticksLiveAndRunsQueuedInputs()
{
    TickEngine engine(fastRegion(200));
    GatedSource source;
    SimDriver driver(engine, source);
    QSignalSpy ticked(&driver, &SimDriver::ticked);
    source.queue().push(objectAt(10, 10, "set_text('up ' .. tick())", "box"));
    driver.start();
    QVERIFY(driver.running());
    QTRY_VERIFY_WITH_TIMEOUT(ticked.size() >= 20, 10000);

    // Every signal names the next tick and the hash the engine had after it.
    for (qsizetype i = 0; i < ticked.size(); ++i)
        QCOMPARE(ticked.at(i).at(0).toULongLong(), quint64(i + 1));
    QCOMPARE(ticked.last().at(1).toULongLong(), quint64(engine.stateHash()));
    const Object *box = engine.state()->objects.find(1);
    QVERIFY(box);
    QCOMPARE(box->text, std::string("up 1"));

    // An input pushed while it runs lands in a later tick.
    const std::uint64_t before = engine.tick();
    source.queue().push(objectAt(12, 10, {}, "second"));
    QTRY_VERIFY_WITH_TIMEOUT(engine.state()->objects.find(2) != nullptr, 10000);
    QVERIFY(engine.tick() > before);
    driver.stop();
}

void SimDriverTest::waitsForBatchesThatAreNotAgreedYet()
{
    TickEngine engine(fastRegion(500));
    GatedSource source;
    source.setLimit(5);
    SimDriver driver(engine, source);
    QSignalSpy ticked(&driver, &SimDriver::ticked);
    driver.start();
    QTRY_COMPARE_WITH_TIMEOUT(engine.tick(), std::uint64_t(5), 10000);
    // Held at tick 5 while no batch comes (bounded wait for a tick that must not happen),
    // asking now and then rather than in a busy loop (that would be tens of thousands of calls).
    const std::uint64_t callsBefore = source.calls();
    QVERIFY(!ticked.wait(100));
    QCOMPARE(engine.tick(), std::uint64_t(5));
    QVERIFY2(source.calls() - callsBefore < 1000, QByteArray::number(source.calls() - callsBefore));
    QVERIFY(driver.running());
    // Released: it catches up (the deadlines passed while it waited, so those ticks count as
    // late) and goes on.
    source.setLimit(40);
    QTRY_COMPARE_WITH_TIMEOUT(engine.tick(), std::uint64_t(40), 10000);
    QVERIFY(driver.lateTicks() > 0);
    driver.stop();
}

void SimDriverTest::stopEndsTicking()
{
    TickEngine engine(fastRegion(300));
    GatedSource source;
    SimDriver driver(engine, source);
    QSignalSpy ticked(&driver, &SimDriver::ticked);
    driver.start();
    QTRY_VERIFY_WITH_TIMEOUT(engine.tick() >= 3, 10000);
    driver.stop();
    QVERIFY(!driver.running());
    const std::uint64_t stopped = engine.tick();
    QVERIFY(!ticked.wait(100));
    QCOMPARE(engine.tick(), stopped);
    // And it can be started again, continuing from where it stopped.
    driver.start();
    QTRY_VERIFY_WITH_TIMEOUT(engine.tick() >= stopped + 3, 10000);
    driver.stop();
}

QTEST_GUILESS_MAIN(SimDriverTest)
#include "SimDriverTest.moc"
