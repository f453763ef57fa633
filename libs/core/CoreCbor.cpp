// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "core/CoreCbor.h"

#include "core/StateHash.h"

#include <QCborMap>
#include <QCborStreamReader>

namespace metatopia::cbor {

namespace {

enum EventKey : qint64 { KeyId = 0, KeyTick, KeyKind, KeySource, KeyTarget, KeyPayload, KeyCount };
enum TargetType : qint64 { TargetObjects = 0, TargetChannel = 1, TargetListeners = 2 };

QString typeName(const QCborValue &v)
{
    switch (v.type()) {
    case QCborValue::Integer:
        return QStringLiteral("an integer");
    case QCborValue::ByteArray:
        return QStringLiteral("a byte string");
    case QCborValue::String:
        return QStringLiteral("a text string");
    case QCborValue::Array:
        return QStringLiteral("an array");
    case QCborValue::Map:
        return QStringLiteral("a map");
    case QCborValue::False:
    case QCborValue::True:
        return QStringLiteral("a boolean");
    case QCborValue::Null:
        return QStringLiteral("null");
    case QCborValue::Undefined:
        return QStringLiteral("undefined");
    case QCborValue::Double:
        return QStringLiteral("a floating-point number");
    case QCborValue::Invalid:
        return QStringLiteral("nothing");
    default:
        return v.isTag() ? QStringLiteral("a tagged value") : QStringLiteral("a simple value");
    }
}

template<typename T>
Result<T> fail(const QString &what, const QCborValue &got)
{
    return Result<T>::failure(QStringLiteral("expected %1, got %2").arg(what, typeName(got)));
}

template<typename T>
Result<T> fail(const QString &message)
{
    return Result<T>::failure(message);
}

// Prefixes an inner error with where it happened.
QString at(const QString &where, const QString &inner)
{
    return where + QStringLiteral(": ") + inner;
}

Result<std::vector<Fixed>> decodeFixedArray(const QCborValue &v, qsizetype size, const QString &what)
{
    if (!v.isArray())
        return fail<std::vector<Fixed>>(what, v);
    const QCborArray a = v.toArray();
    if (a.size() != size)
        return fail<std::vector<Fixed>>(QStringLiteral("expected %1 with %2 elements, got %3")
                                            .arg(what)
                                            .arg(size)
                                            .arg(a.size()));
    std::vector<Fixed> out;
    out.reserve(std::size_t(size));
    for (qsizetype i = 0; i < size; ++i) {
        const auto f = decodeFixed(a.at(i));
        if (!f)
            return fail<std::vector<Fixed>>(at(QStringLiteral("element %1").arg(i), f.error()));
        out.push_back(*f);
    }
    return out;
}

} // namespace

QCborValue encode(Fixed v)
{
    return QCborValue(qint64(v.raw()));
}

QCborValue encode(FVec3 v)
{
    return QCborArray{encode(v.x), encode(v.y), encode(v.z)};
}

QCborValue encode(FQuat q)
{
    return QCborArray{encode(q.w), encode(q.x), encode(q.y), encode(q.z)};
}

QCborValue encodeId(std::uint64_t id)
{
    return QCborValue(static_cast<qint64>(id));
}

QCborValue encode(const EventTarget &target)
{
    if (const auto *objects = std::get_if<ObjectTargets>(&target)) {
        QCborArray ids;
        for (const ObjectId id : objects->objects)
            ids.append(encode(id));
        return QCborArray{qint64(TargetObjects), ids};
    }
    if (const auto *channel = std::get_if<ChannelTarget>(&target)) {
        return QCborArray{qint64(TargetChannel), qint64(channel->channel), encode(channel->origin),
                          encode(channel->radius)};
    }
    const auto &listeners = std::get<ListenerTarget>(target);
    return QCborArray{qint64(TargetListeners), listeners.kind};
}

QCborValue encode(const Event &event)
{
    QCborMap m;
    m.insert(qint64(KeyId), encode(event.id));
    m.insert(qint64(KeyTick), encodeId(event.tick));
    m.insert(qint64(KeyKind), event.kind);
    m.insert(qint64(KeySource), encode(event.source));
    m.insert(qint64(KeyTarget), encode(event.target));
    m.insert(qint64(KeyPayload), event.payload);
    return m;
}

Result<Fixed> decodeFixed(const QCborValue &v)
{
    if (!v.isInteger())
        return fail<Fixed>(QStringLiteral("an integer (raw Fixed)"), v);
    return Fixed::fromRaw(v.toInteger());
}

Result<FVec3> decodeVec3(const QCborValue &v)
{
    const auto parts = decodeFixedArray(v, 3, QStringLiteral("a vector array"));
    if (!parts)
        return Result<FVec3>::failure(parts.error());
    return FVec3{(*parts)[0], (*parts)[1], (*parts)[2]};
}

Result<FQuat> decodeQuat(const QCborValue &v)
{
    const auto parts = decodeFixedArray(v, 4, QStringLiteral("a quaternion array"));
    if (!parts)
        return Result<FQuat>::failure(parts.error());
    return FQuat{(*parts)[0], (*parts)[1], (*parts)[2], (*parts)[3]};
}

Result<std::uint64_t> decodeId(const QCborValue &v)
{
    if (!v.isInteger())
        return fail<std::uint64_t>(QStringLiteral("an integer id"), v);
    return static_cast<std::uint64_t>(v.toInteger());
}

Result<EventTarget> decodeTarget(const QCborValue &v)
{
    if (!v.isArray())
        return fail<EventTarget>(QStringLiteral("a target array"), v);
    const QCborArray a = v.toArray();
    if (a.isEmpty() || !a.at(0).isInteger())
        return fail<EventTarget>(QStringLiteral("a target array starting with its type"));
    switch (a.at(0).toInteger()) {
    case TargetObjects: {
        if (a.size() != 2 || !a.at(1).isArray())
            return fail<EventTarget>(QStringLiteral("an object target [0, [ids...]]"));
        ObjectTargets t;
        const QCborArray ids = a.at(1).toArray();
        t.objects.reserve(std::size_t(ids.size()));
        for (qsizetype i = 0; i < ids.size(); ++i) {
            const auto id = decodeId<ObjectIdTag>(ids.at(i));
            if (!id)
                return fail<EventTarget>(at(QStringLiteral("target object %1").arg(i), id.error()));
            t.objects.push_back(*id);
        }
        return EventTarget(std::move(t));
    }
    case TargetChannel: {
        if (a.size() != 4 || !a.at(1).isInteger())
            return fail<EventTarget>(QStringLiteral("a channel target [1, channel, origin, radius]"));
        ChannelTarget t;
        t.channel = a.at(1).toInteger();
        const auto origin = decodeVec3(a.at(2));
        if (!origin)
            return fail<EventTarget>(at(QStringLiteral("channel origin"), origin.error()));
        const auto radius = decodeFixed(a.at(3));
        if (!radius)
            return fail<EventTarget>(at(QStringLiteral("channel radius"), radius.error()));
        t.origin = *origin;
        t.radius = *radius;
        return EventTarget(t);
    }
    case TargetListeners:
        if (a.size() != 2 || !a.at(1).isString())
            return fail<EventTarget>(QStringLiteral("a listener target [2, kind]"));
        return EventTarget(ListenerTarget{a.at(1).toString()});
    default:
        return fail<EventTarget>(QStringLiteral("unknown target type %1").arg(a.at(0).toInteger()));
    }
}

Result<Event> decodeEvent(const QCborValue &v)
{
    if (!v.isMap())
        return fail<Event>(QStringLiteral("an event map"), v);
    const QCborMap m = v.toMap();
    Event e;
    unsigned seen = 0;
    for (auto it = m.constBegin(); it != m.constEnd(); ++it) {
        const QCborValue key = it.key();
        if (!key.isInteger() || key.toInteger() < 0 || key.toInteger() >= KeyCount)
            return fail<Event>(QStringLiteral("unknown event field"));
        const auto k = EventKey(key.toInteger());
        if (seen & (1u << k))
            return fail<Event>(QStringLiteral("duplicate event field %1").arg(qint64(k)));
        seen |= 1u << k;
        const QCborValue value = it.value();
        switch (k) {
        case KeyId: {
            const auto id = decodeId<EventIdTag>(value);
            if (!id)
                return fail<Event>(at(QStringLiteral("event id"), id.error()));
            if (!id->isValid())
                return fail<Event>(QStringLiteral("event id 0 is not valid"));
            e.id = *id;
            break;
        }
        case KeyTick: {
            const auto tick = decodeId(value);
            if (!tick)
                return fail<Event>(at(QStringLiteral("event tick"), tick.error()));
            e.tick = *tick;
            break;
        }
        case KeyKind:
            if (!value.isString())
                return fail<Event>(QStringLiteral("event kind: expected a text string, got ") + typeName(value));
            e.kind = value.toString();
            break;
        case KeySource: {
            const auto source = decodeId<ObjectIdTag>(value);
            if (!source)
                return fail<Event>(at(QStringLiteral("event source"), source.error()));
            e.source = *source;
            break;
        }
        case KeyTarget: {
            auto target = decodeTarget(value);
            if (!target)
                return fail<Event>(at(QStringLiteral("event target"), target.error()));
            e.target = std::move(target).value();
            break;
        }
        case KeyPayload:
            if (!value.isMap())
                return fail<Event>(QStringLiteral("event payload: expected a map, got ") + typeName(value));
            e.payload = value.toMap();
            break;
        case KeyCount:
            break;
        }
    }
    const unsigned required = (1u << KeyId) | (1u << KeyTick) | (1u << KeyKind) | (1u << KeyTarget);
    if ((seen & required) != required)
        return fail<Event>(QStringLiteral("event lacks a required field (id, tick, kind, target)"));
    return e;
}

QByteArray toBytes(const QCborValue &v)
{
    return v.toCbor();
}

Result<QCborValue> fromBytes(QByteArrayView bytes)
{
    if (bytes.isEmpty())
        return fail<QCborValue>(QStringLiteral("empty input"));
    QCborStreamReader reader(bytes.data(), bytes.size());
    QCborValue v = QCborValue::fromCbor(reader);
    const QCborError error = reader.lastError();
    if (error != QCborError::NoError) {
        return fail<QCborValue>(QStringLiteral("malformed CBOR at byte %1: %2")
                                    .arg(reader.currentOffset())
                                    .arg(error.toString()));
    }
    if (reader.currentOffset() != bytes.size()) {
        return fail<QCborValue>(QStringLiteral("%1 trailing bytes after the CBOR item")
                                    .arg(bytes.size() - reader.currentOffset()));
    }
    return v;
}

QByteArray eventToBytes(const Event &event)
{
    return toBytes(encode(event));
}

Result<Event> eventFromBytes(QByteArrayView bytes)
{
    const auto v = fromBytes(bytes);
    if (!v)
        return Result<Event>::failure(v.error());
    return decodeEvent(*v);
}

std::uint64_t contentHash(const Event &event)
{
    ContentHasher h;
    h.add(event.id).add(event.tick).add(event.kind).add(event.source);
    h.add(std::uint64_t(event.target.index()));
    if (const auto *objects = std::get_if<ObjectTargets>(&event.target)) {
        h.add(std::uint64_t(objects->objects.size()));
        for (const ObjectId id : objects->objects)
            h.add(id);
    } else if (const auto *channel = std::get_if<ChannelTarget>(&event.target)) {
        h.add(channel->channel).add(channel->origin).add(channel->radius);
    } else {
        h.add(std::get<ListenerTarget>(event.target).kind);
    }
    h.add(QCborValue(event.payload).toCbor());
    return h.finish();
}

} // namespace metatopia::cbor
