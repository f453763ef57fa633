// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <QAbstractListModel>
#include <QList>
#include <QtQmlIntegration>

#include "chat/ChatClient.h"

namespace metatopia {

// The people a user can see (members of joined channels, private-chat peers) with their
// presence, online first, then away, then offline, each group in name order.
class PresenceListModel : public QAbstractListModel
{
    Q_OBJECT
    QML_ELEMENT
    Q_PROPERTY(int count READ count NOTIFY countChanged)
    Q_PROPERTY(int onlineCount READ onlineCount NOTIFY onlineCountChanged)
    // Our own user name, marked in the list and never offered as a private-chat peer.
    Q_PROPERTY(QString selfUser READ selfUser WRITE setSelfUser NOTIFY selfUserChanged)

public:
    enum Role
    {
        UserRole = Qt::UserRole + 1,
        PresenceRole, // "online", "away", "offline"
        PresenceTextRole, // translated
        SelfRole,
    };
    Q_ENUM(Role)

    explicit PresenceListModel(QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role) const override;
    QHash<int, QByteArray> roleNames() const override;

    int count() const { return int(m_items.size()); }
    // Online or away.
    int onlineCount() const;
    QString selfUser() const { return m_selfUser; }
    void setSelfUser(const QString &user);

    // Adds the user if needed and moves the row to where its presence sorts.
    void setPresence(const QString &user, Presence presence);
    // Adds the user as online unless already known (a channel's member list).
    void addOnline(const QString &user);
    Presence presenceOf(const QString &user) const;
    Q_INVOKABLE QString presenceNameOf(const QString &user) const;
    Q_INVOKABLE int indexOf(const QString &user) const;
    Q_INVOKABLE QString userAt(int row) const;
    Q_INVOKABLE void clear();

    static QString presenceName(Presence presence);
    static Presence presenceFromName(const QString &name);

signals:
    void countChanged();
    void onlineCountChanged();
    void selfUserChanged();

private:
    struct Item
    {
        QString user;
        Presence presence = Presence::Offline;
    };
    int sortedRowFor(const Item &item) const;

    QList<Item> m_items;
    QString m_selfUser;
};

} // namespace metatopia
