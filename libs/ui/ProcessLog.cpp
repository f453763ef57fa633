// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "ui/ProcessLog.h"

namespace metatopia {

ProcessLog::ProcessLog(int capacity, QObject *parent)
    : QAbstractListModel(parent)
    , m_capacity(qMax(1, capacity))
{ }

int ProcessLog::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_lines.size());
}

QVariant ProcessLog::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= m_lines.size())
        return {};
    if (role == Qt::DisplayRole || role == LineRole)
        return m_lines.at(index.row());
    return {};
}

QHash<int, QByteArray> ProcessLog::roleNames() const
{
    return { { LineRole, "line" } };
}

void ProcessLog::append(const QString &line)
{
    if (m_lines.size() >= m_capacity) {
        beginRemoveRows({}, 0, 0);
        m_lines.removeFirst();
        endRemoveRows();
    }
    beginInsertRows({}, int(m_lines.size()), int(m_lines.size()));
    m_lines.append(line);
    endInsertRows();
    emit countChanged();
    emit lineAppended(line);
}

void ProcessLog::clear()
{
    if (m_lines.isEmpty())
        return;
    beginResetModel();
    m_lines.clear();
    endResetModel();
    emit countChanged();
}

QString ProcessLog::text() const
{
    QString out;
    for (const QString &line : m_lines)
        out += line + QLatin1Char('\n');
    return out;
}

} // namespace metatopia
