// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "ui/PresenceListModel.h"

#include <algorithm>

namespace metatopia {

namespace {

int rank(Presence p)
{
    switch (p) {
    case Presence::Online:
        return 0;
    case Presence::Away:
        return 1;
    case Presence::Offline:
        break;
    }
    return 2;
}

bool isOnline(Presence p)
{
    return p != Presence::Offline;
}

} // namespace

PresenceListModel::PresenceListModel(QObject *parent)
    : QAbstractListModel(parent)
{ }

int PresenceListModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_items.size());
}

QVariant PresenceListModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Item &item = m_items.at(index.row());
    switch (role) {
    case Qt::DisplayRole:
    case UserRole:
        return item.user;
    case PresenceRole:
        return presenceName(item.presence);
    case PresenceTextRole:
        switch (item.presence) {
        case Presence::Online:
            return tr("Online");
        case Presence::Away:
            return tr("Away");
        case Presence::Offline:
            break;
        }
        return tr("Offline");
    case SelfRole:
        return item.user == m_selfUser;
    default:
        return {};
    }
}

QHash<int, QByteArray> PresenceListModel::roleNames() const
{
    return {
        { UserRole, "user" },
        { PresenceRole, "presence" },
        { PresenceTextRole, "presenceText" },
        { SelfRole, "self" },
    };
}

int PresenceListModel::onlineCount() const
{
    return int(std::count_if(m_items.cbegin(), m_items.cend(),
        [](const Item &item) { return isOnline(item.presence); }));
}

void PresenceListModel::setSelfUser(const QString &user)
{
    if (user == m_selfUser)
        return;
    const int oldRow = indexOf(m_selfUser);
    m_selfUser = user;
    emit selfUserChanged();
    for (const int row : { oldRow, indexOf(user) }) {
        if (row >= 0)
            emit dataChanged(index(row), index(row), { SelfRole });
    }
}

void PresenceListModel::setPresence(const QString &user, Presence presence)
{
    if (user.isEmpty())
        return;
    const int row = indexOf(user);
    const Item item { user, presence };
    if (row < 0) {
        const int target = sortedRowFor(item);
        beginInsertRows({}, target, target);
        m_items.insert(target, item);
        endInsertRows();
        emit countChanged();
        if (isOnline(presence))
            emit onlineCountChanged();
        return;
    }
    const Presence before = m_items.at(row).presence;
    if (before == presence)
        return;
    // Take the row out to find its new place among the others.
    m_items.removeAt(row);
    const int target = sortedRowFor(item);
    m_items.insert(row, item);
    if (target != row) {
        // Destination in pre-move coordinates: below the moved row it counts the row itself.
        beginMoveRows({}, row, row, {}, target > row ? target + 1 : target);
        m_items.move(row, target);
        endMoveRows();
    }
    emit dataChanged(index(target), index(target), { PresenceRole, PresenceTextRole });
    if (isOnline(before) != isOnline(presence))
        emit onlineCountChanged();
}

void PresenceListModel::addOnline(const QString &user)
{
    if (indexOf(user) < 0)
        setPresence(user, Presence::Online);
}

Presence PresenceListModel::presenceOf(const QString &user) const
{
    const int row = indexOf(user);
    return row >= 0 ? m_items.at(row).presence : Presence::Offline;
}

QString PresenceListModel::presenceNameOf(const QString &user) const
{
    return presenceName(presenceOf(user));
}

int PresenceListModel::indexOf(const QString &user) const
{
    for (int row = 0; row < m_items.size(); ++row) {
        if (m_items.at(row).user == user)
            return row;
    }
    return -1;
}

QString PresenceListModel::userAt(int row) const
{
    return row >= 0 && row < m_items.size() ? m_items.at(row).user : QString();
}

void PresenceListModel::clear()
{
    if (m_items.isEmpty())
        return;
    const bool hadOnline = onlineCount() != 0;
    beginResetModel();
    m_items.clear();
    endResetModel();
    emit countChanged();
    if (hadOnline)
        emit onlineCountChanged();
}

// The names QML shows are the protocol's own (libs/chat), so the two cannot drift apart.
QString PresenceListModel::presenceName(Presence presence)
{
    return presenceToString(presence);
}

Presence PresenceListModel::presenceFromName(const QString &name)
{
    return presenceFromString(name);
}

int PresenceListModel::sortedRowFor(const Item &item) const
{
    const auto less = [](const Item &a, const Item &b) {
        const int ra = rank(a.presence);
        const int rb = rank(b.presence);
        if (ra != rb)
            return ra < rb;
        const int byName = a.user.compare(b.user, Qt::CaseInsensitive);
        return byName != 0 ? byName < 0 : a.user < b.user;
    };
    return int(std::lower_bound(m_items.cbegin(), m_items.cend(), item, less) - m_items.cbegin());
}

} // namespace metatopia
