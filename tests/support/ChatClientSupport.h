// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

// ChatClients driven to a known state for tests: each with its own pin store under a test dir,
// fast reconnects, and bounded waits for login, join and history.

#include "chat/ChatClient.h"

#include <QSignalSpy>
#include <QStringList>
#include <QTest>

#include <memory>

namespace metatopia::test {

inline constexpr int ChatWaitMs = 15000;

inline std::unique_ptr<ChatClient> makeChatClient(const QString &clientDir)
{
    auto client = std::make_unique<ChatClient>(clientDir);
    client->setReconnectDelays(20, 200);
    return client;
}

// Connects, registers (or logs in) and waits until logged in.
inline bool connectChatClient(ChatClient &client, quint16 port, const QString &user,
    bool registerFirst, const QString &password)
{
    QSignalSpy loggedIn(&client, &ChatClient::loggedIn);
    client.connectToServer(QStringLiteral("127.0.0.1"), port);
    if (registerFirst)
        client.registerAccount(user, password);
    else
        client.login(user, password);
    return QTest::qWaitFor([&] { return !loggedIn.isEmpty(); }, ChatWaitMs);
}

inline bool joinAndWait(ChatClient &client, const QString &channel)
{
    QSignalSpy joined(&client, &ChatClient::channelJoined);
    client.joinChannel(channel);
    return QTest::qWaitFor([&] { return !joined.isEmpty(); }, ChatWaitMs);
}

// The texts of a channel's history as the server returns them, oldest first.
inline QStringList historyTexts(ChatClient &client, const QString &channel)
{
    QSignalSpy history(&client, &ChatClient::historyReceived);
    client.requestHistory(channel, 0, 200);
    if (!history.wait(ChatWaitMs))
        return { QStringLiteral("<no history>") };
    QStringList texts;
    for (const auto &m : history.first().at(1).value<QList<ChatMessage>>())
        texts.append(m.text);
    return texts;
}

} // namespace metatopia::test
