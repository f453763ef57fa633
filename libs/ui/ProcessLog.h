// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <QAbstractListModel>
#include <QStringList>
#include <QtQmlIntegration>

namespace metatopia {

// The last lines a child process wrote, as a list model (role "line", also Qt::DisplayRole) so a
// view can follow a log without copying it. Older lines fall off the front beyond a capacity.
class ProcessLog : public QAbstractListModel
{
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("Each process of a LocalWorld has its log")
    Q_PROPERTY(int count READ count NOTIFY countChanged)
public:
    enum Role
    {
        LineRole = Qt::UserRole + 1,
    };

    explicit ProcessLog(int capacity = 500, QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role) const override;
    QHash<int, QByteArray> roleNames() const override;

    void append(const QString &line);
    void clear();
    int count() const { return int(m_lines.size()); }
    int capacity() const { return m_capacity; }
    const QStringList &lines() const { return m_lines; }
    // Every line, newline-terminated (copying to the clipboard, saving).
    Q_INVOKABLE QString text() const;

signals:
    void countChanged();
    void lineAppended(const QString &line);

private:
    int m_capacity;
    QStringList m_lines;
};

} // namespace metatopia
