// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

// Accounts: unique names, argon2id password hashes (libsodium crypto_pwhash_str), join date and
// last login (the temp-admin rule needs both). Hashing is deliberately slow, so a server uses
// the *Async calls: the hash runs on a worker pool and the result comes back on the store's
// thread, and other clients keep being served meanwhile.

#include "store/Database.h"

#include <QDateTime>
#include <QList>
#include <QObject>
#include <QPointer>
#include <QString>
#include <QThreadPool>

#include <cstddef>
#include <functional>
#include <mutex>
#include <optional>

namespace metatopia::store {

struct Account
{
    qint64 id = 0;
    QString name;
    QDateTime joined; // UTC
    QDateTime lastLogin; // UTC; invalid if never logged in
};

// argon2id cost. interactive() (libsodium's OPSLIMIT/MEMLIMIT_INTERACTIVE, about 0.1 s and
// 64 MiB per hash) for servers; minimal() only for tests.
struct PasswordHashing
{
    unsigned long long opsLimit;
    std::size_t memLimit;
    static PasswordHashing interactive();
    static PasswordHashing minimal();
};

class AccountStore : public QObject
{
    Q_OBJECT
public:
    enum class Error
    {
        None,
        InvalidName,
        InvalidPassword,
        NameTaken,
        WrongCredentials, // unknown name or wrong password: deliberately indistinguishable
        Storage,
        Crypto
    };
    struct Result
    {
        Account account; // valid when ok()
        Error error = Error::None;
        QString errorText; // for the user
        bool ok() const { return error == Error::None; }
    };
    using Callback = std::function<void(const Result &result)>;

    static constexpr int MinNameLength = 3;
    static constexpr int MaxNameLength = 32;
    static constexpr int MinPasswordLength = 8;
    static constexpr int MaxPasswordLength = 1024;

    explicit AccountStore(Database &db, PasswordHashing hashing = PasswordHashing::interactive(),
        QObject *parent = nullptr);
    // Waits for hashes still running on the pool; their callbacks are dropped.
    ~AccountStore() override;

    // Empty when acceptable, else the reason. Names: 3-32 characters of A-Z a-z 0-9 _ . -,
    // starting with a letter; unique regardless of case. Passwords: 8-1024 characters.
    static QString checkName(const QString &name);
    static QString checkPassword(const QString &password);

    // Blocking versions: fine for tools and tests, not for a server's event loop.
    Result registerAccount(const QString &name, const QString &password,
        const QDateTime &now = QDateTime::currentDateTimeUtc());
    // Checks the password and, on success, records now as the last login.
    Result login(const QString &name, const QString &password,
        const QDateTime &now = QDateTime::currentDateTimeUtc());

    // Non-blocking versions: done runs later on this store's thread, unless context was
    // destroyed in between.
    void registerAccountAsync(const QString &name, const QString &password, QObject *context,
        Callback done, const QDateTime &now = QDateTime::currentDateTimeUtc());
    void loginAsync(const QString &name, const QString &password, QObject *context, Callback done,
        const QDateTime &now = QDateTime::currentDateTimeUtc());

    std::optional<Account> find(const QString &name) const;
    std::optional<Account> findById(qint64 id) const;
    QList<Account> accounts() const;
    // For logins that do not go through a password (session tokens).
    bool recordLogin(qint64 accountId, const QDateTime &when);

    QString errorString() const { return m_error; }

private:
    Result prepareRegister(const QString &name, const QString &password) const;
    Result insertAccount(const QString &name, const QByteArray &hash, const QDateTime &now);
    Result finishLogin(const QString &name, bool passwordOk, const QDateTime &now);
    std::optional<QByteArray> storedHash(const QString &name) const;
    // column is one of our own literals, never user input.
    std::optional<Account> findWhere(const QString &column, const QVariant &value) const;
    QByteArray hashPassword(const QString &password) const;
    bool verifyPassword(const std::optional<QByteArray> &hash, const QString &password) const;
    void runOnPool(std::function<void()> work);

    Database &m_db;
    PasswordHashing m_hashing;
    mutable std::once_flag m_dummyOnce;
    mutable QByteArray m_dummyHash;
    QThreadPool m_pool;
    mutable QString m_error;
};

} // namespace metatopia::store
