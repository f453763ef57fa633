// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "ui/MessageListModel.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QTest>

using namespace metatopia;

namespace {

ChatMessage message(qint64 id, const QString &from, const QString &text, qint64 ts = 0)
{
    ChatMessage m;
    m.id = id;
    m.channel = QStringLiteral("#general");
    m.from = from;
    m.to = QStringLiteral("#general");
    m.text = text;
    m.timestampMs = ts != 0 ? ts : 1'700'000'000'000 + id * 1000;
    return m;
}

ChatMessage pending(qint64 clientSeq, const QString &from, const QString &text)
{
    ChatMessage m = message(0, from, text, 1'700'000'000'000 + 999'000);
    m.pending = true;
    m.clientSeq = clientSeq;
    return m;
}

QList<qint64> ids(const MessageListModel &model)
{
    QList<qint64> out;
    for (int row = 0; row < model.rowCount(); ++row)
        out.append(model.data(model.index(row), MessageListModel::IdRole).toLongLong());
    return out;
}

QStringList texts(const MessageListModel &model)
{
    QStringList out;
    for (int row = 0; row < model.rowCount(); ++row)
        out.append(model.data(model.index(row), MessageListModel::TextRole).toString());
    return out;
}

} // namespace

class TestMessageListModel : public QObject
{
    Q_OBJECT

private slots:
    void liveMessagesAppendInIdOrder()
    {
        MessageListModel model;
        QAbstractItemModelTester tester(&model);
        QSignalSpy countSpy(&model, &MessageListModel::countChanged);
        QVERIFY(model.addMessage(message(1, QStringLiteral("alice"), QStringLiteral("hi"))));
        QVERIFY(model.addMessage(message(3, QStringLiteral("bob"), QStringLiteral("three"))));
        // Arrives late (another replica's path): still goes between 1 and 3.
        QVERIFY(model.addMessage(message(2, QStringLiteral("bob"), QStringLiteral("two"))));
        QCOMPARE(ids(model), (QList<qint64> { 1, 2, 3 }));
        QCOMPARE(model.count(), 3);
        QCOMPARE(countSpy.count(), 3);
        // The same id again (a re-join after reconnect serves it again) is not shown twice.
        QVERIFY(!model.addMessage(message(2, QStringLiteral("bob"), QStringLiteral("two"))));
        QCOMPARE(model.count(), 3);
        QCOMPARE(model.oldestId(), 1);
    }

    void rolesAndGrouping()
    {
        MessageListModel model;
        model.setSelfUser(QStringLiteral("alice"));
        model.addMessage(message(1, QStringLiteral("alice"), QStringLiteral("a")));
        model.addMessage(message(2, QStringLiteral("alice"), QStringLiteral("b")));
        model.addMessage(message(3, QStringLiteral("bob"), QStringLiteral("c")));
        const auto role = [&](int row, int r) { return model.data(model.index(row), r); };
        QCOMPARE(role(0, MessageListModel::FromRole).toString(), QStringLiteral("alice"));
        QVERIFY(role(0, MessageListModel::OwnRole).toBool());
        QVERIFY(!role(2, MessageListModel::OwnRole).toBool());
        QVERIFY(role(0, MessageListModel::FirstOfGroupRole).toBool());
        QVERIFY(!role(1, MessageListModel::FirstOfGroupRole).toBool());
        QVERIFY(role(2, MessageListModel::FirstOfGroupRole).toBool());
        QVERIFY(!role(0, MessageListModel::TimeTextRole).toString().isEmpty());
        QCOMPARE(role(0, MessageListModel::TimestampRole).toDateTime().toMSecsSinceEpoch(),
            1'700'000'001'000);
        const QHash<int, QByteArray> names = model.roleNames();
        QCOMPARE(names.value(MessageListModel::PendingRole), QByteArray("pending"));
        QCOMPARE(names.value(MessageListModel::TextRole), QByteArray("text"));

        // Renaming ourselves re-evaluates "own" for every row.
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        model.setSelfUser(QStringLiteral("bob"));
        QCOMPARE(changed.count(), 1);
        QVERIFY(role(2, MessageListModel::OwnRole).toBool());
    }

