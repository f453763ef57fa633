// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "store/Database.h"

#include <QFile>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>
#include <QVariant>

using namespace metatopia::store;

class DatabaseTest : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;

    QString path(const QString &name) const { return m_dir.filePath(name); }

    static QString pragma(Database &db, const QString &name)
    {
        QSqlQuery q(db.connection());
        if (!q.exec(QStringLiteral("PRAGMA ") + name) || !q.next())
            return {};
        return q.value(0).toString();
    }

private Q_SLOTS:
    void freshFileIsCreatedAndConfigured()
    {
        Database db;
        QVERIFY2(db.open(path(QStringLiteral("fresh.db"))), qPrintable(db.errorString()));
        QCOMPARE(db.schemaVersion(), Database::latestSchemaVersion());
        QCOMPARE(pragma(db, QStringLiteral("journal_mode")), QStringLiteral("wal"));
        QCOMPARE(pragma(db, QStringLiteral("foreign_keys")), QStringLiteral("1"));
        QCOMPARE(pragma(db, QStringLiteral("synchronous")), QStringLiteral("2")); // FULL
        QCOMPARE(pragma(db, QStringLiteral("busy_timeout")), QStringLiteral("5000"));
        db.close();
        QVERIFY(!db.isOpen());
        // Reopening an up-to-date file changes nothing.
        QVERIFY(db.open(path(QStringLiteral("fresh.db"))));
        QCOMPARE(db.schemaVersion(), Database::latestSchemaVersion());
    }

    void migratesAnExistingOlderFile()
    {
        const QString file = path(QStringLiteral("old.db"));
        {
            Database v1;
            DatabaseOptions options;
            options.targetVersion = 1;
            QVERIFY(v1.open(file, options));
            QCOMPARE(v1.schemaVersion(), 1);
            QSqlQuery q(v1.connection());
            QVERIFY(q.exec(QStringLiteral("INSERT INTO accounts (name, password_hash, joined_ms) "
                                          "VALUES ('alice', 'x', 1000)")));
            QVERIFY(!q.exec(QStringLiteral("SELECT * FROM chat_messages")));
        }
        Database db;
        QVERIFY2(db.open(file), qPrintable(db.errorString()));
        QCOMPARE(db.schemaVersion(), Database::latestSchemaVersion());
        QSqlQuery q(db.connection());
        QVERIFY(q.exec(QStringLiteral("SELECT name FROM accounts")));
        QVERIFY(q.next());
        QCOMPARE(q.value(0).toString(), QStringLiteral("alice"));
        QVERIFY(q.exec(QStringLiteral("SELECT count(*) FROM chat_messages")));
        QVERIFY(q.exec(QStringLiteral("SELECT count(*) FROM admins")));
        QVERIFY(q.exec(QStringLiteral("SELECT version FROM schema_version")) && q.next());
        QCOMPARE(q.value(0).toInt(), Database::latestSchemaVersion());
    }

    // Before schema version 4 the chat made chat_sent and chat_contacts itself; such a file
    // upgrades without losing their rows.
    void chatTablesMadeBeforeVersion4AreKept()
    {
        const QString file = path(QStringLiteral("chat-v3.db"));
        {
            Database v3;
            DatabaseOptions options;
            options.targetVersion = 3;
            QVERIFY(v3.open(file, options));
            QSqlQuery q(v3.connection());
            QVERIFY(q.exec(QStringLiteral("CREATE TABLE chat_sent (account_id INTEGER NOT NULL, "
                                          "client_seq INTEGER NOT NULL, message_id INTEGER NOT "
                                          "NULL, timestamp_ms INTEGER NOT NULL, PRIMARY KEY "
                                          "(account_id, client_seq)) WITHOUT ROWID")));
            QVERIFY(q.exec(QStringLiteral("INSERT INTO chat_sent VALUES (1, 7, 42, 1000)")));
        }
        Database db;
        QVERIFY2(db.open(file), qPrintable(db.errorString()));
        QCOMPARE(db.schemaVersion(), Database::latestSchemaVersion());
        QSqlQuery q(db.connection());
        QVERIFY(q.exec(QStringLiteral("SELECT message_id FROM chat_sent WHERE client_seq = 7")));
        QVERIFY(q.next());
        QCOMPARE(q.value(0).toInt(), 42);
        QVERIFY(q.exec(QStringLiteral("SELECT count(*) FROM chat_contacts")));
    }

    void garbageFileIsRefusedUntouched()
    {
        const QString file = path(QStringLiteral("garbage.db"));
        QFile f(file);
        QVERIFY(f.open(QIODevice::WriteOnly));
        const QByteArray junk = QByteArray("this is my thesis, not a database\n").repeated(200);
        f.write(junk);
        f.close();
        Database db;
        QVERIFY(!db.open(file));
        QVERIFY2(db.errorString().contains(QStringLiteral("not a SQLite database")),
            qPrintable(db.errorString()));
        QVERIFY(!db.isOpen());
        QVERIFY(f.open(QIODevice::ReadOnly));
        QCOMPARE(f.readAll(), junk);
        QVERIFY(!QFile::exists(file + QStringLiteral("-wal")));
    }

    void corruptDatabaseGivesClearError()
    {
        const QString file = path(QStringLiteral("corrupt.db"));
        {
            Database db;
            QVERIFY(db.open(file));
        }
        // Keep the valid header, wreck the pages behind it (the schema lives in page 1).
        QFile f(file);
        QVERIFY(f.open(QIODevice::ReadWrite));
        const qint64 size = f.size();
        QVERIFY(size > 200);
        f.seek(100);
        f.write(QByteArray(int(size - 100), '\xa5'));
        f.close();
        Database db;
        QVERIFY(!db.open(file));
        QVERIFY2(db.errorString().contains(file), qPrintable(db.errorString()));
        QVERIFY2(db.errorString().contains(QStringLiteral("damaged"))
                || db.errorString().contains(QStringLiteral("not a")),
            qPrintable(db.errorString()));
        QVERIFY(!db.isOpen());
    }

    void foreignAndNewerDatabasesAreRefused()
    {
        const QString foreign = path(QStringLiteral("foreign.db"));
        {
            Database raw;
            DatabaseOptions options;
            options.targetVersion = 0;
            QVERIFY(raw.open(foreign, options));
            QSqlQuery q(raw.connection());
            QVERIFY(q.exec(QStringLiteral("DROP TABLE schema_version")));
            QVERIFY(q.exec(QStringLiteral("CREATE TABLE recipes (name TEXT)")));
        }
        Database db;
        QVERIFY(!db.open(foreign));
        QVERIFY2(db.errorString().contains(QStringLiteral("not a Metatopia")),
            qPrintable(db.errorString()));

        const QString newer = path(QStringLiteral("newer.db"));
        {
            Database current;
            QVERIFY(current.open(newer));
            QSqlQuery q(current.connection());
            QVERIFY(q.exec(QStringLiteral("UPDATE schema_version SET version = 999")));
        }
        QVERIFY(!db.open(newer));
        QVERIFY2(db.errorString().contains(QStringLiteral("newer")), qPrintable(db.errorString()));
    }

    void directoryIsRefused()
    {
        Database db;
        QVERIFY(!db.open(m_dir.path()));
        QVERIFY(db.errorString().contains(QStringLiteral("not a regular file")));
    }
};

QTEST_GUILESS_MAIN(DatabaseTest)
#include "DatabaseTest.moc"
