// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

// A block of consecutive free loopback ports for a LocalWorld (its ports are fixed offsets from
// one base port), so tests running at the same time on one machine do not collide. Drawn below
// Linux's ephemeral range (32768+), where outgoing connections would take them at random.

#include <QHostAddress>
#include <QRandomGenerator>
#include <QTcpServer>

#include <memory>
#include <vector>

namespace metatopia::test {

inline quint16 freePortBlock(int span = 18)
{
    for (int attempt = 0; attempt < 200; ++attempt) {
        const quint16 base = quint16(20000 + QRandomGenerator::global()->bounded(12000));
        std::vector<std::unique_ptr<QTcpServer>> held;
        bool free = true;
        for (int offset = 0; offset < span && free; ++offset) {
            auto server = std::make_unique<QTcpServer>();
            free = server->listen(QHostAddress::LocalHost, quint16(base + offset));
            held.push_back(std::move(server));
        }
        if (free)
            return base;
    }
    return 0;
}

} // namespace metatopia::test
