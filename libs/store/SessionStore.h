// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

// Session tokens: 256 random bits (libsodium randombytes) handed to a client after a password
// login, so that reconnecting does not need the password again. Only a BLAKE2b hash of each
// token is stored: a copy of the database does not let anyone in.

#include "store/Database.h"

#include <QDateTime>
#include <QString>

#include <chrono>
#include <optional>

namespace metatopia::store {

struct Session
{
    qint64 accountId = 0;
    QDateTime created; // UTC
    QDateTime expires; // UTC
};

class SessionStore
{
public:
    static constexpr std::chrono::seconds DefaultLifetime { std::chrono::hours(24 * 30) };

    explicit SessionStore(Database &db);

    // A new token (URL-safe base64, no padding) for accountId, or empty on failure.
    QString create(qint64 accountId, const QDateTime &now = QDateTime::currentDateTimeUtc(),
        std::chrono::seconds lifetime = DefaultLifetime);
    // The session of a known, unexpired token. An expired token is deleted on sight.
    std::optional<Session> validate(
        const QString &token, const QDateTime &now = QDateTime::currentDateTimeUtc());
    bool revoke(const QString &token);
    // Logs an account out everywhere; returns how many sessions ended (-1 on error).
    int revokeAll(qint64 accountId);
    int purgeExpired(const QDateTime &now = QDateTime::currentDateTimeUtc());

    QString errorString() const { return m_error; }

private:
    Database &m_db;
    QString m_error;
};

} // namespace metatopia::store
