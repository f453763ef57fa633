// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "store/SessionStore.h"

#include <QSqlError>
#include <QSqlQuery>
#include <QVariant>

#include <sodium.h>

namespace metatopia::store {
namespace {

constexpr int TokenBytes = 32;

QByteArray tokenHash(const QString &token)
{
    const QByteArray raw = token.toLatin1();
    QByteArray hash(crypto_generichash_BYTES, Qt::Uninitialized);
    crypto_generichash(reinterpret_cast<unsigned char *>(hash.data()), size_t(hash.size()),
        reinterpret_cast<const unsigned char *>(raw.constData()), quint64(raw.size()), nullptr, 0);
    return hash;
}

} // namespace

SessionStore::SessionStore(Database &db)
    : m_db(db)
{
    if (sodium_init() < 0)
        qFatal("libsodium cannot initialise");
}

QString SessionStore::create(qint64 accountId, const QDateTime &now, std::chrono::seconds lifetime)
{
    QByteArray random(TokenBytes, Qt::Uninitialized);
    randombytes_buf(random.data(), size_t(random.size()));
    const QString token = QString::fromLatin1(
        random.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals));
    sodium_memzero(random.data(), size_t(random.size()));

    QSqlQuery q(m_db.connection());
    q.prepare(
        QStringLiteral("INSERT INTO sessions (token_hash, account_id, created_ms, expires_ms) "
                       "VALUES (?, ?, ?, ?)"));
    q.addBindValue(tokenHash(token));
    q.addBindValue(accountId);
    q.addBindValue(now.toMSecsSinceEpoch());
    q.addBindValue(now.toMSecsSinceEpoch() + qint64(lifetime.count()) * 1000);
    if (!q.exec()) {
        m_error = q.lastError().text();
        return {};
    }
    return token;
}

std::optional<Session> SessionStore::validate(const QString &token, const QDateTime &now)
{
    // Tokens are ASCII of a known length; anything else cannot be one of ours.
    if (token.isEmpty() || token.size() > 128)
        return std::nullopt;
    const QByteArray hash = tokenHash(token);
    QSqlQuery q(m_db.connection());
    q.prepare(QStringLiteral(
        "SELECT account_id, created_ms, expires_ms FROM sessions WHERE token_hash = ?"));
    q.addBindValue(hash);
    if (!q.exec()) {
        m_error = q.lastError().text();
        return std::nullopt;
    }
    if (!q.next())
        return std::nullopt;
    Session session;
    session.accountId = q.value(0).toLongLong();
    session.created = QDateTime::fromMSecsSinceEpoch(q.value(1).toLongLong(), Qt::UTC);
    session.expires = QDateTime::fromMSecsSinceEpoch(q.value(2).toLongLong(), Qt::UTC);
    q.finish();
    if (now >= session.expires) {
        revoke(token);
        return std::nullopt;
    }
    return session;
}

bool SessionStore::revoke(const QString &token)
{
    QSqlQuery q(m_db.connection());
    q.prepare(QStringLiteral("DELETE FROM sessions WHERE token_hash = ?"));
    q.addBindValue(tokenHash(token));
    if (!q.exec()) {
        m_error = q.lastError().text();
        return false;
    }
    return q.numRowsAffected() > 0;
}

int SessionStore::revokeAll(qint64 accountId)
{
    QSqlQuery q(m_db.connection());
    q.prepare(QStringLiteral("DELETE FROM sessions WHERE account_id = ?"));
    q.addBindValue(accountId);
    if (!q.exec()) {
        m_error = q.lastError().text();
        return -1;
    }
    return q.numRowsAffected();
}

int SessionStore::purgeExpired(const QDateTime &now)
{
    QSqlQuery q(m_db.connection());
    q.prepare(QStringLiteral("DELETE FROM sessions WHERE expires_ms <= ?"));
    q.addBindValue(now.toMSecsSinceEpoch());
    if (!q.exec()) {
        m_error = q.lastError().text();
        return -1;
    }
    return q.numRowsAffected();
}

} // namespace metatopia::store
