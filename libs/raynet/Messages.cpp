// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "raynet/Messages.h"

#include <QCborArray>
#include <QCborMap>
#include <QCborValue>

namespace metatopia::raynet {

const char *messageTypeName(int index)
{
    static const char *const names[]
        = { "hello", "shuffle", "ping", "route", "routeDone", "rangeFlood", "rangeHit", "leave" };
    static_assert(std::size(names) == std::size_t(kMessageTypes));
    return index >= 0 && index < kMessageTypes ? names[index] : "?";
}

const char *rejectionName(Rejection r)
{
    switch (r) {
    case Rejection::None:
        return "none";
    case Rejection::BadSender:
        return "bad sender";
    case Rejection::BadDescriptor:
        return "bad descriptor";
    case Rejection::OversizedList:
        return "oversized list";
    case Rejection::BadRoute:
        return "bad route";
    case Rejection::Malformed:
        return "malformed";
    }
    return "?";
}

bool validDescriptor(const Descriptor &d, const Space &space)
{
    return d.id != 0 && space.contains(d.coords);
}

namespace {

Rejection checkList(const std::vector<Descriptor> &list, const Space &space, const Limits &limits)
{
    if (list.size() > std::size_t(limits.maxListEntries))
        return Rejection::OversizedList;
    for (const Descriptor &d : list)
        if (!validDescriptor(d, space))
            return Rejection::BadDescriptor;
    return Rejection::None;
}

} // namespace

Rejection validateMessage(const Message &m, PeerId from, const Space &space, const Limits &limits)
{
    if (!validDescriptor(m.sender, space) || m.sender.id != from)
        return Rejection::BadSender;
    return std::visit(
        [&](const auto &b) -> Rejection {
            using T = std::decay_t<decltype(b)>;
            if constexpr (std::is_same_v<T, Hello>) {
                return checkList(b.neighbours, space, limits);
            } else if constexpr (std::is_same_v<T, Shuffle>) {
                return checkList(b.entries, space, limits);
            } else if constexpr (std::is_same_v<T, Leave>) {
                return checkList(b.neighbours, space, limits);
            } else if constexpr (std::is_same_v<T, RouteDone>) {
                if (b.hops > limits.maxHops)
                    return Rejection::BadRoute;
                const Rejection r = checkList(b.neighbours, space, limits);
                return r != Rejection::None ? r : checkList(b.sample, space, limits);
            } else if constexpr (std::is_same_v<T, Route>) {
                if (!validDescriptor(b.origin, space) || !space.contains(b.target)
                    || b.hops > limits.maxHops
                    || (b.kind == RouteKind::Range && !b.region.valid(space)))
                    return Rejection::BadRoute;
                return Rejection::None;
            } else if constexpr (std::is_same_v<T, RangeFlood>) {
                if (!validDescriptor(b.origin, space) || !b.region.valid(space)
                    || b.hops > limits.maxHops)
                    return Rejection::BadRoute;
                return Rejection::None;
            } else if constexpr (std::is_same_v<T, RangeHit>) {
                return b.hops > limits.maxHops ? Rejection::BadRoute : Rejection::None;
            } else {
                return Rejection::None;
            }
        },
        m.body);
}

// ---- CBOR ------------------------------------------------------------------------------------

namespace {

enum Key : int
{
    KVersion = 0,
    KType = 1,
    KSender = 2,
    KList = 3,
    KList2 = 4,
    KFlag = 5,
    KQuery = 6,
    KKind = 7,
    KOrigin = 8,
    KTarget = 9,
    KRegion = 10,
    KHops = 11,
};

QCborArray encodePoint(const Point &p)
{
    QCborArray a;
    for (double v : p)
        a.append(v);
    return a;
}

QCborArray encodeDescriptor(const Descriptor &d)
{
    return { qint64(d.id), qint64(d.version), encodePoint(d.coords) };
}

QCborArray encodeList(const std::vector<Descriptor> &list)
{
    QCborArray a;
    for (const Descriptor &d : list)
        a.append(encodeDescriptor(d));
    return a;
}

QCborArray encodeRegion(const Region &r)
{
    return { int(r.kind), encodePoint(r.a), encodePoint(r.b), r.radius };
}

// Decoding helpers return false on any deviation from the expected shape.
bool decodeDouble(const QCborValue &v, double &out)
{
    if (v.isDouble())
        out = v.toDouble();
    else if (v.isInteger())
        out = double(v.toInteger());
    else
        return false;
    return true;
}

bool decodePoint(const QCborValue &v, Point &out)
{
    if (!v.isArray())
        return false;
    const QCborArray a = v.toArray();
    if (a.size() > kMaxDimensions)
        return false;
    out = {};
    for (qsizetype i = 0; i < a.size(); ++i)
        if (!decodeDouble(a.at(i), out[std::size_t(i)]))
            return false;
    return true;
}

bool decodeUnsigned(const QCborValue &v, std::uint64_t max, std::uint64_t &out)
{
    if (!v.isInteger())
        return false;
    const qint64 i = v.toInteger();
    if (max != UINT64_MAX && (i < 0 || std::uint64_t(i) > max))
        return false;
    out = std::uint64_t(i);
    return true;
}

bool decodeDescriptor(const QCborValue &v, Descriptor &out)
{
    if (!v.isArray())
        return false;
    const QCborArray a = v.toArray();
    std::uint64_t version = 0;
    return a.size() == 3 && decodeUnsigned(a.at(0), UINT64_MAX, out.id)
        && decodeUnsigned(a.at(1), UINT32_MAX, version)
        && (out.version = std::uint32_t(version), true) && decodePoint(a.at(2), out.coords);
}

bool decodeList(const QCborValue &v, int hardLimit, std::vector<Descriptor> &out)
{
    if (!v.isArray())
        return false;
    const QCborArray a = v.toArray();
    if (a.size() > hardLimit)
        return false;
    out.resize(std::size_t(a.size()));
    for (qsizetype i = 0; i < a.size(); ++i)
        if (!decodeDescriptor(a.at(i), out[std::size_t(i)]))
            return false;
    return true;
}

bool decodeRegion(const QCborValue &v, Region &out)
{
    if (!v.isArray())
        return false;
    const QCborArray a = v.toArray();
    std::uint64_t kind = 0;
    if (a.size() != 4 || !decodeUnsigned(a.at(0), 1, kind))
        return false;
    out.kind = Region::Kind(kind);
    return decodePoint(a.at(1), out.a) && decodePoint(a.at(2), out.b)
        && decodeDouble(a.at(3), out.radius);
}

bool decodeKind(const QCborValue &v, RouteKind &out)
{
    std::uint64_t k = 0;
    if (!decodeUnsigned(v, 2, k))
        return false;
    out = RouteKind(k);
    return true;
}

bool decodeU32(const QCborValue &v, std::uint32_t &out)
{
    std::uint64_t x = 0;
    if (!decodeUnsigned(v, UINT32_MAX, x))
        return false;
    out = std::uint32_t(x);
    return true;
}

bool decodeBool(const QCborValue &v, bool &out)
{
    if (!v.isBool())
        return false;
    out = v.toBool();
    return true;
}

} // namespace

QByteArray encodeMessage(const Message &m)
{
    QCborMap map;
    map.insert(KVersion, kProtocolVersion);
    map.insert(KType, int(m.body.index()));
    map.insert(KSender, encodeDescriptor(m.sender));
    std::visit(
        [&](const auto &b) {
            using T = std::decay_t<decltype(b)>;
            if constexpr (std::is_same_v<T, Hello>) {
                map.insert(KList, encodeList(b.neighbours));
                map.insert(KFlag, b.wantReply);
            } else if constexpr (std::is_same_v<T, Shuffle>) {
                map.insert(KList, encodeList(b.entries));
                map.insert(KFlag, b.isReply);
            } else if constexpr (std::is_same_v<T, Ping>) {
                map.insert(KFlag, b.isReply);
            } else if constexpr (std::is_same_v<T, Route>) {
                map.insert(KQuery, qint64(b.queryId));
                map.insert(KKind, int(b.kind));
                map.insert(KOrigin, encodeDescriptor(b.origin));
                map.insert(KTarget, encodePoint(b.target));
                map.insert(KRegion, encodeRegion(b.region));
                map.insert(KHops, qint64(b.hops));
            } else if constexpr (std::is_same_v<T, RouteDone>) {
                map.insert(KQuery, qint64(b.queryId));
                map.insert(KKind, int(b.kind));
                map.insert(KHops, qint64(b.hops));
                map.insert(KList, encodeList(b.neighbours));
                map.insert(KList2, encodeList(b.sample));
            } else if constexpr (std::is_same_v<T, RangeFlood>) {
                map.insert(KQuery, qint64(b.queryId));
                map.insert(KOrigin, encodeDescriptor(b.origin));
                map.insert(KRegion, encodeRegion(b.region));
                map.insert(KHops, qint64(b.hops));
            } else if constexpr (std::is_same_v<T, RangeHit>) {
                map.insert(KQuery, qint64(b.queryId));
                map.insert(KHops, qint64(b.hops));
            } else if constexpr (std::is_same_v<T, Leave>) {
                map.insert(KList, encodeList(b.neighbours));
            }
        },
        m.body);
    return map.toCborValue().toCbor();
}

std::optional<Message> decodeMessage(const QByteArray &bytes, QString *error, int hardListLimit)
{
    auto fail = [&](const char *why) -> std::optional<Message> {
        if (error)
            *error = QString::fromLatin1(why);
        return std::nullopt;
    };
    QCborParserError parseError;
    const QCborValue root = QCborValue::fromCbor(bytes, &parseError);
    if (parseError.error != QCborError::NoError)
        return fail("not CBOR");
    if (!root.isMap())
        return fail("not a map");
    const QCborMap map = root.toMap();
    if (map.value(KVersion).toInteger(-1) != kProtocolVersion)
        return fail("unsupported protocol version");
    std::uint64_t type = 0;
    if (!decodeUnsigned(map.value(KType), kMessageTypes - 1, type))
        return fail("unknown message type");
    Message m;
    if (!decodeDescriptor(map.value(KSender), m.sender))
        return fail("bad sender");
    bool ok = false;
    std::uint64_t q = 0;
    switch (type) {
    case 0: {
        Hello b;
        ok = decodeList(map.value(KList), hardListLimit, b.neighbours)
            && decodeBool(map.value(KFlag), b.wantReply);
        m.body = std::move(b);
        break;
    }
    case 1: {
        Shuffle b;
        ok = decodeList(map.value(KList), hardListLimit, b.entries)
            && decodeBool(map.value(KFlag), b.isReply);
        m.body = std::move(b);
        break;
    }
    case 2: {
        Ping b;
        ok = decodeBool(map.value(KFlag), b.isReply);
        m.body = b;
        break;
    }
    case 3: {
        Route b;
        ok = decodeUnsigned(map.value(KQuery), UINT64_MAX, q)
            && decodeKind(map.value(KKind), b.kind)
            && decodeDescriptor(map.value(KOrigin), b.origin)
            && decodePoint(map.value(KTarget), b.target)
            && decodeRegion(map.value(KRegion), b.region) && decodeU32(map.value(KHops), b.hops);
        b.queryId = q;
        m.body = std::move(b);
        break;
    }
    case 4: {
        RouteDone b;
        ok = decodeUnsigned(map.value(KQuery), UINT64_MAX, q)
            && decodeKind(map.value(KKind), b.kind) && decodeU32(map.value(KHops), b.hops)
            && decodeList(map.value(KList), hardListLimit, b.neighbours)
            && decodeList(map.value(KList2), hardListLimit, b.sample);
        b.queryId = q;
        m.body = std::move(b);
        break;
    }
    case 5: {
        RangeFlood b;
        ok = decodeUnsigned(map.value(KQuery), UINT64_MAX, q)
            && decodeDescriptor(map.value(KOrigin), b.origin)
            && decodeRegion(map.value(KRegion), b.region) && decodeU32(map.value(KHops), b.hops);
        b.queryId = q;
        m.body = std::move(b);
        break;
    }
    case 6: {
        RangeHit b;
        ok = decodeUnsigned(map.value(KQuery), UINT64_MAX, q)
            && decodeU32(map.value(KHops), b.hops);
        b.queryId = q;
        m.body = b;
        break;
    }
    case 7: {
        Leave b;
        ok = decodeList(map.value(KList), hardListLimit, b.neighbours);
        m.body = std::move(b);
        break;
    }
    default:
        break;
    }
    if (!ok)
        return fail("bad message fields");
    return m;
}

} // namespace metatopia::raynet
