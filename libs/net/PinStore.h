// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

// Trust on first use for self-signed servers: the client remembers each server's certificate
// fingerprint (host:port -> SHA-256) in a small text file under its data dir. A changed
// fingerprint is refused until the user explicitly accepts it with pin().

#include <QByteArray>
#include <QMap>
#include <QString>

#include <optional>

namespace metatopia::net {

class PinStore
{
public:
    enum class Check
    {
        FirstUse, // nothing was pinned: the fingerprint is now pinned and saved
        Match,
        Mismatch, // pinned fingerprint differs: refuse the connection
        SaveFailed, // first use, but the pin could not be written: refuse (errorString())
    };

    // Loads the file if it exists (lines "host:port hex-sha256"; unreadable lines are skipped).
    explicit PinStore(const QString &filePath);

    Check check(const QString &host, quint16 port, const QByteArray &fingerprint);
    std::optional<QByteArray> pinned(const QString &host, quint16 port) const;
    // Pins (or re-pins, after the user accepted a change) and saves atomically.
    bool pin(const QString &host, quint16 port, const QByteArray &fingerprint);
    bool forget(const QString &host, quint16 port);

    QString filePath() const { return m_path; }
    QString errorString() const { return m_error; }

    static QString hostKey(const QString &host, quint16 port);

private:
    void load();
    bool save();

    QString m_path;
    QString m_error;
    QMap<QString, QByteArray> m_pins;
};

} // namespace metatopia::net
