// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <QAbstractListModel>
#include <QDateTime>
#include <QTimer>
#include <QtQmlIntegration>

#include <functional>
#include <memory>
#include <optional>

namespace metatopia {

namespace store {
class Database;
class AccountStore;
class AdminStore;
} // namespace store

// The world's accounts for the manager's Accounts page: who joined when, who logged in when,
// who is admin, and who stands in as temp admin right now (DESIGN.md §7). It reads the chat
// server's own database file (SQLite in WAL mode lets the server keep writing meanwhile) and
// recomputes the temp admin on every refresh, so a longer-standing player who comes back takes
// over within one refresh. The rule's X and Y are kept in the world's settings file.
class AccountsModel : public QAbstractListModel
{
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("The manager creates the AccountsModel for its world")
    Q_PROPERTY(int count READ count NOTIFY countChanged)
    Q_PROPERTY(QString tempAdminName READ tempAdminName NOTIFY summaryChanged)
    Q_PROPERTY(QString summary READ summary NOTIFY summaryChanged)
    Q_PROPERTY(int adminAbsentDays READ adminAbsentDays WRITE setAdminAbsentDays NOTIFY ruleChanged)
    Q_PROPERTY(int activeDays READ activeDays WRITE setActiveDays NOTIFY ruleChanged)
    Q_PROPERTY(QString errorText READ errorText NOTIFY errorTextChanged)
public:
    enum Role
    {
        AccountIdRole = Qt::UserRole + 1,
        NameRole,
        JoinedRole, // text, local time
        LastLoginRole, // text, "never" when never logged in
        IsAdminRole,
        IsTempAdminRole,
        RankRole, // "Admin", "Temp admin" or "Player"
    };
    Q_ENUM(Role)

    using Clock = std::function<QDateTime()>;

    // databasePath: the chat server's SQLite file (it may not exist until the server first
    // starts; the model opens it once it does). settingsPath: an INI file for the rule.
    AccountsModel(QString databasePath, QString settingsPath, QObject *parent = nullptr);
    ~AccountsModel() override;

    int rowCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role) const override;
    QHash<int, QByteArray> roleNames() const override;

    int count() const { return int(m_rows.size()); }
    QString tempAdminName() const { return m_tempAdminName; }
    QString summary() const { return m_summary; }
    int adminAbsentDays() const { return m_adminAbsentDays; }
    void setAdminAbsentDays(int days);
    int activeDays() const { return m_activeDays; }
    void setActiveDays(int days);
    QString errorText() const { return m_errorText; }

    // Reloads accounts and admins and recomputes the temp admin; false (errorText) when the
    // database cannot be read.
    Q_INVOKABLE bool refresh();
    // Grants or revokes admin rights; false (errorText) on failure.
    Q_INVOKABLE bool setAdmin(qint64 accountId, bool admin);
    // Refreshes every intervalMs while the world runs (0 stops).
    void setRefreshInterval(int intervalMs);
    // Tests move time instead of waiting days.
    void setClock(Clock clock) { m_clock = std::move(clock); }

signals:
    void countChanged();
    void summaryChanged();
    void ruleChanged();
    void errorTextChanged();

private:
    struct Row
    {
        qint64 id = 0;
        QString name;
        QDateTime joined;
        QDateTime lastLogin;
        bool admin = false;
        bool tempAdmin = false;
    };

    bool ensureOpen();
    void setErrorText(const QString &text);
    void saveRule();
    QString describe(const std::optional<QDateTime> &adminLastLogin, const QString &tempAdmin,
        bool anyAdmin) const;

    QString m_databasePath;
    QString m_settingsPath;
    std::unique_ptr<store::Database> m_db;
    std::unique_ptr<store::AccountStore> m_accounts;
    std::unique_ptr<store::AdminStore> m_admins;
    std::vector<Row> m_rows;
    QString m_tempAdminName;
    QString m_summary;
    QString m_errorText;
    int m_adminAbsentDays = 30;
    int m_activeDays = 7;
    Clock m_clock;
    QTimer m_timer;
};

} // namespace metatopia
