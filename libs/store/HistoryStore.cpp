// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "store/HistoryStore.h"

#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QVariant>

#include <algorithm>
#include <limits>

namespace metatopia::store {

HistoryStore::HistoryStore(Database &db)
    : m_db(db)
{ }

QString HistoryStore::channelKey(const QString &channel)
{
    return QLatin1Char('#') + channel;
}

QString HistoryStore::privateKey(const QString &accountA, const QString &accountB)
{
    QString a = accountA.toCaseFolded();
    QString b = accountB.toCaseFolded();
    if (b < a)
        std::swap(a, b);
    return QLatin1Char('@') + a + QLatin1Char('|') + b;
}

std::optional<StoredMessage> HistoryStore::append(
    const QString &conversation, const QString &sender, const QString &text, qint64 timestampMs)
{
    QSqlQuery q(m_db.connection());
    q.prepare(QStringLiteral("INSERT INTO chat_messages (conversation, sender, text, timestamp_ms) "
                             "VALUES (?, ?, ?, ?)"));
    q.addBindValue(conversation);
    q.addBindValue(sender);
    q.addBindValue(text);
    q.addBindValue(timestampMs);
    // Autocommit: exec() returns after SQLite committed (and, with synchronous=FULL, synced).
    if (!q.exec()) {
        m_error = q.lastError().text();
        return std::nullopt;
    }
    return StoredMessage { q.lastInsertId().toLongLong(), conversation, sender, text, timestampMs };
}

std::optional<QList<StoredMessage>> HistoryStore::appendBatch(const QList<StoredMessage> &messages)
{
    Transaction transaction(m_db);
    if (!transaction.isActive()) {
        m_error = m_db.connection().lastError().text();
        return std::nullopt;
    }
    QList<StoredMessage> stored;
    stored.reserve(messages.size());
    for (const StoredMessage &message : messages) {
        const auto one
            = append(message.conversation, message.sender, message.text, message.timestampMs);
        if (!one)
            return std::nullopt;
        stored.append(*one);
    }
    if (!transaction.commit()) {
        m_error = m_db.connection().lastError().text();
        return std::nullopt;
    }
    return stored;
}

QList<StoredMessage> HistoryStore::query(const QString &conversation, qint64 beforeId, int n) const
{
    QList<StoredMessage> result;
    n = std::clamp(n, 0, MaxPage);
    if (n == 0)
        return result;
    QSqlQuery q(m_db.connection());
    q.prepare(QStringLiteral("SELECT id, sender, text, timestamp_ms FROM chat_messages WHERE "
                             "conversation = ? AND id < ? ORDER BY id DESC LIMIT ?"));
    q.addBindValue(conversation);
    q.addBindValue(beforeId);
    q.addBindValue(n);
    if (!q.exec()) {
        m_error = q.lastError().text();
        return result;
    }
    while (q.next()) {
        result.append({ q.value(0).toLongLong(), conversation, q.value(1).toString(),
            q.value(2).toString(), q.value(3).toLongLong() });
    }
    std::reverse(result.begin(), result.end());
    return result;
}

QList<StoredMessage> HistoryStore::lastN(const QString &conversation, int n) const
{
    return query(conversation, std::numeric_limits<qint64>::max(), n);
}

QList<StoredMessage> HistoryStore::page(const QString &conversation, qint64 beforeId, int n) const
{
    return query(conversation, beforeId, n);
}

qint64 HistoryStore::count(const QString &conversation) const
{
    QSqlQuery q(m_db.connection());
    q.prepare(QStringLiteral("SELECT count(*) FROM chat_messages WHERE conversation = ?"));
    q.addBindValue(conversation);
    if (!q.exec() || !q.next()) {
        m_error = q.lastError().text();
        return -1;
    }
    return q.value(0).toLongLong();
}

} // namespace metatopia::store
