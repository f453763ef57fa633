// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <QHostAddress>
#include <QString>
#include <QTcpServer>

namespace metatopia::cluster::test {

// raft needs every member's address up front, so a test cannot listen on port 0 directly: ask the
// kernel for a free ephemeral port and hand it to raft. The kernel does not reuse it right away.
inline QString freeLoopbackAddress()
{
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
