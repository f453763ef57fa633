// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

// Admins and the temp-admin rule (DESIGN.md §7). A world must never be left without someone who
// can administer it: if no admin has logged in within X days, the player with the earliest join
// date among those who logged in within the last Y days stands in (ties by account id). The rule
// is a pure function of the accounts' dates, recomputed on each login and each day, so a
// longer-standing player who comes back takes over, and the temp admin's own logins never
// count as the admin's.

#include "store/Database.h"

#include <QDateTime>
#include <QList>
#include <QString>

#include <optional>

namespace metatopia::store {

struct PlayerActivity
{
    qint64 accountId = 0;
    QDateTime joined;
    QDateTime lastLogin; // invalid if never logged in
};

// The temp admin's account id, or nothing when an admin logged in within adminAbsentDays (X)
// or no player logged in within activeDays (Y). "Within n days" includes exactly n days ago.
std::optional<qint64> tempAdmin(const QList<PlayerActivity> &players,
    const std::optional<QDateTime> &adminLastLogin, const QDateTime &now, int adminAbsentDays,
    int activeDays);

class AdminStore
{
public:
    struct Rule
    {
        int adminAbsentDays = 30; // X
        int activeDays = 7; // Y
    };

    explicit AdminStore(Database &db);

    bool grant(qint64 accountId, const QDateTime &now = QDateTime::currentDateTimeUtc());
    bool revoke(qint64 accountId);
    bool isAdmin(qint64 accountId) const;
    QList<qint64> admins() const;
    // The most recent login of any admin; nothing if there are no admins or none logged in.
    std::optional<QDateTime> adminLastLogin() const;
    // tempAdmin() over all accounts that are not admins.
    std::optional<qint64> currentTempAdmin(const QDateTime &now, const Rule &rule) const;
    // May this account do what an admin may (it is one, or it is the temp admin)?
    bool hasAdminRights(qint64 accountId, const QDateTime &now, const Rule &rule) const;

    QString errorString() const { return m_error; }

private:
    Database &m_db;
    mutable QString m_error;
};

} // namespace metatopia::store
