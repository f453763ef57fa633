// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "net/TlsIdentity.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSaveFile>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>

namespace metatopia::net {
namespace {

template<auto Free> struct Deleter
{
    template<typename T> void operator()(T *p) const { Free(p); }
};
using PKeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO_free>>;
using BnPtr = std::unique_ptr<BIGNUM, Deleter<BN_free>>;

constexpr long ValiditySeconds = 20L * 365 * 24 * 3600;

QByteArray bioContents(BIO *bio)
{
    char *data = nullptr;
    const long size = BIO_get_mem_data(bio, &data);
    return QByteArray(data, size);
}

bool setError(QString *error, const QString &text)
{
    if (error)
        *error = text;
    return false;
}

// Self-signed EC P-256 certificate. Clients pin its fingerprint instead of checking a chain.
bool generate(const QString &commonName, QByteArray &certPem, QByteArray &keyPem, QString *error)
{
    PKeyPtr key(EVP_EC_gen("P-256"));
    if (!key)
        return setError(error, QStringLiteral("OpenSSL could not generate an EC P-256 key"));
    X509Ptr cert(X509_new());
    if (!cert)
        return setError(error, QStringLiteral("OpenSSL could not allocate a certificate"));
    X509_set_version(cert.get(), 2);

    unsigned char serialBytes[16];
    if (RAND_bytes(serialBytes, sizeof serialBytes) != 1)
        return setError(error, QStringLiteral("OpenSSL could not produce random bytes"));
    serialBytes[0] &= 0x7f; // serial numbers must be positive
    BnPtr serial(BN_bin2bn(serialBytes, sizeof serialBytes, nullptr));
    if (!serial || !BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get())))
        return setError(error, QStringLiteral("OpenSSL could not set the certificate serial"));

    X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), ValiditySeconds);
    X509_set_pubkey(cert.get(), key.get());
    X509_NAME *name = X509_get_subject_name(cert.get());
    const QByteArray cn = commonName.toUtf8();
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
        reinterpret_cast<const unsigned char *>(cn.constData()), int(cn.size()), -1, 0);
    X509_NAME_add_entry_by_txt(
        name, "O", MBSTRING_UTF8, reinterpret_cast<const unsigned char *>("Metatopia"), -1, -1, 0);
    X509_set_issuer_name(cert.get(), name);
    if (X509_sign(cert.get(), key.get(), EVP_sha256()) <= 0)
        return setError(error, QStringLiteral("OpenSSL could not sign the certificate"));

    BioPtr certBio(BIO_new(BIO_s_mem()));
    BioPtr keyBio(BIO_new(BIO_s_mem()));
    if (!certBio || !keyBio || PEM_write_bio_X509(certBio.get(), cert.get()) != 1
        || PEM_write_bio_PrivateKey(keyBio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr)
            != 1)
        return setError(error, QStringLiteral("OpenSSL could not encode the certificate"));
    certPem = bioContents(certBio.get());
    keyPem = bioContents(keyBio.get());
    return true;
}

bool writeFile(const QString &path, const QByteArray &data, QFileDevice::Permissions permissions,
    QString *error)
{
    QSaveFile file(path);
    // Permissions go on the temporary file before any secret is written into it.
    if (!file.open(QIODevice::WriteOnly) || !file.setPermissions(permissions)
        || file.write(data) != data.size() || !file.commit())
        return setError(error, QStringLiteral("cannot write %1: %2").arg(path, file.errorString()));
    return true;
}

} // namespace

std::optional<TlsIdentity> TlsIdentity::loadOrCreate(
    const QString &dataDir, QString *error, const QString &commonName)
{
    const QString dirPath = QDir(dataDir).filePath(QStringLiteral("tls"));
    const QString certPath = QDir(dirPath).filePath(QStringLiteral("server-cert.pem"));
    const QString keyPath = QDir(dirPath).filePath(QStringLiteral("server-key.pem"));
    const bool haveCert = QFileInfo::exists(certPath);
    const bool haveKey = QFileInfo::exists(keyPath);

    QByteArray certPem;
    QByteArray keyPem;
    if (!haveCert && !haveKey) {
        if (!QDir().mkpath(dirPath)) {
            setError(error, QStringLiteral("cannot create %1").arg(dirPath));
            return std::nullopt;
        }
        QFile::setPermissions(dirPath, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
        if (!generate(commonName, certPem, keyPem, error)
            || !writeFile(keyPath, keyPem, QFile::ReadOwner | QFile::WriteOwner, error)
            || !writeFile(certPath, certPem,
                QFile::ReadOwner | QFile::WriteOwner | QFile::ReadGroup | QFile::ReadOther, error))
            return std::nullopt;
    } else if (haveCert != haveKey) {
        setError(error,
            QStringLiteral("TLS identity in %1 is incomplete (%2 missing); restore it or remove "
                           "both files to create a new one (clients will see a changed "
                           "fingerprint)")
                .arg(dirPath, haveCert ? keyPath : certPath));
        return std::nullopt;
    } else {
        QFile certFile(certPath);
        QFile keyFile(keyPath);
        if (!certFile.open(QIODevice::ReadOnly) || !keyFile.open(QIODevice::ReadOnly)) {
            setError(error, QStringLiteral("cannot read the TLS identity in %1").arg(dirPath));
            return std::nullopt;
        }
        certPem = certFile.readAll();
        keyPem = keyFile.readAll();
    }

    TlsIdentity identity;
    identity.m_certificate = QSslCertificate(certPem, QSsl::Pem);
    identity.m_key = QSslKey(keyPem, QSsl::Ec, QSsl::Pem, QSsl::PrivateKey);
    if (identity.m_key.isNull())
        identity.m_key = QSslKey(keyPem, QSsl::Rsa, QSsl::Pem, QSsl::PrivateKey);
    if (identity.m_certificate.isNull() || identity.m_key.isNull()) {
        setError(error,
            QStringLiteral("TLS identity in %1 is not a readable certificate and key")
                .arg(dirPath));
        return std::nullopt;
    }
    return identity;
}

QByteArray TlsIdentity::fingerprintOf(const QSslCertificate &certificate)
{
    if (certificate.isNull())
        return {};
    return QCryptographicHash::hash(certificate.toDer(), QCryptographicHash::Sha256);
}

QString TlsIdentity::formatFingerprint(const QByteArray &fingerprint)
{
    return QString::fromLatin1(fingerprint.toHex(':').toUpper());
}

} // namespace metatopia::net
