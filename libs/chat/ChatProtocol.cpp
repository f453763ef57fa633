// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "chat/ChatProtocol.h"

namespace metatopia {

QString presenceToString(Presence p)
{
    switch (p) {
    case Presence::Online:
        return QStringLiteral("online");
    case Presence::Away:
        return QStringLiteral("away");
    case Presence::Offline:
        break;
    }
    return QStringLiteral("offline");
}

Presence presenceFromString(const QString &s)
{
    if (s == QLatin1String("online"))
        return Presence::Online;
    if (s == QLatin1String("away"))
        return Presence::Away;
    return Presence::Offline;
}

namespace chat {

namespace {

bool isNameChar(QChar c)
{
    const char16_t u = c.unicode();
    return (u >= u'a' && u <= u'z') || (u >= u'A' && u <= u'Z') || (u >= u'0' && u <= u'9')
        || u == u'_' || u == u'.' || u == u'-';
}

} // namespace

bool isValidChannelName(const QString &name)
{
    if (name.size() < 2 || name.size() > MaxChannelNameLength || name.front() != u'#')
        return false;
    for (qsizetype i = 1; i < name.size(); ++i) {
        if (!isNameChar(name.at(i)))
            return false;
    }
    return true;
}

QString normalizeChannel(const QString &name)
{
    const QString trimmed = name.trimmed();
    if (trimmed.startsWith(u'#'))
        return trimmed;
    return QLatin1Char('#') + trimmed;
}

QCborMap encodeMessage(const ChatMessage &message)
{
    QCborMap map;
    map.insert(key::mid, message.id);
    if (!message.isPrivate)
        map.insert(key::channel, message.channel);
    map.insert(key::from, message.from);
    map.insert(key::to, message.to);
    map.insert(key::text, message.text);
    map.insert(key::ts, message.timestampMs);
    map.insert(key::isPrivate, message.isPrivate);
    if (message.clientSeq != 0)
        map.insert(key::seq, message.clientSeq);
    return map;
}

std::optional<ChatMessage> decodeMessage(const QCborMap &map, const QString &viewer)
{
    const QCborValue mid = map.value(key::mid);
    const QCborValue from = map.value(key::from);
    const QCborValue to = map.value(key::to);
    const QCborValue text = map.value(key::text);
    const QCborValue ts = map.value(key::ts);
    if (!mid.isInteger() || !from.isString() || !to.isString() || !text.isString()
        || !ts.isInteger())
        return std::nullopt;
    ChatMessage m;
    m.id = mid.toInteger();
    m.from = from.toString();
    m.to = to.toString();
    m.text = text.toString();
    m.timestampMs = ts.toInteger();
    m.isPrivate = map.value(key::isPrivate).toBool(false);
    m.clientSeq = map.value(key::seq).toInteger(0);
    if (m.isPrivate) {
        m.channel = QLatin1Char('@') + (m.from == viewer ? m.to : m.from);
    } else {
        const QCborValue channel = map.value(key::channel);
        if (!channel.isString())
            return std::nullopt;
        m.channel = channel.toString();
    }
    return m;
}

QCborArray encodeMessages(const QList<ChatMessage> &messages)
{
    QCborArray array;
    for (const ChatMessage &m : messages)
        array.append(encodeMessage(m));
    return array;
}

QList<ChatMessage> decodeMessages(const QCborArray &array, const QString &viewer)
{
    QList<ChatMessage> out;
    out.reserve(array.size());
    for (const QCborValue &v : array) {
        if (auto m = decodeMessage(v.toMap(), viewer))
            out.append(*m);
    }
    return out;
}

} // namespace chat
} // namespace metatopia
