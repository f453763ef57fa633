// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

// libs/net: Metatopia's wire protocol. Every byte between a client and a server, or between two
// servers, travels as frames (a u32 big-endian length followed by a CBOR map) over TLS. A message
// is a CBOR map whose key "t" names its type; a request also carries "id" (u64) and its reply
// echoes that id with "ok": true or "error": "text". The first exchange states the protocol
// version ("hello"/"welcome") and the server's source offer (AGPL §13). The library knows nothing
// of accounts or chat: an Authenticator callback lets the server app plug in its account store.
//
// This header holds the message vocabulary shared by both sides.

#include <QCborMap>
#include <QString>

#include <optional>

namespace metatopia::net {

// Bumped on any incompatible change of the messages below or of the framing.
inline constexpr int ProtocolVersion = 1;
// Oldest client version a server of this build still accepts.
inline constexpr int MinProtocolVersion = 1;

namespace key {
inline const QString type = QStringLiteral("t");
inline const QString id = QStringLiteral("id");
inline const QString ok = QStringLiteral("ok");
inline const QString error = QStringLiteral("error");
inline const QString version = QStringLiteral("v");
} // namespace key

// Message types that libs/net itself handles.
namespace msg {
inline const QString hello = QStringLiteral("hello"); // client -> server, first message
inline const QString welcome = QStringLiteral("welcome"); // server -> client, reply to hello
inline const QString source = QStringLiteral("source"); // request: where the server's source is
inline const QString auth = QStringLiteral("auth"); // request handled by the Authenticator
inline const QString ping = QStringLiteral("ping"); // request answered with ok by libs/net
inline const QString error = QStringLiteral("error"); // unsolicited error (malformed frame, ...)
inline const QString bye = QStringLiteral("bye"); // either side, before closing on purpose
} // namespace msg

// The "t" of a message, empty if absent or not a string.
QString messageType(const QCborMap &message);
// The "id" of a request, if it has a non-negative integer one.
std::optional<quint64> requestId(const QCborMap &message);

// A request of the given type (the caller, usually Connection::request, sets "id").
QCborMap makeMessage(const QString &type, QCborMap fields = {});
// A successful reply to request: same "t", echoed "id", "ok": true, plus fields.
QCborMap makeReply(const QCborMap &request, QCborMap fields = {});
// A failed reply to request: same "t", echoed "id" (if any), "error": text. For a message that
// could not even be read, pass an empty request: the reply then has "t": "error".
QCborMap makeError(const QCborMap &request, const QString &text);
// Whether a reply is a success ("ok": true and no "error").
bool isOk(const QCborMap &reply);
QString errorText(const QCborMap &reply);

} // namespace metatopia::net
