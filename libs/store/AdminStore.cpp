// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "store/AdminStore.h"

#include <QSqlError>
#include <QSqlQuery>
#include <QVariant>

namespace metatopia::store {

std::optional<qint64> tempAdmin(const QList<PlayerActivity> &players,
    const std::optional<QDateTime> &adminLastLogin, const QDateTime &now, int adminAbsentDays,
    int activeDays)
{
    if (adminLastLogin && adminLastLogin->isValid()
        && *adminLastLogin >= now.addDays(-adminAbsentDays))
        return std::nullopt;
    const QDateTime activeSince = now.addDays(-activeDays);
    const PlayerActivity *best = nullptr;
    for (const PlayerActivity &player : players) {
        if (!player.lastLogin.isValid() || player.lastLogin < activeSince || player.lastLogin > now)
            continue;
        if (!best || player.joined < best->joined
            || (player.joined == best->joined && player.accountId < best->accountId))
            best = &player;
    }
    if (!best)
        return std::nullopt;
    return best->accountId;
}

AdminStore::AdminStore(Database &db)
    : m_db(db)
{ }

bool AdminStore::grant(qint64 accountId, const QDateTime &now)
{
    QSqlQuery q(m_db.connection());
    q.prepare(
        QStringLiteral("INSERT OR IGNORE INTO admins (account_id, granted_ms) VALUES (?, ?)"));
    q.addBindValue(accountId);
    q.addBindValue(now.toMSecsSinceEpoch());
    if (!q.exec()) {
        m_error = q.lastError().text();
        return false;
    }
    return true;
}

bool AdminStore::revoke(qint64 accountId)
{
    QSqlQuery q(m_db.connection());
    q.prepare(QStringLiteral("DELETE FROM admins WHERE account_id = ?"));
    q.addBindValue(accountId);
    if (!q.exec()) {
        m_error = q.lastError().text();
        return false;
    }
    return q.numRowsAffected() > 0;
}

bool AdminStore::isAdmin(qint64 accountId) const
{
    QSqlQuery q(m_db.connection());
    q.prepare(QStringLiteral("SELECT 1 FROM admins WHERE account_id = ?"));
    q.addBindValue(accountId);
    if (!q.exec()) {
        m_error = q.lastError().text();
        return false;
    }
    return q.next();
}

QList<qint64> AdminStore::admins() const
{
    QList<qint64> result;
    QSqlQuery q(m_db.connection());
    if (!q.exec(QStringLiteral("SELECT account_id FROM admins ORDER BY account_id"))) {
        m_error = q.lastError().text();
        return result;
    }
    while (q.next())
        result.append(q.value(0).toLongLong());
    return result;
}

std::optional<QDateTime> AdminStore::adminLastLogin() const
{
    QSqlQuery q(m_db.connection());
    if (!q.exec(QStringLiteral("SELECT max(a.last_login_ms) FROM accounts a JOIN admins d ON "
                               "d.account_id = a.id"))
        || !q.next()) {
        m_error = q.lastError().text();
        return std::nullopt;
    }
    if (q.value(0).isNull())
        return std::nullopt;
    return QDateTime::fromMSecsSinceEpoch(q.value(0).toLongLong(), Qt::UTC);
}

std::optional<qint64> AdminStore::currentTempAdmin(const QDateTime &now, const Rule &rule) const
{
    // Only recently active non-admins can qualify, so only they are loaded.
    QSqlQuery q(m_db.connection());
    q.prepare(QStringLiteral("SELECT id, joined_ms, last_login_ms FROM accounts WHERE "
                             "last_login_ms >= ? AND id NOT IN (SELECT account_id FROM admins)"));
    q.addBindValue(now.addDays(-rule.activeDays).toMSecsSinceEpoch());
    if (!q.exec()) {
        m_error = q.lastError().text();
        return std::nullopt;
    }
    QList<PlayerActivity> players;
    while (q.next()) {
        players.append({ q.value(0).toLongLong(),
            QDateTime::fromMSecsSinceEpoch(q.value(1).toLongLong(), Qt::UTC),
            QDateTime::fromMSecsSinceEpoch(q.value(2).toLongLong(), Qt::UTC) });
    }
    return tempAdmin(players, adminLastLogin(), now, rule.adminAbsentDays, rule.activeDays);
}

bool AdminStore::hasAdminRights(qint64 accountId, const QDateTime &now, const Rule &rule) const
{
    return isAdmin(accountId) || currentTempAdmin(now, rule) == accountId;
}

} // namespace metatopia::store
