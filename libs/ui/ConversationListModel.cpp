// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "ui/ConversationListModel.h"

#include <numeric>

namespace metatopia {

ConversationListModel::ConversationListModel(QObject *parent)
    : QAbstractListModel(parent)
{ }

int ConversationListModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_items.size());
}

QVariant ConversationListModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Item &item = m_items.at(index.row());
    switch (role) {
    case NameRole:
        return item.name;
    case Qt::DisplayRole:
    case TitleRole:
        return item.name.mid(1);
    case PrivateRole:
        return isPrivateName(item.name);
    case SectionRole:
        return isPrivateName(item.name) ? tr("Direct messages") : tr("Channels");
    case UnreadRole:
        return item.unread;
    case LastFromRole:
        return item.lastFrom;
    case LastTextRole:
        return item.lastText;
    case LastTimestampRole:
        return item.lastTimestampMs;
    case CurrentRole:
        return item.name == m_current;
    default:
        return {};
    }
}

QHash<int, QByteArray> ConversationListModel::roleNames() const
{
    return {
        { NameRole, "name" },
        { TitleRole, "title" },
        { PrivateRole, "isPrivate" },
        { SectionRole, "section" },
        { UnreadRole, "unread" },
        { LastFromRole, "lastFrom" },
        { LastTextRole, "lastText" },
        { LastTimestampRole, "lastTimestamp" },
        { CurrentRole, "current" },
    };
}

int ConversationListModel::totalUnread() const
{
    return std::accumulate(m_items.cbegin(), m_items.cend(), 0,
        [](int sum, const Item &item) { return sum + item.unread; });
}

void ConversationListModel::setCurrent(const QString &name)
{
    if (name == m_current) {
        markRead(name);
        return;
    }
    const int oldRow = indexOf(m_current);
    m_current = name;
    if (oldRow >= 0)
        emitRowChanged(oldRow, { CurrentRole });
    const int row = indexOf(name);
    if (row >= 0)
        emitRowChanged(row, { CurrentRole });
    markRead(name);
    emit currentChanged();
}

int ConversationListModel::add(const QString &name)
{
    if (!isChannelName(name) && !isPrivateName(name))
        return -1;
    if (const int row = indexOf(name); row >= 0)
        return row;
    // Channels before private chats; within a kind, in the order they were opened.
    int row = int(m_items.size());
    if (isChannelName(name)) {
        row = 0;
        while (row < m_items.size() && isChannelName(m_items.at(row).name))
            ++row;
    }
    beginInsertRows({}, row, row);
    Item item;
    item.name = name;
    m_items.insert(row, item);
    endInsertRows();
    emit countChanged();
    return row;
}

bool ConversationListModel::remove(const QString &name)
{
    const int row = indexOf(name);
    if (row < 0)
        return false;
    const bool hadUnread = m_items.at(row).unread != 0;
    beginRemoveRows({}, row, row);
    m_items.removeAt(row);
    endRemoveRows();
    emit countChanged();
    if (hadUnread)
        emit totalUnreadChanged();
    return true;
}

int ConversationListModel::indexOf(const QString &name) const
{
    for (int row = 0; row < m_items.size(); ++row) {
        if (m_items.at(row).name == name)
            return row;
    }
    return -1;
}

QString ConversationListModel::nameAt(int row) const
{
    return row >= 0 && row < m_items.size() ? m_items.at(row).name : QString();
}

int ConversationListModel::unreadOf(const QString &name) const
{
    const int row = indexOf(name);
    return row >= 0 ? m_items.at(row).unread : 0;
}

void ConversationListModel::markRead(const QString &name)
{
    const int row = indexOf(name);
    if (row < 0 || m_items.at(row).unread == 0)
        return;
    m_items[row].unread = 0;
    emitRowChanged(row, { UnreadRole });
    emit totalUnreadChanged();
}

QStringList ConversationListModel::names() const
{
    QStringList out;
    out.reserve(m_items.size());
    for (const Item &item : m_items)
        out.append(item.name);
    return out;
}

void ConversationListModel::noteMessage(const QString &name, const QString &from,
    const QString &text, qint64 timestampMs, bool countUnread)
{
    const int row = add(name);
    if (row < 0)
        return;
    Item &item = m_items[row];
    QList<int> roles;
    // History pages arrive after newer live messages: keep the newest line as the preview.
    if (timestampMs >= item.lastTimestampMs) {
        item.lastFrom = from;
        item.lastText = text;
        item.lastTimestampMs = timestampMs;
        roles = { LastFromRole, LastTextRole, LastTimestampRole };
    }
    if (countUnread && name != m_current) {
        ++item.unread;
        roles.append(UnreadRole);
    }
    if (!roles.isEmpty())
        emitRowChanged(row, roles);
    if (roles.contains(UnreadRole))
        emit totalUnreadChanged();
}

void ConversationListModel::clear()
{
    if (m_items.isEmpty())
        return;
    const bool hadUnread = totalUnread() != 0;
    beginResetModel();
    m_items.clear();
    endResetModel();
    emit countChanged();
    if (hadUnread)
        emit totalUnreadChanged();
}

bool ConversationListModel::isChannelName(const QString &name)
{
    return name.size() > 1 && name.front() == u'#';
}

bool ConversationListModel::isPrivateName(const QString &name)
{
    return name.size() > 1 && name.front() == u'@';
}

void ConversationListModel::emitRowChanged(int row, const QList<int> &roles)
{
    const QModelIndex idx = index(row);
    emit dataChanged(idx, idx, roles);
}

} // namespace metatopia
