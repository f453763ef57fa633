// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "store/Database.h"

#include <QFile>
#include <QFileInfo>
#include <QSqlError>
#include <QSqlQuery>
#include <QStringList>

#include <atomic>
#include <vector>

namespace metatopia::store {
namespace {

std::atomic<int> nextConnection { 1 };

struct Migration
{
    int version;
    QStringList statements;
};

// Append only: a released migration never changes, a new one gets the next version.
const std::vector<Migration> &migrations()
{
    static const std::vector<Migration> list {
        { 1,
            {
                QStringLiteral("CREATE TABLE accounts ("
                               " id INTEGER PRIMARY KEY AUTOINCREMENT,"
                               " name TEXT NOT NULL UNIQUE COLLATE NOCASE,"
                               " password_hash TEXT NOT NULL,"
                               " joined_ms INTEGER NOT NULL,"
                               " last_login_ms INTEGER)"),
                QStringLiteral("CREATE TABLE sessions ("
                               " token_hash BLOB PRIMARY KEY,"
                               " account_id INTEGER NOT NULL REFERENCES accounts(id)"
                               "  ON DELETE CASCADE,"
                               " created_ms INTEGER NOT NULL,"
                               " expires_ms INTEGER NOT NULL)"),
                QStringLiteral("CREATE INDEX sessions_by_account ON sessions(account_id)"),
            } },
        { 2,
            {
                QStringLiteral("CREATE TABLE admins ("
                               " account_id INTEGER PRIMARY KEY REFERENCES accounts(id)"
                               "  ON DELETE CASCADE,"
                               " granted_ms INTEGER NOT NULL)"),
                QStringLiteral("CREATE INDEX accounts_by_last_login ON accounts(last_login_ms)"),
            } },
        { 3,
            {
                QStringLiteral("CREATE TABLE chat_messages ("
                               " id INTEGER PRIMARY KEY AUTOINCREMENT,"
                               " conversation TEXT NOT NULL,"
                               " sender TEXT NOT NULL,"
                               " text TEXT NOT NULL,"
                               " timestamp_ms INTEGER NOT NULL)"),
                QStringLiteral("CREATE INDEX chat_messages_by_conversation ON "
                               "chat_messages(conversation, id)"),
            } },
        // The chat's own bookkeeping (libs/chat ChatArchive). Databases written before this
        // migration existed may already have the tables, made by the chat itself: IF NOT EXISTS.
        { 4,
            {
                QStringLiteral("CREATE TABLE IF NOT EXISTS chat_sent ("
                               " account_id INTEGER NOT NULL,"
                               " client_seq INTEGER NOT NULL,"
                               " message_id INTEGER NOT NULL,"
                               " timestamp_ms INTEGER NOT NULL,"
                               " PRIMARY KEY (account_id, client_seq)) WITHOUT ROWID"),
                QStringLiteral("CREATE TABLE IF NOT EXISTS chat_contacts ("
                               " account_id INTEGER NOT NULL,"
                               " peer TEXT NOT NULL,"
                               " PRIMARY KEY (account_id, peer)) WITHOUT ROWID"),
            } },
    };
    return list;
}

} // namespace

Database::Database()
    : m_connectionName(QStringLiteral("metatopia-store-%1").arg(nextConnection++))
{ }

Database::~Database()
{
    close();
}

int Database::latestSchemaVersion()
{
    return migrations().back().version;
}

bool Database::isOpen() const
{
    return m_db.isValid() && m_db.isOpen();
}

bool Database::fail(const QString &error)
{
    m_error = error;
    return false;
}

void Database::close()
{
    if (!m_db.isValid())
        return;
    m_db.close();
    m_db = QSqlDatabase();
    QSqlDatabase::removeDatabase(m_connectionName);
}

bool Database::open(const QString &path, const DatabaseOptions &options)
{
    close();
    // Closing happens here, after every query object of the attempt is gone.
    const bool ok = openAndMigrate(path, options);
    if (!ok)
        close();
    return ok;
}

bool Database::openAndMigrate(const QString &path, const DatabaseOptions &options)
{
    m_path = path;
    m_version = 0;
    m_error.clear();

    // Check the header ourselves: SQLite would accept any file at open and only fail later, and
    // we must not turn someone's document into a WAL database.
    const QFileInfo info(path);
    if (info.exists()) {
        if (!info.isFile())
            return fail(QStringLiteral("%1 is not a regular file").arg(path));
        QFile file(path);
        if (!file.open(QIODevice::ReadOnly))
            return fail(QStringLiteral("cannot read %1: %2").arg(path, file.errorString()));
        const QByteArray header = file.read(16);
        if (!header.isEmpty() && header != QByteArrayLiteral("SQLite format 3\0"))
            return fail(QStringLiteral("%1 is not a SQLite database (wrong file header); refusing "
                                       "to use it. Move it away or point the server at another "
                                       "data file.")
                            .arg(path));
    }

    m_db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), m_connectionName);
    if (!m_db.isValid())
        return fail(QStringLiteral("the Qt SQLite driver (QSQLITE) is not available"));
    m_db.setDatabaseName(path);
    m_db.setConnectOptions(QStringLiteral("QSQLITE_BUSY_TIMEOUT=%1").arg(options.busyTimeoutMs));
    if (!m_db.open())
        return fail(
            QStringLiteral("cannot open database %1: %2").arg(path, m_db.lastError().text()));
    if (!configure(options))
        return false;
    return migrate(options.targetVersion < 0 ? latestSchemaVersion() : options.targetVersion);
}

