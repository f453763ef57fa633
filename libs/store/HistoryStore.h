// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

// Chat history: every message of a channel or private conversation, in arrival order, with the
// server's timestamp. append() returns only once the message is committed (see Database.h for
// the durability setting), so a message acknowledged to its sender survives a server restart.

#include "store/Database.h"

#include <QList>
#include <QString>

#include <optional>

namespace metatopia::store {

struct StoredMessage
{
    qint64 id = 0; // increases with arrival; the paging cursor
    QString conversation;
    QString sender;
    QString text;
    qint64 timestampMs = 0; // server time, ms since the epoch (UTC)
};

class HistoryStore
{
public:
    static constexpr int MaxPage = 1000;

    explicit HistoryStore(Database &db);

    // "#name" for a channel.
    static QString channelKey(const QString &channel);
    // "@a|b" for the private conversation of two accounts, the same whichever of them asks:
    // names case-folded and sorted.
    static QString privateKey(const QString &accountA, const QString &accountB);

    std::optional<StoredMessage> append(const QString &conversation, const QString &sender,
        const QString &text, qint64 timestampMs);
    // Group commit: all of messages (their id fields ignored) in one transaction, so one disk
    // sync covers them all; a server under load appends what arrived in one event-loop pass
    // this way. Returns them with their ids, or nothing (and none stored) on failure.
    std::optional<QList<StoredMessage>> appendBatch(const QList<StoredMessage> &messages);
    // The newest n messages (n capped at MaxPage), oldest first.
    QList<StoredMessage> lastN(const QString &conversation, int n) const;
    // Up to n messages older than beforeId, oldest first: pass the id of the oldest message a
    // client has to scroll further back.
    QList<StoredMessage> page(const QString &conversation, qint64 beforeId, int n) const;
    qint64 count(const QString &conversation) const;

    QString errorString() const { return m_error; }

private:
    QList<StoredMessage> query(const QString &conversation, qint64 beforeId, int n) const;

    Database &m_db;
    mutable QString m_error;
};

} // namespace metatopia::store
