// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "ui/AccountsModel.h"

#include "store/AccountStore.h"
#include "store/AdminStore.h"
#include "store/Database.h"

#include <QFileInfo>
#include <QLocale>
#include <QSettings>

#include <algorithm>

namespace metatopia {

namespace {

const QString kRuleGroup = QStringLiteral("admins");

QString dayText(const QDateTime &when)
{
    return QLocale().toString(when.toLocalTime(), QLocale::ShortFormat);
}

} // namespace

AccountsModel::AccountsModel(QString databasePath, QString settingsPath, QObject *parent)
    : QAbstractListModel(parent)
    , m_databasePath(std::move(databasePath))
    , m_settingsPath(std::move(settingsPath))
    , m_clock([] { return QDateTime::currentDateTimeUtc(); })
{
    const store::AdminStore::Rule defaults;
    QSettings settings(m_settingsPath, QSettings::IniFormat);
    settings.beginGroup(kRuleGroup);
    m_adminAbsentDays = qBound(1,
        settings.value(QStringLiteral("adminAbsentDays"), defaults.adminAbsentDays).toInt(), 3650);
    m_activeDays = qBound(
        1, settings.value(QStringLiteral("activeDays"), defaults.activeDays).toInt(), 3650);
    connect(&m_timer, &QTimer::timeout, this, &AccountsModel::refresh);
}

AccountsModel::~AccountsModel() = default;

int AccountsModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

QVariant AccountsModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Row &row = m_rows[size_t(index.row())];
    switch (role) {
    case AccountIdRole:
        return row.id;
    case Qt::DisplayRole:
    case NameRole:
        return row.name;
    case JoinedRole:
        return dayText(row.joined);
    case LastLoginRole:
        return row.lastLogin.isValid() ? dayText(row.lastLogin) : tr("never");
    case IsAdminRole:
        return row.admin;
    case IsTempAdminRole:
        return row.tempAdmin;
    case RankRole:
        return row.admin ? tr("Admin") : row.tempAdmin ? tr("Temp admin") : tr("Player");
    default:
        return {};
    }
}

QHash<int, QByteArray> AccountsModel::roleNames() const
{
    return { { AccountIdRole, "accountId" }, { NameRole, "name" }, { JoinedRole, "joined" },
        { LastLoginRole, "lastLogin" }, { IsAdminRole, "isAdmin" },
        { IsTempAdminRole, "isTempAdmin" }, { RankRole, "rank" } };
}

void AccountsModel::setAdminAbsentDays(int days)
{
    days = qBound(1, days, 3650);
    if (days == m_adminAbsentDays)
        return;
    m_adminAbsentDays = days;
    saveRule();
    emit ruleChanged();
    refresh();
}

void AccountsModel::setActiveDays(int days)
{
    days = qBound(1, days, 3650);
    if (days == m_activeDays)
        return;
    m_activeDays = days;
    saveRule();
    emit ruleChanged();
    refresh();
}

void AccountsModel::saveRule()
{
    QSettings settings(m_settingsPath, QSettings::IniFormat);
    settings.beginGroup(kRuleGroup);
    settings.setValue(QStringLiteral("adminAbsentDays"), m_adminAbsentDays);
    settings.setValue(QStringLiteral("activeDays"), m_activeDays);
}

void AccountsModel::setRefreshInterval(int intervalMs)
{
    if (intervalMs <= 0)
        m_timer.stop();
    else
        m_timer.start(intervalMs);
}

void AccountsModel::setErrorText(const QString &text)
{
    if (text == m_errorText)
        return;
    m_errorText = text;
    emit errorTextChanged();
}

