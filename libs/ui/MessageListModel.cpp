// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "ui/MessageListModel.h"

#include <QDateTime>
#include <QLocale>

#include <algorithm>

namespace metatopia {

namespace {

// Messages from the same sender closer than this are drawn as one group.
constexpr qint64 groupGapMs = 5 * 60 * 1000;

QString timeText(qint64 timestampMs)
{
    const QDateTime when = QDateTime::fromMSecsSinceEpoch(timestampMs).toLocalTime();
    const QLocale locale;
    if (when.date() == QDate::currentDate())
        return locale.toString(when.time(), QStringLiteral("HH:mm"));
    return locale.toString(when, QLocale::ShortFormat);
}

} // namespace

MessageListModel::MessageListModel(QObject *parent)
    : QAbstractListModel(parent)
{ }

int MessageListModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_messages.size());
}

QVariant MessageListModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const ChatMessage &m = m_messages.at(index.row());
    switch (role) {
    case Qt::DisplayRole:
    case TextRole:
        return m.text;
    case IdRole:
        return m.id;
    case FromRole:
        return m.from;
    case ToRole:
        return m.to;
    case TimestampRole:
        return QDateTime::fromMSecsSinceEpoch(m.timestampMs).toLocalTime();
    case TimeTextRole:
        return timeText(m.timestampMs);
    case PendingRole:
        return m.pending;
    case OwnRole:
        return !m_selfUser.isEmpty() && m.from == m_selfUser;
    case PrivateRole:
        return m.isPrivate;
    case ClientSeqRole:
        return m.clientSeq;
    case FirstOfGroupRole:
        return firstOfGroup(index.row());
    default:
        return {};
    }
}

QHash<int, QByteArray> MessageListModel::roleNames() const
{
    return {
        { IdRole, "messageId" },
        { FromRole, "from" },
        { ToRole, "to" },
        { TextRole, "text" },
        { TimestampRole, "timestamp" },
        { TimeTextRole, "timeText" },
        { PendingRole, "pending" },
        { OwnRole, "own" },
        { PrivateRole, "isPrivate" },
        { ClientSeqRole, "clientSeq" },
        { FirstOfGroupRole, "firstOfGroup" },
    };
}

void MessageListModel::setConversation(const QString &conversation)
{
    if (conversation == m_conversation)
        return;
    m_conversation = conversation;
    emit conversationChanged();
}

void MessageListModel::setSelfUser(const QString &user)
{
    if (user == m_selfUser)
        return;
    m_selfUser = user;
    emit selfUserChanged();
    if (!m_messages.isEmpty())
        emit dataChanged(index(0), index(int(m_messages.size()) - 1), { OwnRole });
}

void MessageListModel::setHasMoreHistory(bool more)
{
    if (more == m_hasMoreHistory)
        return;
    m_hasMoreHistory = more;
    emit hasMoreHistoryChanged();
}

void MessageListModel::setLoadingHistory(bool loading)
{
    if (loading == m_loadingHistory)
        return;
    m_loadingHistory = loading;
    emit loadingHistoryChanged();
}

int MessageListModel::pendingCount() const
{
    return int(std::count_if(
        m_messages.cbegin(), m_messages.cend(), [](const ChatMessage &m) { return m.pending; }));
}

qint64 MessageListModel::oldestId() const
{
    // Acknowledged rows come first and are sorted, so the first one is the oldest.
    if (m_messages.isEmpty() || m_messages.first().pending)
        return 0;
    return m_messages.first().id;
}

bool MessageListModel::addMessage(const ChatMessage &msg)
{
    if (msg.pending) {
        if (rowOfPending(msg.clientSeq) >= 0)
            return false;
        insertAt(int(m_messages.size()), msg);
        emit pendingCountChanged();
        return true;
    }
    if (m_ids.contains(msg.id))
        return false;
    const int pendingRow = rowOfPending(msg.clientSeq);
    if (pendingRow >= 0 && msg.from == m_selfUser && m_messages.at(pendingRow).text == msg.text) {
        // The server's copy of our own message overtook its ack: it is the same row.
        acknowledge(msg.clientSeq, msg.id);
        ChatMessage &row = m_messages[rowOfId(msg.id)];
        row.timestampMs = msg.timestampMs;
        const QModelIndex idx = index(rowOfId(msg.id));
        emit dataChanged(idx, idx, { TimestampRole, TimeTextRole });
        return false;
    }
    insertAt(sortedRowFor(msg.id), msg);
    return true;
}

int MessageListModel::addHistory(const QList<ChatMessage> &messages, bool more)
{
    const qint64 oldestBefore = oldestId();
    QList<ChatMessage> sorted = messages;
    std::sort(sorted.begin(), sorted.end(),
        [](const ChatMessage &a, const ChatMessage &b) { return a.id < b.id; });

    // The usual page (all older than what is shown) goes in with one insert so the view keeps
    // its place; anything else (a gap filled after a reconnect) is merged row by row.
    QList<ChatMessage> front;
    QList<ChatMessage> rest;
    for (ChatMessage m : sorted) {
        m.pending = false;
        if (m_ids.contains(m.id))
            continue;
        if (!front.isEmpty() && front.last().id == m.id)
            continue;
        if (oldestBefore != 0 && m.id < oldestBefore && rowOfPending(m.clientSeq) < 0)
            front.append(m);
        else
            rest.append(m);
    }

    int inserted = 0;
    if (!front.isEmpty()) {
        beginInsertRows({}, 0, int(front.size()) - 1);
        for (int i = 0; i < front.size(); ++i) {
            m_messages.insert(i, front.at(i));
            m_ids.insert(front.at(i).id);
        }
        endInsertRows();
        inserted += int(front.size());
        refreshGroupAround(int(front.size()) - 1);
        emit countChanged();
    }
    for (const ChatMessage &m : std::as_const(rest)) {
        if (addMessage(m))
            ++inserted;
    }

    const bool extendsFront
        = oldestBefore == 0 || sorted.isEmpty() || sorted.first().id <= oldestBefore;
    if (extendsFront)
        setHasMoreHistory(more);
    setLoadingHistory(false);
    return inserted;
}

