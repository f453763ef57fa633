// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "chat/ChatArchive.h"

#include "store/Database.h"
#include "store/HistoryStore.h"

#include <QSqlError>
#include <QSqlQuery>
#include <QVariant>

#include <limits>

namespace metatopia {

ChatArchive::ChatArchive(store::Database &database)
    : m_db(database)
    , m_history(std::make_unique<store::HistoryStore>(database))
{ }

ChatArchive::~ChatArchive() = default;

bool ChatArchive::open()
{
    // The tables come from libs/store's migrations; a database opened below that version is a
    // caller's mistake, said clearly rather than failing on the first insert.
    if (m_db.schemaVersion() < 4) {
        m_error = QStringLiteral("the database is at schema version %1; the chat needs 4")
                      .arg(m_db.schemaVersion());
        return false;
    }
    return true;
}

bool ChatArchive::append(qint64 senderId, qint64 recipientId, ChatMessage &message)
{
    QList<Item> items { Item { senderId, recipientId, message } };
    if (!append(items))
        return false;
    message.id = items.first().message.id;
    return true;
}

bool ChatArchive::append(QList<Item> &items)
{
    if (items.isEmpty())
        return true;
    store::Transaction tx(m_db);
    if (!tx.isActive()) {
        m_error = QStringLiteral("cannot start a transaction: %1")
                      .arg(m_db.connection().lastError().text());
        return false;
    }
    QSqlQuery sent(m_db.connection());
    sent.prepare(QStringLiteral("INSERT INTO chat_sent (account_id, client_seq, message_id, "
                                "timestamp_ms) VALUES (?, ?, ?, ?)"));
    QSqlQuery contact(m_db.connection());
    contact.prepare(QStringLiteral(
        "INSERT OR IGNORE INTO chat_contacts (account_id, peer) VALUES (?, ?), (?, ?)"));
    QList<qint64> ids;
    ids.reserve(items.size());
    for (const Item &item : std::as_const(items)) {
        const ChatMessage &message = item.message;
        const QString conversation = message.isPrivate
            ? store::HistoryStore::privateKey(message.from, message.to)
            : store::HistoryStore::channelKey(message.channel.mid(1));
        const auto stored
            = m_history->append(conversation, message.from, message.text, message.timestampMs);
        if (!stored) {
            m_error = m_history->errorString();
            return false;
        }
        ids.append(stored->id);
        if (message.clientSeq != 0) {
            sent.addBindValue(item.senderId);
            sent.addBindValue(message.clientSeq);
            sent.addBindValue(stored->id);
            sent.addBindValue(message.timestampMs);
            if (!sent.exec()) {
                m_error = sent.lastError().text();
                return false;
            }
        }
        if (message.isPrivate && item.recipientId != 0) {
            contact.addBindValue(item.senderId);
            contact.addBindValue(message.to);
            contact.addBindValue(item.recipientId);
            contact.addBindValue(message.from);
            if (!contact.exec()) {
                m_error = contact.lastError().text();
                return false;
            }
        }
    }
    if (!tx.commit()) {
        m_error = QStringLiteral("commit failed: %1").arg(m_db.connection().lastError().text());
        return false;
    }
    for (qsizetype i = 0; i < items.size(); ++i)
        items[i].message.id = ids.at(i);
    return true;
}

std::optional<ChatMessage> ChatArchive::findSent(qint64 senderId, qint64 clientSeq)
{
    QSqlQuery q(m_db.connection());
    q.prepare(QStringLiteral(
        "SELECT message_id, timestamp_ms FROM chat_sent WHERE account_id = ? AND client_seq = ?"));
    q.addBindValue(senderId);
    q.addBindValue(clientSeq);
    if (!q.exec() || !q.next())
        return std::nullopt;
    ChatMessage m;
    m.id = q.value(0).toLongLong();
    m.timestampMs = q.value(1).toLongLong();
    m.clientSeq = clientSeq;
    return m;
}

QList<ChatMessage> ChatArchive::history(const QString &conversation, qint64 beforeId, int limit,
    bool *more, const QString &channel, const QString &me, const QString &peer)
{
    // One more than asked tells whether there is more.
    const qint64 bound = beforeId > 0 ? beforeId : std::numeric_limits<qint64>::max();
    QList<store::StoredMessage> rows = m_history->page(conversation, bound, limit + 1);
    const bool hasMore = rows.size() > limit;
    if (hasMore)
        rows.removeFirst();
    if (more)
        *more = hasMore;
    QList<ChatMessage> out;
    out.reserve(rows.size());
    for (const auto &row : rows) {
        ChatMessage m;
        m.id = row.id;
        m.from = row.sender;
        m.text = row.text;
        m.timestampMs = row.timestampMs;
        if (channel.isEmpty()) {
            m.isPrivate = true;
            m.to = row.sender.compare(me, Qt::CaseInsensitive) == 0 ? peer : me;
            m.channel = QLatin1Char('@') + peer;
        } else {
            m.channel = channel;
            m.to = channel;
        }
        out.append(m);
    }
    return out;
}

QList<ChatMessage> ChatArchive::channelHistory(
    const QString &channel, qint64 beforeId, int limit, bool *more)
{
    return history(
        store::HistoryStore::channelKey(channel.mid(1)), beforeId, limit, more, channel, {}, {});
}

QList<ChatMessage> ChatArchive::privateHistory(
    const QString &me, const QString &peer, qint64 beforeId, int limit, bool *more)
{
    return history(store::HistoryStore::privateKey(me, peer), beforeId, limit, more, {}, me, peer);
}

QStringList ChatArchive::channelNames()
{
    QStringList out;
    QSqlQuery q(m_db.connection());
    // The (conversation, id) index makes this a walk over distinct keys, not over messages.
    if (!q.exec(QStringLiteral("SELECT DISTINCT conversation FROM chat_messages WHERE "
                               "conversation LIKE '#%' ORDER BY conversation LIMIT 1000"))) {
        m_error = q.lastError().text();
        return out;
    }
    while (q.next())
        out.append(q.value(0).toString());
    return out;
}

std::set<QString> ChatArchive::contacts(qint64 accountId)
{
    std::set<QString> out;
    QSqlQuery q(m_db.connection());
    q.prepare(QStringLiteral("SELECT peer FROM chat_contacts WHERE account_id = ?"));
    q.addBindValue(accountId);
    if (!q.exec()) {
        m_error = q.lastError().text();
        return out;
    }
    while (q.next())
        out.insert(q.value(0).toString());
    return out;
}

} // namespace metatopia
