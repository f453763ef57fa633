// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "store/HistoryStore.h"

#include <QElapsedTimer>
#include <QTemporaryDir>
#include <QTest>

using namespace metatopia::store;

class HistoryStoreTest : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;

private Q_SLOTS:
    void keys()
    {
        QCOMPARE(HistoryStore::channelKey(QStringLiteral("general")), QStringLiteral("#general"));
        QCOMPARE(HistoryStore::privateKey(QStringLiteral("bob"), QStringLiteral("Alice")),
            HistoryStore::privateKey(QStringLiteral("alice"), QStringLiteral("bob")));
        QCOMPARE(HistoryStore::privateKey(QStringLiteral("bob"), QStringLiteral("alice")),
            QStringLiteral("@alice|bob"));
        QVERIFY(HistoryStore::privateKey(QStringLiteral("a"), QStringLiteral("bc"))
            != HistoryStore::privateKey(QStringLiteral("ab"), QStringLiteral("c")));
    }

    void appendPageAndPersist()
    {
        const QString file = m_dir.filePath(QStringLiteral("history.db"));
        const QString general = HistoryStore::channelKey(QStringLiteral("general"));
        const QString pm = HistoryStore::privateKey(QStringLiteral("alice"), QStringLiteral("bob"));
        QList<qint64> ids;
        {
            Database db;
            QVERIFY(db.open(file));
            HistoryStore history(db);
            QElapsedTimer timer;
            timer.start();
            for (int i = 0; i < 25; ++i) {
                const auto stored = history.append(general, QStringLiteral("alice"),
                    QStringLiteral("message %1").arg(i), 1'700'000'000'000 + i);
                QVERIFY(stored);
                if (!ids.isEmpty())
                    QVERIFY(stored->id > ids.last());
                ids.append(stored->id);
                QVERIFY(
                    history.append(pm, QStringLiteral("bob"), QStringLiteral("psst %1").arg(i), i));
            }
            qInfo("50 durable appends (synchronous=FULL): %lld ms", timer.elapsed());

            const auto last = history.lastN(general, 10);
            QCOMPARE(last.size(), 10);
            QCOMPARE(last.first().text, QStringLiteral("message 15"));
            QCOMPARE(last.last().text, QStringLiteral("message 24"));
            QCOMPARE(last.last().timestampMs, 1'700'000'000'024);
            QCOMPARE(last.last().sender, QStringLiteral("alice"));
            QCOMPARE(last.last().conversation, general);
        }
        // Reopen as after a server restart: everything is there, in order.
        Database db;
        QVERIFY(db.open(file));
        HistoryStore history(db);
        QCOMPARE(history.count(general), 25);
        QCOMPARE(history.count(pm), 25);
        QCOMPARE(history.count(QStringLiteral("#empty")), 0);
        QVERIFY(history.lastN(QStringLiteral("#empty"), 10).isEmpty());

        // Scroll back page by page from the newest: every message once, none from the other
        // conversation.
        QList<StoredMessage> seen = history.lastN(general, 10);
        while (true) {
            const auto older = history.page(general, seen.first().id, 10);
            if (older.isEmpty())
                break;
            QVERIFY(older.size() <= 10);
            QVERIFY(older.last().id < seen.first().id);
            seen = older + seen;
        }
        QCOMPARE(seen.size(), 25);
        for (int i = 0; i < 25; ++i) {
            QCOMPARE(seen[i].id, ids[i]);
            QCOMPARE(seen[i].text, QStringLiteral("message %1").arg(i));
        }
        QCOMPARE(history.lastN(pm, 1).first().text, QStringLiteral("psst 24"));
        QCOMPARE(history.lastN(general, 0).size(), 0);
        QCOMPARE(history.lastN(general, -5).size(), 0);
        QCOMPARE(history.lastN(general, 1'000'000).size(), 25);

        // Group commit: one transaction, ids in order, all durable together.
        QList<StoredMessage> batch;
        for (int i = 0; i < 50; ++i)
            batch.append(
                { 0, general, QStringLiteral("carol"), QStringLiteral("batch %1").arg(i), i });
        QElapsedTimer timer;
        timer.start();
        const auto stored = history.appendBatch(batch);
        qInfo("50 appends in one group commit: %lld ms", timer.elapsed());
        QVERIFY(stored && stored->size() == 50);
        QVERIFY(stored->first().id > ids.last());
        QCOMPARE(history.count(general), 75);
        QCOMPARE(history.lastN(general, 1).first().text, QStringLiteral("batch 49"));

        // Nothing odd about the text: quotes, Unicode, SQL look-alikes.
        const QString tricky = QStringLiteral("'); DROP TABLE chat_messages; -- ☃ \u00e9\n");
        QVERIFY(history.append(general, QStringLiteral("mallory"), tricky, 1));
        QCOMPARE(history.lastN(general, 1).first().text, tricky);
    }
};

QTEST_GUILESS_MAIN(HistoryStoreTest)
#include "HistoryStoreTest.moc"
