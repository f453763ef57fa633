// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "net/Protocol.h"

namespace metatopia::net {

QString messageType(const QCborMap &message)
{
    const QCborValue t = message.value(key::type);
    return t.isString() ? t.toString() : QString();
}

std::optional<quint64> requestId(const QCborMap &message)
{
    const QCborValue id = message.value(key::id);
    if (!id.isInteger() || id.toInteger() < 0)
        return std::nullopt;
    return quint64(id.toInteger());
}

QCborMap makeMessage(const QString &type, QCborMap fields)
{
    fields.insert(key::type, type);
    return fields;
}

QCborMap makeReply(const QCborMap &request, QCborMap fields)
{
    const QString type = messageType(request);
    fields.insert(key::type, type.isEmpty() ? msg::error : type);
    if (const auto id = requestId(request))
        fields.insert(key::id, qint64(*id));
    fields.insert(key::ok, true);
    return fields;
}

QCborMap makeError(const QCborMap &request, const QString &text)
{
    QCborMap reply;
    const QString type = messageType(request);
    reply.insert(key::type, type.isEmpty() ? msg::error : type);
    if (const auto id = requestId(request))
        reply.insert(key::id, qint64(*id));
    reply.insert(key::error, text);
    return reply;
}

bool isOk(const QCborMap &reply)
{
    return reply.value(key::ok).toBool(false) && !reply.contains(key::error);
}

QString errorText(const QCborMap &reply)
{
    return reply.value(key::error).toString();
}

} // namespace metatopia::net
