// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "net/PinStore.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSaveFile>

namespace metatopia::net {

PinStore::PinStore(const QString &filePath)
    : m_path(filePath)
{
    load();
}

void PinStore::load()
{
    QFile file(m_path);
    if (!file.open(QIODevice::ReadOnly))
        return;
    // Bounded: a pin file is a few lines; a huge one is not ours.
    const QList<QByteArray> lines = file.read(qint64(1) << 20).split('\n');
    for (const QByteArray &line : lines) {
        const QList<QByteArray> parts = line.trimmed().split(' ');
        if (parts.size() != 2)
            continue;
        const QByteArray fingerprint = QByteArray::fromHex(parts[1]);
        if (fingerprint.size() != 32)
            continue;
        m_pins.insert(QString::fromUtf8(parts[0]), fingerprint);
    }
}

QString PinStore::hostKey(const QString &host, quint16 port)
{
    return host.toLower() + QLatin1Char(':') + QString::number(port);
}

PinStore::Check PinStore::check(const QString &host, quint16 port, const QByteArray &fingerprint)
{
    const auto it = m_pins.constFind(hostKey(host, port));
    if (it != m_pins.constEnd())
        return *it == fingerprint ? Check::Match : Check::Mismatch;
    return pin(host, port, fingerprint) ? Check::FirstUse : Check::SaveFailed;
}

std::optional<QByteArray> PinStore::pinned(const QString &host, quint16 port) const
{
    const auto it = m_pins.constFind(hostKey(host, port));
    if (it == m_pins.constEnd())
        return std::nullopt;
    return *it;
}

bool PinStore::pin(const QString &host, quint16 port, const QByteArray &fingerprint)
{
    // Another client process may have pinned other servers meanwhile: keep their pins.
    load();
    m_pins.insert(hostKey(host, port), fingerprint);
    return save();
}

bool PinStore::forget(const QString &host, quint16 port)
{
    load();
    m_pins.remove(hostKey(host, port));
    return save();
}

bool PinStore::save()
{
    QDir().mkpath(QFileInfo(m_path).absolutePath());
    QSaveFile file(m_path);
    if (!file.open(QIODevice::WriteOnly)) {
        m_error = QStringLiteral("cannot write %1: %2").arg(m_path, file.errorString());
        return false;
    }
    for (auto it = m_pins.constBegin(); it != m_pins.constEnd(); ++it)
        file.write(it.key().toUtf8() + ' ' + it.value().toHex() + '\n');
    if (!file.commit()) {
        m_error = QStringLiteral("cannot write %1: %2").arg(m_path, file.errorString());
        return false;
    }
    m_error.clear();
    return true;
}

} // namespace metatopia::net
