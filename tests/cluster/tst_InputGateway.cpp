// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "cluster/ActionBatch.h"
#include "cluster/ActionDeduper.h"
#include "cluster/BatchBuilder.h"

#include <QRandomGenerator>
#include <QTest>

using namespace metatopia::cluster;

namespace {

Action action(quint64 client, quint64 seq)
{
    return { { client, seq },
        QByteArray("a") + QByteArray::number(client) + '/' + QByteArray::number(seq) };
}

} // namespace

class TestInputGateway : public QObject
{
    Q_OBJECT

private slots:
    void batchRoundTrips()
    {
        ActionBatch batch;
        batch.actions = { action(1, 1), action(2, 7), { { 3, 9 }, QByteArray() }, action(1, 2) };
        const QByteArray bytes = batch.encode();
        const auto decoded = ActionBatch::decode(bytes);
        QVERIFY(decoded.has_value());
        QVERIFY(decoded->actions == batch.actions);
        // Encoding is a pure function of the actions: same bytes on every replica.
        QCOMPARE(decoded->encode(), bytes);
        QVERIFY(ActionBatch::decode(ActionBatch {}.encode()).has_value());
    }

    void malformedBatchesAreRejected()
    {
        ActionBatch batch;
        batch.actions = { action(1, 1), action(2, 2) };
        const QByteArray bytes = batch.encode();
        for (qsizetype cut = 0; cut < bytes.size(); ++cut)
            QVERIFY2(!ActionBatch::decode(bytes.left(cut)).has_value(),
                qPrintable(QString::number(cut)));
        QVERIFY(!ActionBatch::decode(bytes + 'x').has_value());
        QByteArray badVersion = bytes;
        badVersion[0] = 9;
        QVERIFY(!ActionBatch::decode(badVersion).has_value());
        // A count the input cannot possibly hold must not make the decoder reserve memory for it.
        QByteArray hugeCount = bytes;
        hugeCount[1] = hugeCount[2] = hugeCount[3] = '\xff';
        hugeCount[4] = '\x00';
        QVERIFY(!ActionBatch::decode(hugeCount).has_value());
        auto *random = QRandomGenerator::global();
        for (int i = 0; i < 2000; ++i) {
            QByteArray junk(int(random->bounded(64)), Qt::Uninitialized);
            for (char &c : junk)
                c = char(random->bounded(256));
            ActionBatch::decode(junk); // must not crash; usually nullopt
        }
    }

    void deduperAppliesEachActionOnce()
    {
        ActionDeduper deduper;
        QCOMPARE(deduper.accept({ 1, 1 }), ActionDeduper::Verdict::Fresh);
        QCOMPARE(deduper.accept({ 1, 1 }), ActionDeduper::Verdict::Duplicate);
        // Out of order: 3 before 2, both fresh once, then the floor moves past both.
        QCOMPARE(deduper.accept({ 1, 3 }), ActionDeduper::Verdict::Fresh);
        QCOMPARE(deduper.floor(1), quint64(1));
        QCOMPARE(deduper.accept({ 1, 2 }), ActionDeduper::Verdict::Fresh);
        QCOMPARE(deduper.floor(1), quint64(3));
        QCOMPARE(deduper.accept({ 1, 2 }), ActionDeduper::Verdict::Duplicate);
        QCOMPARE(deduper.accept({ 1, 3 }), ActionDeduper::Verdict::Duplicate);
        // Clients are independent.
        QCOMPARE(deduper.accept({ 2, 1 }), ActionDeduper::Verdict::Fresh);
        QVERIFY(deduper.wasApplied({ 2, 1 }));
        QVERIFY(!deduper.wasApplied({ 2, 2 }));
        // A client cannot make every replica remember an unbounded set.
        QCOMPARE(deduper.accept({ 1, 3 + ActionDeduper::Window + 1 }),
            ActionDeduper::Verdict::OutOfWindow);
        QCOMPARE(
            deduper.accept({ 5, ActionDeduper::Window + 1 }), ActionDeduper::Verdict::OutOfWindow);
        QCOMPARE(deduper.clientCount(), size_t(2));
    }

    void deduperSnapshotRoundTrips()
    {
        ActionDeduper deduper;
        for (quint64 seq : { 1, 2, 5, 9, 7 })
            deduper.accept({ 4, seq });
        deduper.accept({ 2, 1 });
        const QByteArray bytes = deduper.serialize();
        const auto copy = ActionDeduper::deserialize(bytes);
        QVERIFY(copy.has_value());
        QVERIFY(*copy == deduper);
        QCOMPARE(copy->serialize(), bytes);
        // The copy answers like the original (this is what a restored replica relies on).
        ActionDeduper a = deduper;
        ActionDeduper b = *copy;
        for (quint64 seq = 1; seq < 12; ++seq)
            QCOMPARE(a.accept({ 4, seq }), b.accept({ 4, seq }));
        for (qsizetype cut = 0; cut < bytes.size(); ++cut)
            QVERIFY(!ActionDeduper::deserialize(bytes.left(cut)).has_value());
    }

