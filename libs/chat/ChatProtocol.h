// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

// The chat messages carried by libs/net (CBOR maps, "t" names the type). Requests carry "id" and
// get a reply with the same "t" and "id" plus "ok": true or "error": text; pushes from the server
// carry no "id".
//
//   register {user, password}            -> {user}
//   login    {user, password}            -> {user, token}        (a wrong password: late error)
//   resume   {token}                     -> {user, token}
//   join     {channel}                   -> {channel, members, messages, more} (recent history)
//   leave    {channel}                   -> {channel}
//   channels {}                          -> {channels}
//   say      {channel, text, seq}        -> {seq, mid, ts}       (stored before the reply)
//   im       {to, text, seq}             -> {seq, mid, ts}
//   local    {mode, text, seq}           -> {seq, heard}         (say/shout/whisper by distance)
//   presence {state}                     -> {state}
//   history  {channel, before, limit}    -> {channel, messages, more}
//   source   {}                          -> {source}             (AGPL §13, answered by libs/net)
// Pushes: msg {message}, member {channel, user, joined}, presence {user, state}.
//
// A resent say/im with a seq the server already stored for this account is not stored again: the
// reply repeats the original mid and ts, and nobody receives it twice.

#include "chat/ChatClient.h"

#include <QCborArray>
#include <QCborMap>
#include <QString>

#include <optional>

namespace metatopia::chat {

namespace msg {
inline const QString registerAccount = QStringLiteral("register");
inline const QString login = QStringLiteral("login");
inline const QString resume = QStringLiteral("resume");
inline const QString join = QStringLiteral("join");
inline const QString leave = QStringLiteral("leave");
inline const QString channels = QStringLiteral("channels");
inline const QString say = QStringLiteral("say");
inline const QString im = QStringLiteral("im");
inline const QString local = QStringLiteral("local");
inline const QString presence = QStringLiteral("presence");
inline const QString history = QStringLiteral("history");
inline const QString message = QStringLiteral("msg"); // push
inline const QString member = QStringLiteral("member"); // push
} // namespace msg

namespace key {
inline const QString user = QStringLiteral("user");
inline const QString password = QStringLiteral("password");
inline const QString token = QStringLiteral("token");
inline const QString channel = QStringLiteral("channel");
inline const QString channels = QStringLiteral("channels");
inline const QString members = QStringLiteral("members");
inline const QString messages = QStringLiteral("messages");
inline const QString message = QStringLiteral("message");
inline const QString more = QStringLiteral("more");
inline const QString text = QStringLiteral("text");
inline const QString to = QStringLiteral("to");
inline const QString from = QStringLiteral("from");
inline const QString seq = QStringLiteral("seq");
inline const QString mid = QStringLiteral("mid");
inline const QString ts = QStringLiteral("ts");
inline const QString isPrivate = QStringLiteral("private");
inline const QString mode = QStringLiteral("mode");
inline const QString heard = QStringLiteral("heard");
inline const QString state = QStringLiteral("state");
inline const QString joined = QStringLiteral("joined");
inline const QString before = QStringLiteral("before");
inline const QString limit = QStringLiteral("limit");
inline const QString source = QStringLiteral("source");
} // namespace key

// Limits both sides agree on; the server enforces them (account name and password rules are
// libs/store's AccountStore::checkName/checkPassword).
inline constexpr int MaxMessageLength = 2000; // characters (UTF-16 code units)
inline constexpr int MaxChannelNameLength = 64;
inline constexpr int MaxChannelsPerConnection = 100;
inline constexpr int HistoryOnJoin = 50;
inline constexpr int MaxHistoryPage = 200;

// Channel names: "#" then 1-63 of [A-Za-z0-9_.-].
bool isValidChannelName(const QString &name);
// Adds the "#" when missing, so "lobby" and "#lobby" are the same channel.
QString normalizeChannel(const QString &name);

// A stored or live message as sent by the server. For private messages "channel" is left out: a
// client files them under "@" + the other party, which depends on who reads it.
QCborMap encodeMessage(const ChatMessage &message);
// nullopt when a required field is missing or has the wrong type. viewer is the reading user,
// used to name the "@peer" conversation of private messages.
std::optional<ChatMessage> decodeMessage(const QCborMap &map, const QString &viewer);

QCborArray encodeMessages(const QList<ChatMessage> &messages);
QList<ChatMessage> decodeMessages(const QCborArray &array, const QString &viewer);

} // namespace metatopia::chat
