// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "store/AccountStore.h"

#include <QSqlError>
#include <QSqlQuery>
#include <QThread>
#include <QVariant>

#include <sodium.h>

#include <mutex>

namespace metatopia::store {
namespace {

const QString AccountColumns = QStringLiteral("id, name, joined_ms, last_login_ms");

Account accountFrom(const QSqlQuery &q)
{
    Account account;
    account.id = q.value(0).toLongLong();
    account.name = q.value(1).toString();
    account.joined = QDateTime::fromMSecsSinceEpoch(q.value(2).toLongLong(), Qt::UTC);
    if (!q.value(3).isNull())
        account.lastLogin = QDateTime::fromMSecsSinceEpoch(q.value(3).toLongLong(), Qt::UTC);
    return account;
}

AccountStore::Result failure(AccountStore::Error error, const QString &text)
{
    AccountStore::Result result;
    result.error = error;
    result.errorText = text;
    return result;
}

const QString WrongCredentialsText = QStringLiteral("wrong name or password");

} // namespace

PasswordHashing PasswordHashing::interactive()
{
    return { crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE };
}

PasswordHashing PasswordHashing::minimal()
{
    return { crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN };
}

AccountStore::AccountStore(Database &db, PasswordHashing hashing, QObject *parent)
    : QObject(parent)
    , m_db(db)
    , m_hashing(hashing)
{
    if (sodium_init() < 0)
        qFatal("libsodium cannot initialise"); // no safe way to hash passwords at all
    // argon2id holds memLimit bytes per hash: a few at a time is what a server can afford.
    m_pool.setMaxThreadCount(std::max(1, std::min(QThread::idealThreadCount(), 4)));
}

AccountStore::~AccountStore()
{
    m_pool.waitForDone();
}

QString AccountStore::checkName(const QString &name)
{
    if (name.size() < MinNameLength || name.size() > MaxNameLength)
        return QStringLiteral("a name has %1 to %2 characters")
            .arg(MinNameLength)
            .arg(MaxNameLength);
    for (qsizetype i = 0; i < name.size(); ++i) {
        const char16_t c = name.at(i).unicode();
        const bool letter = (c >= u'a' && c <= u'z') || (c >= u'A' && c <= u'Z');
        const bool other = (c >= u'0' && c <= u'9') || c == u'_' || c == u'.' || c == u'-';
        if (i == 0 && !letter)
            return QStringLiteral("a name starts with a letter (A-Z)");
        if (!letter && !other)
            return QStringLiteral("a name has only letters A-Z, digits and _ . -");
    }
    return {};
}

QString AccountStore::checkPassword(const QString &password)
{
    if (password.size() < MinPasswordLength)
        return QStringLiteral("a password has at least %1 characters").arg(MinPasswordLength);
    if (password.size() > MaxPasswordLength)
        return QStringLiteral("a password has at most %1 characters").arg(MaxPasswordLength);
    return {};
}

QByteArray AccountStore::hashPassword(const QString &password) const
{
    const QByteArray utf8 = password.toUtf8();
    char out[crypto_pwhash_STRBYTES];
    if (crypto_pwhash_str(
            out, utf8.constData(), quint64(utf8.size()), m_hashing.opsLimit, m_hashing.memLimit)
        != 0)
        return {}; // out of memory
    return QByteArray(out);
}

bool AccountStore::verifyPassword(
    const std::optional<QByteArray> &hash, const QString &password) const
{
    const QByteArray utf8 = password.toUtf8();
    // Unknown names are checked against a dummy hash of the same cost, so they take as long as
    // a wrong password and response times do not reveal which names exist. Made on first need
    // (on a worker, usually) rather than slowing down every server start.
    std::call_once(m_dummyOnce,
        [this] { m_dummyHash = hashPassword(QStringLiteral("metatopia-dummy-password")); });
    const QByteArray &stored = hash ? *hash : m_dummyHash;
    const bool match
        = crypto_pwhash_str_verify(stored.constData(), utf8.constData(), quint64(utf8.size())) == 0;
    return match && hash.has_value();
}

std::optional<QByteArray> AccountStore::storedHash(const QString &name) const
{
    QSqlQuery q(m_db.connection());
    q.prepare(QStringLiteral("SELECT password_hash FROM accounts WHERE name = ?"));
    q.addBindValue(name);
    if (!q.exec() || !q.next())
        return std::nullopt;
    return q.value(0).toString().toLatin1();
}

AccountStore::Result AccountStore::prepareRegister(
    const QString &name, const QString &password) const
{
    if (const QString problem = checkName(name); !problem.isEmpty())
        return failure(Error::InvalidName, problem);
    if (const QString problem = checkPassword(password); !problem.isEmpty())
        return failure(Error::InvalidPassword, problem);
    if (find(name))
        return failure(Error::NameTaken, QStringLiteral("the name %1 is taken").arg(name));
    return {};
}

AccountStore::Result AccountStore::insertAccount(
    const QString &name, const QByteArray &hash, const QDateTime &now)
{
    if (hash.isEmpty())
        return failure(Error::Crypto, QStringLiteral("the server could not hash the password"));
    QSqlQuery q(m_db.connection());
    q.prepare(
        QStringLiteral("INSERT INTO accounts (name, password_hash, joined_ms) VALUES (?, ?, ?)"));
    q.addBindValue(name);
    q.addBindValue(QString::fromLatin1(hash));
    q.addBindValue(now.toMSecsSinceEpoch());
    if (!q.exec()) {
        // Another registration of the same name may have won between the check and now.
        if (find(name))
            return failure(Error::NameTaken, QStringLiteral("the name %1 is taken").arg(name));
        m_error = q.lastError().text();
        return failure(Error::Storage, QStringLiteral("the account could not be stored"));
    }
    Result result;
    result.account = *findById(q.lastInsertId().toLongLong());
    return result;
}

AccountStore::Result AccountStore::finishLogin(
    const QString &name, bool passwordOk, const QDateTime &now)
{
    if (!passwordOk)
        return failure(Error::WrongCredentials, WrongCredentialsText);
    const std::optional<Account> account = find(name);
    if (!account)
        return failure(Error::WrongCredentials, WrongCredentialsText);
    if (!recordLogin(account->id, now))
        return failure(Error::Storage, QStringLiteral("the login could not be recorded"));
    Result result;
    result.account = *account;
    result.account.lastLogin = now.toUTC();
    return result;
}

AccountStore::Result AccountStore::registerAccount(
    const QString &name, const QString &password, const QDateTime &now)
{
    Result result = prepareRegister(name, password);
    if (!result.ok())
        return result;
    return insertAccount(name, hashPassword(password), now);
}

AccountStore::Result AccountStore::login(
    const QString &name, const QString &password, const QDateTime &now)
{
    return finishLogin(name, verifyPassword(storedHash(name), password), now);
}

void AccountStore::runOnPool(std::function<void()> work)
{
    m_pool.start(std::move(work));
}

void AccountStore::registerAccountAsync(const QString &name, const QString &password,
    QObject *context, Callback done, const QDateTime &now)
{
    const bool hasContext = context != nullptr;
    QPointer<QObject> guard(context);
    auto deliver = [hasContext, guard, done](const Result &result) {
        if (!hasContext || guard)
            done(result);
    };
    Result early = prepareRegister(name, password);
    if (!early.ok()) {
        // Still asynchronous, so callers see one behaviour.
        QMetaObject::invokeMethod(
            this, [deliver, early] { deliver(early); }, Qt::QueuedConnection);
        return;
    }
    runOnPool([this, name, password, now, deliver] {
        const QByteArray hash = hashPassword(password);
        QMetaObject::invokeMethod(
            this, [this, name, hash, now, deliver] { deliver(insertAccount(name, hash, now)); },
            Qt::QueuedConnection);
    });
}

void AccountStore::loginAsync(const QString &name, const QString &password, QObject *context,
    Callback done, const QDateTime &now)
{
    const bool hasContext = context != nullptr;
    QPointer<QObject> guard(context);
    auto deliver = [hasContext, guard, done](const Result &result) {
        if (!hasContext || guard)
            done(result);
    };
    const std::optional<QByteArray> hash = storedHash(name);
    runOnPool([this, name, password, now, hash, deliver] {
        const bool ok = verifyPassword(hash, password);
        QMetaObject::invokeMethod(
            this, [this, name, ok, now, deliver] { deliver(finishLogin(name, ok, now)); },
            Qt::QueuedConnection);
    });
}

std::optional<Account> AccountStore::find(const QString &name) const
{
    return findWhere(QStringLiteral("name"), name);
}

std::optional<Account> AccountStore::findById(qint64 id) const
{
    return findWhere(QStringLiteral("id"), id);
}

std::optional<Account> AccountStore::findWhere(const QString &column, const QVariant &value) const
{
    QSqlQuery q(m_db.connection());
    q.prepare(QStringLiteral("SELECT ") + AccountColumns + QStringLiteral(" FROM accounts WHERE ")
        + column + QStringLiteral(" = ?"));
    q.addBindValue(value);
    if (!q.exec()) {
        m_error = q.lastError().text();
        return std::nullopt;
    }
    if (!q.next())
        return std::nullopt;
    return accountFrom(q);
}

QList<Account> AccountStore::accounts() const
{
    QList<Account> result;
    QSqlQuery q(m_db.connection());
    if (!q.exec(QStringLiteral("SELECT ") + AccountColumns
            + QStringLiteral(" FROM accounts ORDER BY id"))) {
        m_error = q.lastError().text();
        return result;
    }
    while (q.next())
        result.append(accountFrom(q));
    return result;
}

bool AccountStore::recordLogin(qint64 accountId, const QDateTime &when)
{
    QSqlQuery q(m_db.connection());
    q.prepare(QStringLiteral("UPDATE accounts SET last_login_ms = ? WHERE id = ?"));
    q.addBindValue(when.toMSecsSinceEpoch());
    q.addBindValue(accountId);
    if (!q.exec()) {
        m_error = q.lastError().text();
        return false;
    }
    return q.numRowsAffected() == 1;
}

} // namespace metatopia::store
