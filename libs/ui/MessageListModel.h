// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <QAbstractListModel>
#include <QList>
#include <QSet>
#include <QtQmlIntegration>

#include "chat/ChatClient.h"

namespace metatopia {

// The messages of one conversation (a channel or a private chat), oldest first, as the chat view
// shows them. Acknowledged messages stay ordered by their server id whatever order they arrive in
// (live, history pages, the re-join after a reconnect); a message is never shown twice: ids are
// unique, and the server's echo of one of our own messages is matched to the pending row by its
// clientSeq. Pending rows (ours, not yet stored by the server) stay at the end until acknowledged.
class MessageListModel : public QAbstractListModel
{
    Q_OBJECT
    QML_ELEMENT
    Q_PROPERTY(
        QString conversation READ conversation WRITE setConversation NOTIFY conversationChanged)
    // Our own user name: rows from it are "own" (drawn on the other side).
    Q_PROPERTY(QString selfUser READ selfUser WRITE setSelfUser NOTIFY selfUserChanged)
    Q_PROPERTY(int count READ count NOTIFY countChanged)
    // The server said there are older messages than the oldest row.
    Q_PROPERTY(bool hasMoreHistory READ hasMoreHistory WRITE setHasMoreHistory NOTIFY
            hasMoreHistoryChanged)
    // A history page was requested and has not arrived yet (so scrolling up asks only once).
    Q_PROPERTY(bool loadingHistory READ loadingHistory WRITE setLoadingHistory NOTIFY
            loadingHistoryChanged)
    Q_PROPERTY(int pendingCount READ pendingCount NOTIFY pendingCountChanged)

public:
    enum Role
    {
        IdRole = Qt::UserRole + 1,
        FromRole,
        ToRole,
        TextRole,
        TimestampRole, // QDateTime, local time
        TimeTextRole, // "14:03", or a date for older days
        PendingRole,
        OwnRole,
        PrivateRole,
        ClientSeqRole,
        // First row of a run from the same sender (the view shows the name only there).
        FirstOfGroupRole,
    };
    Q_ENUM(Role)

    explicit MessageListModel(QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role) const override;
    QHash<int, QByteArray> roleNames() const override;

    QString conversation() const { return m_conversation; }
    void setConversation(const QString &conversation);
    QString selfUser() const { return m_selfUser; }
    void setSelfUser(const QString &user);
    int count() const { return int(m_messages.size()); }
    bool hasMoreHistory() const { return m_hasMoreHistory; }
    void setHasMoreHistory(bool more);
    bool loadingHistory() const { return m_loadingHistory; }
    void setLoadingHistory(bool loading);
    int pendingCount() const;

    // A live message (or our own pending one). Returns false when it was already shown.
    bool addMessage(const ChatMessage &msg);
    // A page of history (any order); rows already shown are skipped. Clears loadingHistory.
    // Returns how many rows were inserted.
    int addHistory(const QList<ChatMessage> &messages, bool more);
    // The server stored our message clientSeq under id. Returns false if no row waits for it.
    bool acknowledge(qint64 clientSeq, qint64 id);
    // The server refused our message: the row is removed. Returns the removed message's text.
    QString reject(qint64 clientSeq);

    // The smallest acknowledged id (0 when there is none): where the next history page ends.
    Q_INVOKABLE qint64 oldestId() const;
    Q_INVOKABLE bool containsId(qint64 id) const { return m_ids.contains(id); }
    const ChatMessage &messageAt(int row) const { return m_messages.at(row); }
    Q_INVOKABLE void clear();
    // Removes the oldest rows (pending ones are never removed) until at most `keep` acknowledged
    // rows remain, for views that show a live stream and no history. Returns how many went.
    int trimOldest(int keep);

signals:
    void conversationChanged();
    void selfUserChanged();
    void countChanged();
    void hasMoreHistoryChanged();
    void loadingHistoryChanged();
    void pendingCountChanged();

private:
    // Row before which an acknowledged message with this id belongs.
    int sortedRowFor(qint64 id) const;
    int rowOfPending(qint64 clientSeq) const;
    int rowOfId(qint64 id) const;
    void insertAt(int row, const ChatMessage &msg);
    void moveToSortedPlace(int row);
    bool firstOfGroup(int row) const;
    // Rows whose FirstOfGroup may have changed because of a change at row.
    void refreshGroupAround(int row);

    QString m_conversation;
    QString m_selfUser;
    QList<ChatMessage> m_messages;
    QSet<qint64> m_ids;
    bool m_hasMoreHistory = false;
    bool m_loadingHistory = false;
};

} // namespace metatopia
