// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

// A server's TLS identity: a self-signed certificate and its private key, created on first start
// (EC P-256 via OpenSSL) and kept in the data dir, so clients can pin its fingerprint.

#include <QByteArray>
#include <QSslCertificate>
#include <QSslKey>
#include <QString>

#include <optional>

namespace metatopia::net {

class TlsIdentity
{
public:
    // Loads <dataDir>/tls/server-cert.pem and server-key.pem, or creates them (key file 0600) if
    // neither exists. A half-present or unreadable pair is an error, never silently replaced:
    // replacing it would change the fingerprint every client pinned.
    static std::optional<TlsIdentity> loadOrCreate(const QString &dataDir, QString *error = nullptr,
        const QString &commonName = QStringLiteral("metatopia-server"));

    const QSslCertificate &certificate() const { return m_certificate; }
    const QSslKey &privateKey() const { return m_key; }
    // SHA-256 of the DER certificate: 32 raw bytes.
    QByteArray fingerprint() const { return fingerprintOf(m_certificate); }
    // "AB:CD:..." form shown to users.
    QString fingerprintText() const { return formatFingerprint(fingerprint()); }

    static QByteArray fingerprintOf(const QSslCertificate &certificate);
    static QString formatFingerprint(const QByteArray &fingerprint);

private:
    QSslCertificate m_certificate;
    QSslKey m_key;
};

} // namespace metatopia::net