    void builderQueuesBatchesAndAcksOnlyCommitted()
    {
        BatchBuilder builder(2);
        QCOMPARE(builder.offer(action(1, 1)), BatchBuilder::Offer::Queued);
        QCOMPARE(builder.offer(action(1, 2)), BatchBuilder::Offer::Queued);
        QCOMPARE(builder.offer(action(2, 1)), BatchBuilder::Offer::Queued);
        // A resend while queued is not queued twice.
        QCOMPARE(builder.offer(action(1, 1)), BatchBuilder::Offer::AlreadyPending);

        const QByteArray first = builder.takeBatch();
        const auto firstBatch = ActionBatch::decode(first);
        QVERIFY(firstBatch.has_value());
        QCOMPARE(firstBatch->actions.size(), size_t(2)); // capped at maxActionsPerBatch
        QCOMPARE(firstBatch->actions[0].key, (ActionKey { 1, 1 }));
        QCOMPARE(builder.inFlightCount(), size_t(2));
        // A resend while in flight is not proposed again either.
        QCOMPARE(builder.offer(action(1, 2)), BatchBuilder::Offer::AlreadyPending);

        const QByteArray second = builder.takeBatch();
        QVERIFY(builder.takeBatch().isEmpty());

        // Acks come from commits only, and name exactly the batch's actions.
        const auto acked = builder.noteCommitted(first);
        QCOMPARE(acked, (std::vector<ActionKey> { { 1, 1 }, { 1, 2 } }));
        QCOMPARE(builder.inFlightCount(), size_t(1));
        QCOMPARE(builder.offer(action(1, 1)), BatchBuilder::Offer::AlreadyCommitted);

        // Leadership lost with the second batch in flight: it is queued again, in order.
        builder.requeueInFlight();
        QCOMPARE(builder.queuedCount(), size_t(1));
        const auto again = ActionBatch::decode(builder.takeBatch());
        QVERIFY(again.has_value());
        QCOMPARE(again->actions[0].key, (ActionKey { 2, 1 }));
        Q_UNUSED(second);
    }

    void builderHandsOverUnacknowledged()
    {
        BatchBuilder builder(10, 3);
        QCOMPARE(builder.offer(action(1, 1)), BatchBuilder::Offer::Queued);
        const QByteArray batch = builder.takeBatch();
        QCOMPARE(builder.offer(action(1, 2)), BatchBuilder::Offer::Queued);
        QCOMPARE(builder.offer(action(1, 3)), BatchBuilder::Offer::Queued);
        QCOMPARE(builder.offer(action(1, 4)), BatchBuilder::Offer::Full);
        const auto handed = builder.takeUnacknowledged();
        QCOMPARE(handed.size(), size_t(3));
        QCOMPARE(handed[0].key, (ActionKey { 1, 1 })); // in flight first
        QCOMPARE(builder.queuedCount() + builder.inFlightCount(), size_t(0));
        // The failed proposal of a batch can be abandoned for resending elsewhere.
        QCOMPARE(builder.offer(action(1, 1)), BatchBuilder::Offer::Queued);
        const QByteArray retry = builder.takeBatch();
        QCOMPARE(builder.abandonBatch(retry), (std::vector<ActionKey> { { 1, 1 } }));
        QCOMPARE(builder.offer(action(1, 1)), BatchBuilder::Offer::Queued);
        Q_UNUSED(batch);
    }

    void resendAfterFailoverIsAppliedOnce()
    {
        // The scenario the pieces exist for: an action proposed by a leader that died may or may
        // not have committed; the client resends it to the new leader; every replica's deduper
        // applies it once whichever of the two copies commits first.
        BatchBuilder oldLeader;
        BatchBuilder newLeader;
        oldLeader.offer(action(1, 1));
        const QByteArray lost = oldLeader.takeBatch();
        newLeader.offer(action(1, 1));
        newLeader.offer(action(1, 2));
        const QByteArray resent = newLeader.takeBatch();

        ActionDeduper replica;
        int applied = 0;
        for (const QByteArray &bytes : { lost, resent }) {
            const auto batch = ActionBatch::decode(bytes);
            QVERIFY(batch.has_value());
            for (const Action &a : batch->actions)
                applied += replica.accept(a.key) == ActionDeduper::Verdict::Fresh ? 1 : 0;
        }
        QCOMPARE(applied, 2);
        QCOMPARE(newLeader.noteCommitted(lost), (std::vector<ActionKey> { { 1, 1 } }));
        QCOMPARE(newLeader.noteCommitted(resent).size(), size_t(2));
        QCOMPARE(newLeader.inFlightCount(), size_t(0));
    }
};

QTEST_GUILESS_MAIN(TestInputGateway)
#include "tst_InputGateway.moc"