bool AccountsModel::ensureOpen()
{
    if (m_db && m_db->isOpen())
        return true;
    // The chat server creates and migrates its database; opening a missing file here would
    // create one at a path the server may not use yet.
    if (!QFileInfo::exists(m_databasePath)) {
        setErrorText(tr("No accounts yet: the chat server has not created %1").arg(m_databasePath));
        return false;
    }
    auto db = std::make_unique<store::Database>();
    store::DatabaseOptions options;
    options.synchronous = store::DatabaseOptions::Synchronous::Normal;
    if (!db->open(m_databasePath, options)) {
        setErrorText(tr("Cannot read the accounts: %1").arg(db->errorString()));
        return false;
    }
    // Only reads and admin grants happen here, so the cheapest hashing cost will never be used.
    m_accounts = std::make_unique<store::AccountStore>(*db, store::PasswordHashing::minimal());
    m_admins = std::make_unique<store::AdminStore>(*db);
    m_db = std::move(db);
    return true;
}

bool AccountsModel::refresh()
{
    if (!ensureOpen())
        return false;
    const QDateTime now = m_clock();
    const store::AdminStore::Rule rule { m_adminAbsentDays, m_activeDays };
    const QList<store::Account> accounts = m_accounts->accounts();
    const QList<qint64> admins = m_admins->admins();
    const std::optional<qint64> temp = m_admins->currentTempAdmin(now, rule);

    std::vector<Row> rows;
    rows.reserve(size_t(accounts.size()));
    for (const store::Account &account : accounts) {
        rows.push_back(Row { account.id, account.name, account.joined, account.lastLogin,
            admins.contains(account.id), temp == account.id });
    }
    // Admins first, then the temp admin, then by join date: the order of the rule itself.
    std::stable_sort(rows.begin(), rows.end(), [](const Row &a, const Row &b) {
        if (a.admin != b.admin)
            return a.admin;
        if (a.tempAdmin != b.tempAdmin)
            return a.tempAdmin;
        return a.joined != b.joined ? a.joined < b.joined : a.id < b.id;
    });
    const bool countChanges = rows.size() != m_rows.size();
    beginResetModel();
    m_rows = std::move(rows);
    endResetModel();
    if (countChanges)
        emit countChanged();

    QString tempName;
    for (const Row &row : m_rows) {
        if (row.tempAdmin)
            tempName = row.name;
    }
    const QString summary = describe(m_admins->adminLastLogin(), tempName, !admins.isEmpty());
    if (tempName != m_tempAdminName || summary != m_summary) {
        m_tempAdminName = tempName;
        m_summary = summary;
        emit summaryChanged();
    }
    setErrorText(QString());
    return true;
}

QString AccountsModel::describe(
    const std::optional<QDateTime> &adminLastLogin, const QString &tempAdmin, bool anyAdmin) const
{
    QString admin;
    if (!anyAdmin)
        admin = tr("No admin yet.");
    else if (!adminLastLogin)
        admin = tr("No admin has logged in yet.");
    else
        admin = tr("An admin last logged in %1.").arg(dayText(*adminLastLogin));
    if (!tempAdmin.isEmpty()) {
        return tr("%1 %2 is temp admin, with full powers, until an admin logs in "
                  "(rule: no admin login for %3 days; the longest-standing player active in "
                  "the last %4 days).")
            .arg(admin, tempAdmin)
            .arg(m_adminAbsentDays)
            .arg(m_activeDays);
    }
    return tr("%1 No temp admin (one stands in when no admin has logged in for %2 days).")
        .arg(admin)
        .arg(m_adminAbsentDays);
}

bool AccountsModel::setAdmin(qint64 accountId, bool admin)
{
    if (!ensureOpen())
        return false;
    if (!m_accounts->findById(accountId)) {
        setErrorText(tr("There is no account %1").arg(accountId));
        return false;
    }
    // revoke() is also false when there was nothing to revoke: judge by the outcome.
    const bool ok = admin ? m_admins->grant(accountId, m_clock()) : m_admins->revoke(accountId);
    if (!ok && m_admins->isAdmin(accountId) != admin) {
        setErrorText(tr("Cannot change the admins: %1").arg(m_admins->errorString()));
        return false;
    }
    return refresh();
}

} // namespace metatopia
