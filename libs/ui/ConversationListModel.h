// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <QAbstractListModel>
#include <QList>
#include <QtQmlIntegration>

namespace metatopia {

// The conversations a user has open: joined channels ("#name") first, then private chats
// ("@user"), each kind in the order it was opened, with the number of unread messages and the
// last line for a preview. The view groups the two kinds by the "section" role.
class ConversationListModel : public QAbstractListModel
{
    Q_OBJECT
    QML_ELEMENT
    Q_PROPERTY(int count READ count NOTIFY countChanged)
    Q_PROPERTY(int totalUnread READ totalUnread NOTIFY totalUnreadChanged)
    // The conversation being looked at: its messages do not count as unread.
    Q_PROPERTY(QString current READ current WRITE setCurrent NOTIFY currentChanged)

public:
    enum Role
    {
        NameRole = Qt::UserRole + 1, // "#general", "@bob"
        TitleRole, // "general", "bob"
        PrivateRole,
        SectionRole, // "Channels" or "Direct messages"
        UnreadRole,
        LastFromRole,
        LastTextRole,
        LastTimestampRole, // ms since epoch, 0 if none
        CurrentRole,
    };
    Q_ENUM(Role)

    explicit ConversationListModel(QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role) const override;
    QHash<int, QByteArray> roleNames() const override;

    int count() const { return int(m_items.size()); }
    int totalUnread() const;
    QString current() const { return m_current; }
    // Also marks it read.
    void setCurrent(const QString &name);

    // Adds the conversation if missing; returns its row.
    Q_INVOKABLE int add(const QString &name);
    Q_INVOKABLE bool remove(const QString &name);
    Q_INVOKABLE int indexOf(const QString &name) const;
    Q_INVOKABLE QString nameAt(int row) const;
    Q_INVOKABLE int unreadOf(const QString &name) const;
    Q_INVOKABLE void markRead(const QString &name);
    QStringList names() const;

    // Records a message for the preview, adding the conversation if needed; it counts as unread
    // unless it is ours or the conversation is the current one.
    void noteMessage(const QString &name, const QString &from, const QString &text,
        qint64 timestampMs, bool countUnread);
    Q_INVOKABLE void clear();

    // "#x" is a channel, "@x" a private chat; anything else is not a conversation name.
    static bool isChannelName(const QString &name);
    static bool isPrivateName(const QString &name);

signals:
    void countChanged();
    void totalUnreadChanged();
    void currentChanged();

private:
    struct Item
    {
        QString name;
        int unread = 0;
        QString lastFrom;
        QString lastText;
        qint64 lastTimestampMs = 0;
    };
    void emitRowChanged(int row, const QList<int> &roles);

    QList<Item> m_items;
    QString m_current;
};

} // namespace metatopia
