// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <QFile>
#include <QHostAddress>
#include <QRandomGenerator>
#include <QString>
#include <QTcpServer>

namespace metatopia::cluster::test {

// raft needs every member's address up front (and the same one again when a killed replica
// restarts), so a test cannot listen on port 0. Pick a free port below the kernel's ephemeral
// range: ports in that range are handed out to outgoing connections of every process on the machine
// and could be taken while a replica is down between a kill and its restart.
inline QString freeLoopbackAddress()
{
    quint32 ephemeralLow = 32768;
    QFile range(QStringLiteral("/proc/sys/net/ipv4/ip_local_port_range"));
    if (range.open(QIODevice::ReadOnly)) {
        const quint32 low = range.readAll().simplified().split(' ').value(0).toUInt();
        if (low > 12000)
            ephemeralLow = low;
    }
    auto *random = QRandomGenerator::global();
    for (int attempt = 0; attempt < 200; ++attempt) {
        const quint16 port = quint16(random->bounded(10000u, ephemeralLow));
        QTcpServer probe;
        if (probe.listen(QHostAddress::LocalHost, port))
            return QStringLiteral("127.0.0.1:%1").arg(port);
    }
    QTcpServer probe;
    if (!probe.listen(QHostAddress::LocalHost, 0))
        return {};
    return QStringLiteral("127.0.0.1:%1").arg(probe.serverPort());
}

inline quint16 portOf(const QString &address)
{
    return quint16(address.section(QLatin1Char(':'), 1).toUInt());
}

} // namespace metatopia::cluster::test