    void historyPrependsOlderPageInOneInsert()
    {
        MessageListModel model;
        QAbstractItemModelTester tester(&model);
        for (qint64 id = 50; id <= 52; ++id)
            model.addMessage(message(id, QStringLiteral("bob"), QStringLiteral("m%1").arg(id)));
        model.setLoadingHistory(true);

        QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
        QList<ChatMessage> page;
        // Pages may come newest first; the model sorts them.
        for (qint64 id = 49; id >= 40; --id)
            page.append(message(id, QStringLiteral("carol"), QStringLiteral("m%1").arg(id)));
        QCOMPARE(model.addHistory(page, true), 10);
        QCOMPARE(inserted.count(), 1);
        QCOMPARE(inserted.first().at(1).toInt(), 0);
        QCOMPARE(inserted.first().at(2).toInt(), 9);
        QCOMPARE(model.count(), 13);
        QCOMPARE(model.oldestId(), 40);
        QVERIFY(model.hasMoreHistory());
        QVERIFY(!model.loadingHistory());
        QCOMPARE(texts(model).first(), QStringLiteral("m40"));
        QCOMPARE(texts(model).last(), QStringLiteral("m52"));

        // The last page: overlapping rows are skipped, and there is nothing more.
        QList<ChatMessage> last;
        for (qint64 id = 35; id <= 41; ++id)
            last.append(message(id, QStringLiteral("carol"), QStringLiteral("m%1").arg(id)));
        QCOMPARE(model.addHistory(last, false), 5);
        QCOMPARE(model.count(), 18);
        QVERIFY(!model.hasMoreHistory());
        QList<qint64> expected;
        for (qint64 id = 35; id <= 52; ++id)
            expected.append(id);
        QCOMPARE(ids(model), expected);
    }

    void historyAfterReconnectFillsGaps()
    {
        MessageListModel model;
        QAbstractItemModelTester tester(&model);
        model.addMessage(message(10, QStringLiteral("bob"), QStringLiteral("ten")));
        model.addMessage(message(14, QStringLiteral("bob"), QStringLiteral("fourteen")));
        model.setHasMoreHistory(true);
        // The newest page served on re-join holds what was missed while offline; its "more" is
        // about messages older than 11, which are shown already, so hasMoreHistory is kept.
        QList<ChatMessage> page { message(11, QStringLiteral("a"), QStringLiteral("eleven")),
            message(12, QStringLiteral("a"), QStringLiteral("twelve")),
            message(14, QStringLiteral("bob"), QStringLiteral("fourteen")),
            message(15, QStringLiteral("a"), QStringLiteral("fifteen")) };
        QCOMPARE(model.addHistory(page, true), 3);
        QCOMPARE(ids(model), (QList<qint64> { 10, 11, 12, 14, 15 }));
        QVERIFY(model.hasMoreHistory());
    }

    void emptyHistoryEndsScrollBack()
    {
        MessageListModel model;
        model.setHasMoreHistory(true);
        model.setLoadingHistory(true);
        QCOMPARE(model.addHistory({}, false), 0);
        QVERIFY(!model.hasMoreHistory());
        QVERIFY(!model.loadingHistory());
        QCOMPARE(model.oldestId(), 0);
    }

    void pendingIsAcknowledged()
    {
        MessageListModel model;
        QAbstractItemModelTester tester(&model);
        model.setSelfUser(QStringLiteral("alice"));
        model.addMessage(message(1, QStringLiteral("bob"), QStringLiteral("hello")));
        QVERIFY(model.addMessage(pending(7, QStringLiteral("alice"), QStringLiteral("first"))));
        QVERIFY(model.addMessage(pending(8, QStringLiteral("alice"), QStringLiteral("second"))));
        QCOMPARE(model.pendingCount(), 2);
        QVERIFY(model.data(model.index(1), MessageListModel::PendingRole).toBool());
        // Others' messages go before our pending ones.
        model.addMessage(message(2, QStringLiteral("bob"), QStringLiteral("meanwhile")));
        QCOMPARE(texts(model),
            (QStringList { QStringLiteral("hello"), QStringLiteral("meanwhile"),
                QStringLiteral("first"), QStringLiteral("second") }));

        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        QVERIFY(model.acknowledge(7, 3));
        QVERIFY(!changed.isEmpty());
        QCOMPARE(model.pendingCount(), 1);
        QVERIFY(!model.data(model.index(2), MessageListModel::PendingRole).toBool());
        QCOMPARE(model.data(model.index(2), MessageListModel::IdRole).toLongLong(), 3);
        QVERIFY(!model.acknowledge(7, 3)); // nothing waits for it any more
        QVERIFY(!model.acknowledge(99, 4));

        // The server's echo of "second" overtakes its ack: same row, not a second one.
        ChatMessage echo = message(5, QStringLiteral("alice"), QStringLiteral("second"));
        echo.clientSeq = 8;
        QVERIFY(!model.addMessage(echo));
        QCOMPARE(model.count(), 4);
        QCOMPARE(model.pendingCount(), 0);
        QCOMPARE(ids(model), (QList<qint64> { 1, 2, 3, 5 }));
    }