bool Database::configure(const DatabaseOptions &options)
{
    QSqlQuery q(m_db);
    // Reading the schema is the first thing that touches the pages: a corrupt file fails here.
    if (!q.exec(QStringLiteral("SELECT count(*) FROM sqlite_master")))
        return fail(QStringLiteral("database %1 is damaged or not a database: %2")
                        .arg(m_path, q.lastError().text()));
    if (!q.exec(QStringLiteral("PRAGMA journal_mode=WAL")) || !q.next()
        || q.value(0).toString().compare(QStringLiteral("wal"), Qt::CaseInsensitive) != 0)
        return fail(
            QStringLiteral("cannot switch %1 to WAL mode: %2").arg(m_path, q.lastError().text()));
    const QString sync = options.synchronous == DatabaseOptions::Synchronous::Full
        ? QStringLiteral("FULL")
        : QStringLiteral("NORMAL");
    if (!q.exec(QStringLiteral("PRAGMA synchronous=") + sync)
        || !q.exec(QStringLiteral("PRAGMA foreign_keys=ON"))
        || !q.exec(QStringLiteral("PRAGMA busy_timeout=%1").arg(options.busyTimeoutMs)))
        return fail(QStringLiteral("cannot configure %1: %2").arg(m_path, q.lastError().text()));
    return true;
}

bool Database::migrate(int targetVersion)
{
    QSqlQuery q(m_db);
    if (!q.exec(QStringLiteral("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT "
                               "NULL)")))
        return fail(QStringLiteral("cannot create schema_version in %1: %2")
                        .arg(m_path, q.lastError().text()));
    if (!q.exec(QStringLiteral("SELECT version FROM schema_version")))
        return fail(QStringLiteral("cannot read schema_version in %1: %2")
                        .arg(m_path, q.lastError().text()));
    int current = 0;
    int rows = 0;
    while (q.next()) {
        current = q.value(0).toInt();
        ++rows;
    }
    q.finish();
    if (rows > 1)
        return fail(QStringLiteral("database %1 has a damaged schema_version table").arg(m_path));
    if (rows == 0) {
        // A file with tables but no version is someone else's database.
        QSqlQuery tables(m_db);
        if (!tables.exec(QStringLiteral("SELECT count(*) FROM sqlite_master WHERE type='table' AND "
                                        "name NOT IN ('schema_version', 'sqlite_sequence')"))
            || !tables.next())
            return fail(
                QStringLiteral("cannot inspect %1: %2").arg(m_path, tables.lastError().text()));
        if (tables.value(0).toInt() > 0)
            return fail(QStringLiteral("%1 is a SQLite database but not a Metatopia one (no schema "
                                       "version)")
                            .arg(m_path));
        if (!q.exec(QStringLiteral("INSERT INTO schema_version (version) VALUES (0)")))
            return fail(
                QStringLiteral("cannot initialise %1: %2").arg(m_path, q.lastError().text()));
    }
    if (current > latestSchemaVersion())
        return fail(QStringLiteral("database %1 has schema version %2, newer than this Metatopia "
                                   "understands (%3); upgrade Metatopia")
                        .arg(m_path)
                        .arg(current)
                        .arg(latestSchemaVersion()));

    for (const Migration &migration : migrations()) {
        if (migration.version <= current || migration.version > targetVersion)
            continue;
        if (!applyMigration(migration.version, migration.statements))
            return false;
        current = migration.version;
    }
    m_version = current;
    return true;
}

bool Database::applyMigration(int version, const QStringList &statements)
{
    Transaction transaction(*this);
    if (!transaction.isActive())
        return fail(
            QStringLiteral("cannot start migrating %1: %2").arg(m_path, m_db.lastError().text()));
    QSqlQuery q(m_db);
    for (const QString &statement : statements) {
        if (!q.exec(statement))
            return fail(QStringLiteral("migration to schema version %1 failed on %2: %3")
                            .arg(version)
                            .arg(m_path, q.lastError().text()));
    }
    q.prepare(QStringLiteral("UPDATE schema_version SET version = ?"));
    q.addBindValue(version);
    if (!q.exec() || !transaction.commit())
        return fail(QStringLiteral("migration to schema version %1 failed on %2: %3")
                        .arg(version)
                        .arg(m_path, q.lastError().text()));
    return true;
}

Transaction::Transaction(Database &db)
    : m_db(db.connection())
{
    m_active = m_db.isOpen() && m_db.transaction();
}

Transaction::~Transaction()
{
    if (m_active)
        m_db.rollback();
}

bool Transaction::commit()
{
    if (!m_active)
        return false;
    m_active = false;
    return m_db.commit();
}

} // namespace metatopia::store
