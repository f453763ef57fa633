// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

// The chat's durable record on top of libs/store's HistoryStore: messages in ChatMessage terms,
// plus what only the chat needs, in two tables of its own (made by libs/store's migrations):
// - chat_sent (account, clientSeq) -> message: a resent message is recognised and acknowledged
//   again instead of being stored twice. The message and its chat_sent row are committed in one
//   transaction, so after a crash either both exist or neither does.
// - chat_contacts: who exchanged private messages with whom (presence goes to them).

#include "chat/ChatClient.h"

#include <QList>
#include <QString>
#include <QStringList>

#include <memory>
#include <optional>
#include <set>

namespace metatopia {

namespace store {
class Database;
class HistoryStore;
} // namespace store

class ChatArchive
{
public:
    explicit ChatArchive(store::Database &database);
    ~ChatArchive();

    // Checks the database has the chat's tables. False with errorString() on failure.
    bool open();

    struct Item
    {
        qint64 senderId = 0;
        qint64 recipientId = 0; // 0 for channel messages
        ChatMessage message; // channel "#name", or private from -> to; id set by append
    };
    // Stores the messages with their senders' clientSeqs in one transaction (one disk sync for
    // all: group commit) and sets their ids. All or nothing: they are on disk when this returns
    // true. The (sender, clientSeq) pairs must be new and distinct.
    bool append(QList<Item> &items);
    bool append(qint64 senderId, qint64 recipientId, ChatMessage &message);
    // What senderId already stored under clientSeq: id, timestamp and seq are set.
    std::optional<ChatMessage> findSent(qint64 senderId, qint64 clientSeq);

    // Oldest first: the newest `limit` messages with id < beforeId (0: the newest of all).
    // *more tells whether older ones exist.
    QList<ChatMessage> channelHistory(
        const QString &channel, qint64 beforeId, int limit, bool *more);
    // The conversation of me and peer, files under "@peer" (as me sees it).
    QList<ChatMessage> privateHistory(
        const QString &me, const QString &peer, qint64 beforeId, int limit, bool *more);
    // Channels that have history.
    QStringList channelNames();
    // Names of everyone accountId exchanged private messages with.
    std::set<QString> contacts(qint64 accountId);

    QString errorString() const { return m_error; }

private:
    QList<ChatMessage> history(const QString &conversation, qint64 beforeId, int limit, bool *more,
        const QString &channel, const QString &me, const QString &peer);

    store::Database &m_db;
    std::unique_ptr<store::HistoryStore> m_history;
    QString m_error;
};

} // namespace metatopia
