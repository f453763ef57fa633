// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

// How long a server waits before answering a failed login: the delay doubles with each recent
// failure for the same account or from the same address (whichever has more), so guessing
// passwords gets slow while a user who mistypes once barely notices. The server applies the
// delay with a timer, never by sleeping, so other clients keep being served.

#include <QDateTime>
#include <QHash>
#include <QString>

namespace metatopia::store {

class LoginThrottle
{
public:
    struct Policy
    {
        int baseDelayMs = 500; // after the first failure
        int maxDelayMs = 30000;
        int forgetAfterSeconds = 15 * 60; // failures older than this no longer count
        int maxEntries = 100000; // bounded memory under a distributed attack
    };

    LoginThrottle();
    explicit LoginThrottle(Policy policy);

    // Records a failed attempt and returns the delay (ms) to apply before answering it.
    int recordFailure(const QString &account, const QString &address,
        const QDateTime &now = QDateTime::currentDateTimeUtc());
    // A success clears the account's failures and the address's.
    void recordSuccess(const QString &account, const QString &address);
    // Recent failures counted for this account/address pair (the larger of the two).
    int failures(const QString &account, const QString &address,
        const QDateTime &now = QDateTime::currentDateTimeUtc()) const;

    // Pure rule: 0 for no failures, else base * 2^(failures-1), capped at max.
    static int delayForFailures(int failures, const Policy &policy);

private:
    struct Entry
    {
        int failures = 0;
        qint64 lastMs = 0;
    };
    int count(const QString &key, qint64 nowMs) const;
    void bump(const QString &key, qint64 nowMs);
    void prune(qint64 nowMs);

    Policy m_policy;
    QHash<QString, Entry> m_entries;
};

} // namespace metatopia::store