    void ackedRowMovesAboveLaterMessages()
    {
        MessageListModel model;
        QAbstractItemModelTester tester(&model);
        model.setSelfUser(QStringLiteral("alice"));
        model.addMessage(pending(1, QStringLiteral("alice"), QStringLiteral("mine")));
        model.addMessage(pending(2, QStringLiteral("alice"), QStringLiteral("mine too")));
        model.addMessage(message(20, QStringLiteral("bob"), QStringLiteral("later")));
        // Seq 2 was stored first (id 10), then seq 1 (id 11): rows follow the server's order.
        QVERIFY(model.acknowledge(2, 10));
        QVERIFY(model.acknowledge(1, 11));
        QCOMPARE(ids(model), (QList<qint64> { 10, 11, 20 }));
        QCOMPARE(texts(model),
            (QStringList {
                QStringLiteral("mine too"), QStringLiteral("mine"), QStringLiteral("later") }));
    }

    void ackOfMessageAlreadyInHistoryDropsPendingRow()
    {
        MessageListModel model;
        QAbstractItemModelTester tester(&model);
        model.setSelfUser(QStringLiteral("alice"));
        model.addMessage(message(9, QStringLiteral("bob"), QStringLiteral("y")));
        model.addMessage(pending(4, QStringLiteral("alice"), QStringLiteral("x")));
        model.addMessage(pending(5, QStringLiteral("alice"), QStringLiteral("z")));
        // After a reconnect the re-join's history page brings the stored copies before the acks:
        // one carries its clientSeq (matched at once), one does not (matched by the ack).
        ChatMessage storedX = message(12, QStringLiteral("alice"), QStringLiteral("x"));
        ChatMessage storedZ = message(13, QStringLiteral("alice"), QStringLiteral("z"));
        storedZ.clientSeq = 5;
        model.addHistory({ storedX, storedZ }, false);
        QCOMPARE(model.count(), 4);
        QCOMPARE(model.pendingCount(), 1);
        QVERIFY(model.acknowledge(4, 12));
        QCOMPARE(model.count(), 3);
        QCOMPARE(model.pendingCount(), 0);
        QCOMPARE(ids(model), (QList<qint64> { 9, 12, 13 }));
    }

    void rejectRemovesPendingRow()
    {
        MessageListModel model;
        model.setSelfUser(QStringLiteral("alice"));
        model.addMessage(pending(3, QStringLiteral("alice"), QStringLiteral("too long")));
        QCOMPARE(model.reject(3), QStringLiteral("too long"));
        QCOMPARE(model.count(), 0);
        QCOMPARE(model.reject(3), QString());
    }

    void clearResets()
    {
        MessageListModel model;
        model.addMessage(message(1, QStringLiteral("bob"), QStringLiteral("x")));
        model.setHasMoreHistory(true);
        model.clear();
        QCOMPARE(model.count(), 0);
        QVERIFY(!model.hasMoreHistory());
        QVERIFY(!model.containsId(1));
        QVERIFY(model.addMessage(message(1, QStringLiteral("bob"), QStringLiteral("x"))));
    }

    // A live stream without history (the nearby chat) keeps the newest rows; pending rows stay.
    void trimOldestKeepsTheNewest()
    {
        MessageListModel model;
        QAbstractItemModelTester tester(&model);
        model.setSelfUser(QStringLiteral("alice"));
        for (qint64 id = 1; id <= 5; ++id)
            model.addMessage(message(id, QStringLiteral("bob"), QString::number(id)));
        model.addMessage(pending(1, QStringLiteral("alice"), QStringLiteral("mine")));
        QSignalSpy countSpy(&model, &MessageListModel::countChanged);
        QCOMPARE(model.trimOldest(2), 3);
        QCOMPARE(texts(model),
            (QStringList { QStringLiteral("4"), QStringLiteral("5"), QStringLiteral("mine") }));
        QCOMPARE(countSpy.count(), 1);
        QVERIFY(!model.containsId(1) && model.containsId(4));
        QVERIFY(model.data(model.index(0), MessageListModel::FirstOfGroupRole).toBool());
        QCOMPARE(model.trimOldest(2), 0);
        QCOMPARE(model.pendingCount(), 1);
        QCOMPARE(model.trimOldest(0), 2);
        QCOMPARE(texts(model), QStringList { QStringLiteral("mine") });
    }
};

QTEST_GUILESS_MAIN(TestMessageListModel)
#include "tst_MessageListModel.moc"