bool MessageListModel::acknowledge(qint64 clientSeq, qint64 id)
{
    const int row = rowOfPending(clientSeq);
    if (row < 0)
        return false;
    if (m_ids.contains(id)) {
        // The stored copy is already shown (it came with a history page): drop the pending row.
        beginRemoveRows({}, row, row);
        m_messages.removeAt(row);
        endRemoveRows();
        refreshGroupAround(row - 1);
        emit countChanged();
        emit pendingCountChanged();
        return true;
    }
    ChatMessage &m = m_messages[row];
    m.pending = false;
    m.id = id;
    m_ids.insert(id);
    const QModelIndex idx = index(row);
    emit dataChanged(idx, idx, { PendingRole, IdRole });
    moveToSortedPlace(row);
    emit pendingCountChanged();
    return true;
}

QString MessageListModel::reject(qint64 clientSeq)
{
    const int row = rowOfPending(clientSeq);
    if (row < 0)
        return {};
    const QString text = m_messages.at(row).text;
    beginRemoveRows({}, row, row);
    m_messages.removeAt(row);
    endRemoveRows();
    refreshGroupAround(row - 1);
    emit countChanged();
    emit pendingCountChanged();
    return text;
}

int MessageListModel::trimOldest(int keep)
{
    const int acknowledged = int(m_messages.size()) - pendingCount();
    const int excess = acknowledged - qMax(0, keep);
    if (excess <= 0)
        return 0;
    // Acknowledged rows come first, oldest at the top.
    beginRemoveRows({}, 0, excess - 1);
    for (int row = 0; row < excess; ++row)
        m_ids.remove(m_messages.at(row).id);
    m_messages.remove(0, excess);
    endRemoveRows();
    refreshGroupAround(-1);
    emit countChanged();
    return excess;
}

void MessageListModel::clear()
{
    if (m_messages.isEmpty())
        return;
    const int pendingBefore = pendingCount();
    beginResetModel();
    m_messages.clear();
    m_ids.clear();
    endResetModel();
    emit countChanged();
    if (pendingBefore != 0)
        emit pendingCountChanged();
    setHasMoreHistory(false);
    setLoadingHistory(false);
}

int MessageListModel::sortedRowFor(qint64 id) const
{
    // Acknowledged rows are [0, ackedEnd), sorted by id; pending rows follow.
    int ackedEnd = int(m_messages.size());
    while (ackedEnd > 0 && m_messages.at(ackedEnd - 1).pending)
        --ackedEnd;
    const auto it = std::upper_bound(m_messages.cbegin(), m_messages.cbegin() + ackedEnd, id,
        [](qint64 v, const ChatMessage &m) { return v < m.id; });
    return int(it - m_messages.cbegin());
}

int MessageListModel::rowOfPending(qint64 clientSeq) const
{
    if (clientSeq == 0)
        return -1;
    for (int row = int(m_messages.size()) - 1; row >= 0; --row) {
        const ChatMessage &m = m_messages.at(row);
        if (!m.pending)
            break;
        if (m.clientSeq == clientSeq)
            return row;
    }
    return -1;
}

int MessageListModel::rowOfId(qint64 id) const
{
    for (int row = int(m_messages.size()) - 1; row >= 0; --row) {
        if (!m_messages.at(row).pending && m_messages.at(row).id == id)
            return row;
    }
    return -1;
}

void MessageListModel::insertAt(int row, const ChatMessage &msg)
{
    beginInsertRows({}, row, row);
    m_messages.insert(row, msg);
    if (!msg.pending)
        m_ids.insert(msg.id);
    endInsertRows();
    refreshGroupAround(row);
    emit countChanged();
}

void MessageListModel::moveToSortedPlace(int row)
{
    // The row was pending (at the end) and now has an id: it belongs after the acknowledged
    // rows with smaller ids, which may be further up if others' messages arrived meanwhile.
    ChatMessage m = m_messages.at(row);
    m_messages.removeAt(row);
    const int target = sortedRowFor(m.id);
    m_messages.insert(row, m);
    if (target == row)
        return;
    // beginMoveRows wants the destination in pre-move coordinates.
    beginMoveRows({}, row, row, {}, target);
    m_messages.move(row, target);
    endMoveRows();
    const int last = std::min(row + 1, int(m_messages.size()) - 1);
    emit dataChanged(index(target), index(last), { FirstOfGroupRole });
}

bool MessageListModel::firstOfGroup(int row) const
{
    if (row <= 0)
        return true;
    const ChatMessage &prev = m_messages.at(row - 1);
    const ChatMessage &cur = m_messages.at(row);
    return prev.from != cur.from || cur.timestampMs - prev.timestampMs > groupGapMs;
}

void MessageListModel::refreshGroupAround(int row)
{
    const int next = row + 1;
    if (next >= 0 && next < m_messages.size()) {
        const QModelIndex idx = index(next);
        emit dataChanged(idx, idx, { FirstOfGroupRole });
    }
}

} // namespace metatopia
