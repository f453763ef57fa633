// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

// libs/store: everything Metatopia keeps on disk, in one SQLite file per server (Qt SQL, WAL).
// Database opens the file and migrates its schema; the stores on top of it hold accounts
// (argon2id password hashes via libsodium), sessions, admins and the temp-admin rule, and chat
// history. A store object lives on the thread that opened its Database (a Qt SQL connection is
// bound to its thread); only password hashing leaves that thread, on a worker pool.
//
// Durability: WAL with synchronous=FULL by default, so a write that returned is on disk even if
// the machine loses power right after; the chat service acknowledges a message only then.

#include <QSqlDatabase>
#include <QString>
#include <QStringList>

namespace metatopia::store {

struct DatabaseOptions
{
    enum class Synchronous
    {
        Normal, // WAL + NORMAL: survives a crash of the process, not of the machine
        Full // WAL + FULL: every committed transaction is on disk when commit returns
    };
    Synchronous synchronous = Synchronous::Full;
    // How long a write waits for another connection's lock before failing.
    int busyTimeoutMs = 5000;
    // Migrate only up to this version (tests of migrations); -1 means the latest.
    int targetVersion = -1;
};

class Database
{
public:
    Database();
    ~Database();
    Database(const Database &) = delete;
    Database &operator=(const Database &) = delete;

    // Opens (creating if needed) and migrates the file. On failure errorString() says why in
    // words a server operator can act on; a file that is not a SQLite database, a corrupt one,
    // or one from a newer Metatopia is refused without being modified.
    bool open(const QString &path, const DatabaseOptions &options = {});
    void close();
    bool isOpen() const;

    QString path() const { return m_path; }
    QString errorString() const { return m_error; }
    int schemaVersion() const { return m_version; }
    static int latestSchemaVersion();

    // The Qt SQL connection, for the stores.
    QSqlDatabase connection() const { return m_db; }

private:
    bool fail(const QString &error);
    bool openAndMigrate(const QString &path, const DatabaseOptions &options);
    bool applyMigration(int version, const QStringList &statements);
    bool configure(const DatabaseOptions &options);
    bool migrate(int targetVersion);

    QString m_connectionName;
    QSqlDatabase m_db;
    QString m_path;
    QString m_error;
    int m_version = 0;
};

// All or nothing for a group of statements; rolls back unless commit() succeeded.
class Transaction
{
public:
    explicit Transaction(Database &db);
    ~Transaction();
    Transaction(const Transaction &) = delete;
    Transaction &operator=(const Transaction &) = delete;

    bool isActive() const { return m_active; }
    bool commit();

private:
    QSqlDatabase m_db;
    bool m_active = false;
};

} // namespace metatopia::store
