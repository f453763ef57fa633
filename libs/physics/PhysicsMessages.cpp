// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "physics/PhysicsMessages.h"

#include "core/CoreCbor.h"

#include <QCborArray>

namespace metatopia::physics {

namespace {

const QString kId = QStringLiteral("id");
const QString kShape = QStringLiteral("shape");
const QString kSize = QStringLiteral("size");
const QString kMass = QStringLiteral("mass");
const QString kFriction = QStringLiteral("friction");
const QString kRestitution = QStringLiteral("restitution");
const QString kPosition = QStringLiteral("p");
const QString kRotation = QStringLiteral("r");
const QString kLinear = QStringLiteral("v");
const QString kAngular = QStringLiteral("w");
const QString kTick = QStringLiteral("tick");
const QString kChanges = QStringLiteral("changes");
const QString kOp = QStringLiteral("op");
const QString kBody = QStringLiteral("body");
const QString kState = QStringLiteral("state");
const QString kImpulse = QStringLiteral("impulse");
const QString kEvents = QStringLiteral("events");
const QString kEvent = QStringLiteral("e");
const QString kOther = QStringLiteral("other");
const QString kTo = QStringLiteral("to");
const QString kFrom = QStringLiteral("from");
const QString kRefused = QStringLiteral("refused");
const QString kMessages = QStringLiteral("messages");
const QString kKind = QStringLiteral("m");
const QString kHandoff = QStringLiteral("h");
const QString kReason = QStringLiteral("reason");
const QString kTaken = QStringLiteral("taken");

template<typename T> Result<T> failure(const QString &text)
{
    return Result<T>::failure(text);
}

QString where(const QString &field, const QString &inner)
{
    return field + QStringLiteral(": ") + inner;
}

bool within(Fixed v, std::int64_t bound)
{
    return v >= Fixed::fromInt(-bound) && v <= Fixed::fromInt(bound);
}

bool within(FVec3 v, std::int64_t bound)
{
    return within(v.x, bound) && within(v.y, bound) && within(v.z, bound);
}

Result<QCborMap> asMap(const QCborValue &v, const QString &what)
{
    if (!v.isMap())
        return failure<QCborMap>(QStringLiteral("%1 is not a map").arg(what));
    return v.toMap();
}

Result<QCborArray> arrayField(const QCborMap &m, const QString &key, qsizetype maxSize)
{
    const QCborValue v = m.value(key);
    if (!v.isArray())
        return failure<QCborArray>(QStringLiteral("\"%1\" is missing or not an array").arg(key));
    const QCborArray a = v.toArray();
    if (a.size() > maxSize)
        return failure<QCborArray>(QStringLiteral("\"%1\" has %2 elements (at most %3)")
                                       .arg(key)
                                       .arg(a.size())
                                       .arg(maxSize));
    return a;
}

Result<std::uint64_t> counterField(const QCborMap &m, const QString &key)
{
    const QCborValue v = m.value(key);
    if (!v.isInteger() || v.toInteger() < 0)
        return failure<std::uint64_t>(
            QStringLiteral("\"%1\" is missing or not a non-negative integer").arg(key));
    return std::uint64_t(v.toInteger());
}

Result<BodyId> idField(const QCborMap &m, const QString &key, bool allowGround = false)
{
    const auto id = cbor::decodeId(m.value(key));
    if (!id)
        return failure<BodyId>(where(QStringLiteral("\"%1\"").arg(key), id.error()));
    if (*id == GroundId && !allowGround)
        return failure<BodyId>(QStringLiteral("\"%1\" is 0 (the ground)").arg(key));
    return *id;
}

Result<FVec3> vecField(const QCborMap &m, const QString &key, std::int64_t bound)
{
    const auto v = cbor::decodeVec3(m.value(key));
    if (!v)
        return failure<FVec3>(where(QStringLiteral("\"%1\"").arg(key), v.error()));
    if (!within(*v, bound))
        return failure<FVec3>(QStringLiteral("\"%1\" is out of range (±%2)").arg(key).arg(bound));
    return *v;
}

Result<Fixed> fixedField(const QCborMap &m, const QString &key)
{
    const auto v = cbor::decodeFixed(m.value(key));
    if (!v)
        return failure<Fixed>(where(QStringLiteral("\"%1\"").arg(key), v.error()));
    return *v;
}

Result<std::string> textField(const QCborMap &m, const QString &key, qsizetype maxSize)
{
    const QCborValue v = m.value(key);
    if (!v.isString())
        return failure<std::string>(QStringLiteral("\"%1\" is missing or not text").arg(key));
    const QString s = v.toString();
    if (s.size() > maxSize)
        return failure<std::string>(QStringLiteral("\"%1\" is too long").arg(key));
    return s.toStdString();
}

QCborValue encodeId(BodyId id)
{
    return cbor::encodeId(id);
}

QCborMap encodeBodyAndState(
    const QString &kindKey, const QString &kind, const BodyDesc &desc, const BodyState &state)
{
    QCborMap m;
    m.insert(kindKey, kind);
    m.insert(kBody, encode(desc));
    m.insert(kState, encode(state));
    return m;
}

Result<std::pair<BodyDesc, BodyState>> decodeBodyAndState(const QCborMap &m)
{
    using R = Result<std::pair<BodyDesc, BodyState>>;
    const auto desc = decodeDesc(m.value(kBody));
    if (!desc)
        return R::failure(where(kBody, desc.error()));
    const auto state = decodeState(m.value(kState));
    if (!state)
        return R::failure(where(kState, state.error()));
    return std::make_pair(*desc, *state);
}

QCborMap encodeChange(const BodyChange &change)
{
    return std::visit(
        [](const auto &c) {
            using T = std::decay_t<decltype(c)>;
            QCborMap m;
            if constexpr (std::is_same_v<T, AddBody>) {
                m = encodeBodyAndState(kOp, QStringLiteral("add"), c.desc, c.state);
            } else if constexpr (std::is_same_v<T, RemoveBody>) {
                m.insert(kOp, QStringLiteral("remove"));
                m.insert(kId, encodeId(c.id));
            } else if constexpr (std::is_same_v<T, ApplyImpulse>) {
                m.insert(kOp, QStringLiteral("impulse"));
                m.insert(kId, encodeId(c.id));
                m.insert(kImpulse, cbor::encode(c.impulse));
            } else {
                m.insert(kOp, QStringLiteral("velocity"));
                m.insert(kId, encodeId(c.id));
                m.insert(kLinear, cbor::encode(c.linear));
                m.insert(kAngular, cbor::encode(c.angular));
            }
            return m;
        },
        change);
}

Result<BodyChange> decodeChange(const QCborValue &v)
{
    using R = Result<BodyChange>;
    const auto map = asMap(v, QStringLiteral("the change"));
    if (!map)
        return R::failure(map.error());
    const QCborMap &m = *map;
    const QString op = m.value(kOp).toString();
    if (op != QLatin1String("add") && op != QLatin1String("remove")
        && op != QLatin1String("impulse") && op != QLatin1String("velocity"))
        return R::failure(QStringLiteral("unknown \"op\" (add, remove, impulse, velocity)"));
    if (op == QLatin1String("add")) {
        const auto both = decodeBodyAndState(m);
        if (!both)
            return R::failure(both.error());
        return BodyChange(AddBody { both->first, both->second });
    }
    const auto id = idField(m, kId);
    if (!id)
        return R::failure(id.error());
    if (op == QLatin1String("remove"))
        return BodyChange(RemoveBody { *id });
    if (op == QLatin1String("impulse")) {
        const auto impulse = vecField(m, kImpulse, Limits::maxImpulse);
        if (!impulse)
            return R::failure(impulse.error());
        return BodyChange(ApplyImpulse { *id, *impulse });
    }
    const auto linear = vecField(m, kLinear, Limits::maxSpeed); // "velocity"
    if (!linear)
        return R::failure(linear.error());
    const auto angular = vecField(m, kAngular, Limits::maxSpeed);
    if (!angular)
        return R::failure(angular.error());
    return BodyChange(SetVelocity { *id, *linear, *angular });
}

QCborMap encodeEvent(const PhysicsEvent &event)
{
    return std::visit(
        [](const auto &e) {
            using T = std::decay_t<decltype(e)>;
            QCborMap m;
            if constexpr (std::is_same_v<T, TransformEvent>) {
                m.insert(kEvent, QStringLiteral("transform"));
                m.insert(kId, encodeId(e.id));
                m.insert(kPosition, cbor::encode(e.position));
                m.insert(kRotation, cbor::encode(e.rotation));
            } else if constexpr (std::is_same_v<T, CollisionEvent>) {
                m.insert(kEvent, QStringLiteral("collision"));
                m.insert(kId, encodeId(e.id));
                m.insert(kOther, encodeId(e.other));
            } else if constexpr (std::is_same_v<T, HandedOffEvent>) {
                m.insert(kEvent, QStringLiteral("handedOff"));
                m.insert(kId, encodeId(e.id));
                m.insert(kTo, encode(e.to));
            } else {
                m = encodeBodyAndState(kEvent, QStringLiteral("arrived"), e.desc, e.state);
                m.insert(kFrom, encode(e.from));
            }
            return m;
        },
        event);
}

Result<PhysicsEvent> decodeEvent(const QCborValue &v)
{
    using R = Result<PhysicsEvent>;
    const auto map = asMap(v, QStringLiteral("the event"));
    if (!map)
        return R::failure(map.error());
    const QCborMap &m = *map;
    const QString kind = m.value(kEvent).toString();
    if (kind == QLatin1String("arrived")) {
        const auto both = decodeBodyAndState(m);
        if (!both)
            return R::failure(both.error());
        const auto from = decodeRegion(m.value(kFrom));
        if (!from)
            return R::failure(where(kFrom, from.error()));
        return PhysicsEvent(ArrivedEvent { both->first, both->second, *from });
    }
    const auto id = idField(m, kId);
    if (!id)
        return R::failure(id.error());
    if (kind == QLatin1String("transform")) {
        const auto position = vecField(m, kPosition, Limits::maxCoordinate);
        if (!position)
            return R::failure(position.error());
        const auto rotation = cbor::decodeQuat(m.value(kRotation));
        if (!rotation)
            return R::failure(where(kRotation, rotation.error()));
        return PhysicsEvent(TransformEvent { *id, *position, *rotation });
    }
    if (kind == QLatin1String("collision")) {
        const auto other = idField(m, kOther, true);
        if (!other)
            return R::failure(other.error());
        return PhysicsEvent(CollisionEvent { *id, *other });
    }
    if (kind == QLatin1String("handedOff")) {
        const auto to = decodeRegion(m.value(kTo));
        if (!to)
            return R::failure(where(kTo, to.error()));
        return PhysicsEvent(HandedOffEvent { *id, *to });
    }
    return R::failure(QStringLiteral("unknown event \"e\""));
}

QCborMap encodeNeighbourMessage(const NeighbourMessage &message)
{
    return std::visit(
        [](const auto &n) {
            using T = std::decay_t<decltype(n)>;
            QCborMap m;
            if constexpr (std::is_same_v<T, GhostUpdate>) {
                m = encodeBodyAndState(kKind, QStringLiteral("ghost"), n.desc, n.state);
            } else if constexpr (std::is_same_v<T, GhostRemove>) {
                m.insert(kKind, QStringLiteral("unghost"));
                m.insert(kId, encodeId(n.id));
            } else if constexpr (std::is_same_v<T, HandoffOffer>) {
                m = encodeBodyAndState(kKind, QStringLiteral("offer"), n.desc, n.state);
                m.insert(kHandoff, qint64(n.handoff));
            } else if constexpr (std::is_same_v<T, HandoffAccept>) {
                m.insert(kKind, QStringLiteral("accept"));
                m.insert(kHandoff, qint64(n.handoff));
            } else if constexpr (std::is_same_v<T, HandoffReject>) {
                m.insert(kKind, QStringLiteral("reject"));
                m.insert(kHandoff, qint64(n.handoff));
                m.insert(kReason, QString::fromStdString(n.reason));
            } else if constexpr (std::is_same_v<T, HandoffAbort>) {
                m.insert(kKind, QStringLiteral("abort"));
                m.insert(kHandoff, qint64(n.handoff));
            } else if constexpr (std::is_same_v<T, HandoffCommit>) {
                m = encodeBodyAndState(kKind, QStringLiteral("commit"), n.desc, n.state);
                m.insert(kHandoff, qint64(n.handoff));
            } else {
                m.insert(kKind, QStringLiteral("ack"));
                m.insert(kHandoff, qint64(n.handoff));
                m.insert(kTaken, n.taken);
            }
            return m;
        },
        message);
}

Result<NeighbourMessage> decodeNeighbourMessage(const QCborValue &v)
{
    using R = Result<NeighbourMessage>;
    const auto map = asMap(v, QStringLiteral("the message"));
    if (!map)
        return R::failure(map.error());
    const QCborMap &m = *map;
    const QString kind = m.value(kKind).toString();
    if (kind == QLatin1String("ghost")) {
        const auto both = decodeBodyAndState(m);
        if (!both)
            return R::failure(both.error());
        return NeighbourMessage(GhostUpdate { both->first, both->second });
    }
    if (kind == QLatin1String("unghost")) {
        const auto id = idField(m, kId);
        if (!id)
            return R::failure(id.error());
        return NeighbourMessage(GhostRemove { *id });
    }
    const auto handoff = counterField(m, kHandoff);
    if (!handoff)
        return R::failure(handoff.error());
    if (kind == QLatin1String("offer") || kind == QLatin1String("commit")) {
        const auto both = decodeBodyAndState(m);
        if (!both)
            return R::failure(both.error());
        if (kind == QLatin1String("offer"))
            return NeighbourMessage(HandoffOffer { *handoff, both->first, both->second });
        return NeighbourMessage(HandoffCommit { *handoff, both->first, both->second });
    }
    if (kind == QLatin1String("accept"))
        return NeighbourMessage(HandoffAccept { *handoff });
    if (kind == QLatin1String("abort"))
        return NeighbourMessage(HandoffAbort { *handoff });
    if (kind == QLatin1String("reject")) {
        const auto reason = textField(m, kReason, 1000);
        if (!reason)
            return R::failure(reason.error());
        return NeighbourMessage(HandoffReject { *handoff, *reason });
    }
    if (kind == QLatin1String("ack")) {
        const QCborValue taken = m.value(kTaken);
        if (!taken.isBool())
            return R::failure(QStringLiteral("\"taken\" is missing or not a boolean"));
        return NeighbourMessage(HandoffCommitAck { *handoff, taken.toBool() });
    }
    return R::failure(QStringLiteral("unknown neighbour message \"m\""));
}

} // namespace

QString validate(const BodyDesc &desc)
{
    if (desc.id == GroundId)
        return QStringLiteral("id 0 is the ground");
    if (desc.shape != Shape::Box && desc.shape != Shape::Sphere)
        return QStringLiteral("unknown shape");
    const Fixed minSize = Fixed::fromRatio(1, 1000);
    const auto sizeOk
        = [&](Fixed s) { return s >= minSize && s <= Fixed::fromInt(Limits::maxSize); };
    if (!sizeOk(desc.size.x)
        || (desc.shape == Shape::Box && (!sizeOk(desc.size.y) || !sizeOk(desc.size.z))))
        return QStringLiteral("size out of range (0.001 to %1 m)").arg(Limits::maxSize);
    if (desc.mass < Fixed::zero() || desc.mass > Fixed::fromInt(Limits::maxMass))
        return QStringLiteral("mass out of range (0 to %1 kg)").arg(Limits::maxMass);
    if (desc.friction < Fixed::zero() || desc.friction > Fixed::fromInt(10))
        return QStringLiteral("friction out of range (0 to 10)");
    if (desc.restitution < Fixed::zero() || desc.restitution > Fixed::one())
        return QStringLiteral("restitution out of range (0 to 1)");
    return {};
}

QString validate(const BodyState &state)
{
    if (!within(state.position, Limits::maxCoordinate))
        return QStringLiteral("position out of range (±%1 m)").arg(Limits::maxCoordinate);
    if (!within(state.linearVelocity, Limits::maxSpeed)
        || !within(state.angularVelocity, Limits::maxSpeed))
        return QStringLiteral("velocity out of range (±%1)").arg(Limits::maxSpeed);
    const FQuat &q = state.rotation;
    const auto unit = [](Fixed c) { return c >= -Fixed::fromInt(2) && c <= Fixed::fromInt(2); };
    if (!unit(q.w) || !unit(q.x) || !unit(q.y) || !unit(q.z))
        return QStringLiteral("rotation is not a unit quaternion");
    const Fixed length2 = q.lengthSquared();
    if (length2 < Fixed::fromRatio(1, 2) || length2 > Fixed::fromInt(2))
        return QStringLiteral("rotation is not a unit quaternion");
    return {};
}

QCborValue encode(RegionCoord region)
{
    return QCborArray { qint64(region.x), qint64(region.y) };
}

QCborMap encode(const BodyDesc &desc)
{
    QCborMap m;
    m.insert(kId, encodeId(desc.id));
    m.insert(
        kShape, desc.shape == Shape::Sphere ? QStringLiteral("sphere") : QStringLiteral("box"));
    m.insert(kSize, cbor::encode(desc.size));
    m.insert(kMass, cbor::encode(desc.mass));
    m.insert(kFriction, cbor::encode(desc.friction));
    m.insert(kRestitution, cbor::encode(desc.restitution));
    return m;
}

QCborMap encode(const BodyState &state)
{
    QCborMap m;
    m.insert(kPosition, cbor::encode(state.position));
    m.insert(kRotation, cbor::encode(state.rotation));
    m.insert(kLinear, cbor::encode(state.linearVelocity));
    m.insert(kAngular, cbor::encode(state.angularVelocity));
    return m;
}

QCborMap encode(const StepRequest &request)
{
    QCborArray changes;
    for (const BodyChange &change : request.changes)
        changes.append(encodeChange(change));
    QCborMap m;
    m.insert(kTick, qint64(request.tick));
    m.insert(kChanges, changes);
    return m;
}

QCborMap encode(const StepReply &reply)
{
    QCborArray events;
    for (const PhysicsEvent &event : reply.events)
        events.append(encodeEvent(event));
    QCborArray refused;
    for (const std::string &text : reply.refused)
        refused.append(QString::fromStdString(text));
    QCborMap m;
    m.insert(kTick, qint64(reply.tick));
    m.insert(kEvents, events);
    m.insert(kRefused, refused);
    return m;
}

QCborMap encode(const NeighbourBatch &batch)
{
    QCborArray messages;
    for (const NeighbourMessage &message : batch.messages)
        messages.append(encodeNeighbourMessage(message));
    QCborMap m;
    m.insert(kFrom, encode(batch.from));
    m.insert(kTick, qint64(batch.tick));
    m.insert(kMessages, messages);
    return m;
}

Result<RegionCoord> decodeRegion(const QCborValue &v)
{
    if (!v.isArray() || v.toArray().size() != 2)
        return failure<RegionCoord>(QStringLiteral("a region is an array [x, y]"));
    const QCborArray a = v.toArray();
    const auto coordinate = [](const QCborValue &c) {
        return c.isInteger() && c.toInteger() >= INT32_MIN && c.toInteger() <= INT32_MAX;
    };
    if (!coordinate(a.at(0)) || !coordinate(a.at(1)))
        return failure<RegionCoord>(QStringLiteral("region coordinates are 32-bit integers"));
    return RegionCoord { std::int32_t(a.at(0).toInteger()), std::int32_t(a.at(1).toInteger()) };
}

Result<BodyDesc> decodeDesc(const QCborValue &v)
{
    using R = Result<BodyDesc>;
    const auto map = asMap(v, QStringLiteral("the body"));
    if (!map)
        return R::failure(map.error());
    const QCborMap &m = *map;
    BodyDesc desc;
    const auto id = idField(m, kId);
    if (!id)
        return R::failure(id.error());
    desc.id = *id;
    const QString shape = m.value(kShape).toString();
    if (shape == QLatin1String("box"))
        desc.shape = Shape::Box;
    else if (shape == QLatin1String("sphere"))
        desc.shape = Shape::Sphere;
    else
        return R::failure(QStringLiteral("\"shape\" is not \"box\" or \"sphere\""));
    const auto size = vecField(m, kSize, Limits::maxSize);
    if (!size)
        return R::failure(size.error());
    desc.size = *size;
    const auto mass = fixedField(m, kMass);
    if (!mass)
        return R::failure(mass.error());
    desc.mass = *mass;
    const auto friction = fixedField(m, kFriction);
    if (!friction)
        return R::failure(friction.error());
    desc.friction = *friction;
    const auto restitution = fixedField(m, kRestitution);
    if (!restitution)
        return R::failure(restitution.error());
    desc.restitution = *restitution;
    const QString problem = validate(desc);
    if (!problem.isEmpty())
        return R::failure(problem);
    return desc;
}

Result<BodyState> decodeState(const QCborValue &v)
{
    using R = Result<BodyState>;
    const auto map = asMap(v, QStringLiteral("the state"));
    if (!map)
        return R::failure(map.error());
    const QCborMap &m = *map;
    BodyState state;
    const auto position = vecField(m, kPosition, Limits::maxCoordinate);
    if (!position)
        return R::failure(position.error());
    state.position = *position;
    const auto rotation = cbor::decodeQuat(m.value(kRotation));
    if (!rotation)
        return R::failure(where(QStringLiteral("\"r\""), rotation.error()));
    state.rotation = *rotation;
    const auto linear = vecField(m, kLinear, Limits::maxSpeed);
    if (!linear)
        return R::failure(linear.error());
    state.linearVelocity = *linear;
    const auto angular = vecField(m, kAngular, Limits::maxSpeed);
    if (!angular)
        return R::failure(angular.error());
    state.angularVelocity = *angular;
    const QString problem = validate(state);
    if (!problem.isEmpty())
        return R::failure(problem);
    state.rotation = state.rotation.normalized();
    return state;
}

Result<StepRequest> decodeStepRequest(const QCborMap &message)
{
    using R = Result<StepRequest>;
    StepRequest request;
    const auto tick = counterField(message, kTick);
    if (!tick)
        return R::failure(tick.error());
    request.tick = *tick;
    const auto changes = arrayField(message, kChanges, Limits::maxChanges);
    if (!changes)
        return R::failure(changes.error());
    request.changes.reserve(std::size_t(changes->size()));
    for (qsizetype i = 0; i < changes->size(); ++i) {
        auto change = decodeChange(changes->at(i));
        if (!change)
            return R::failure(where(QStringLiteral("change %1").arg(i), change.error()));
        request.changes.push_back(std::move(change).value());
    }
    return request;
}

Result<StepReply> decodeStepReply(const QCborMap &message)
{
    using R = Result<StepReply>;
    StepReply reply;
    const auto tick = counterField(message, kTick);
    if (!tick)
        return R::failure(tick.error());
    reply.tick = *tick;
    const auto events = arrayField(message, kEvents, Limits::maxMessages);
    if (!events)
        return R::failure(events.error());
    reply.events.reserve(std::size_t(events->size()));
    for (qsizetype i = 0; i < events->size(); ++i) {
        auto event = decodeEvent(events->at(i));
        if (!event)
            return R::failure(where(QStringLiteral("event %1").arg(i), event.error()));
        reply.events.push_back(std::move(event).value());
    }
    const auto refused = arrayField(message, kRefused, Limits::maxChanges);
    if (!refused)
        return R::failure(refused.error());
    for (const QCborValue &text : *refused) {
        if (!text.isString())
            return R::failure(QStringLiteral("\"refused\" holds a non-text element"));
        reply.refused.push_back(text.toString().toStdString());
    }
    return reply;
}

Result<NeighbourBatch> decodeNeighbourBatch(const QCborMap &message)
{
    using R = Result<NeighbourBatch>;
    NeighbourBatch batch;
    const auto from = decodeRegion(message.value(kFrom));
    if (!from)
        return R::failure(where(kFrom, from.error()));
    batch.from = *from;
    const auto tick = counterField(message, kTick);
    if (!tick)
        return R::failure(tick.error());
    batch.tick = *tick;
    const auto messages = arrayField(message, kMessages, Limits::maxMessages);
    if (!messages)
        return R::failure(messages.error());
    batch.messages.reserve(std::size_t(messages->size()));
    for (qsizetype i = 0; i < messages->size(); ++i) {
        auto decoded = decodeNeighbourMessage(messages->at(i));
        if (!decoded)
            return R::failure(where(QStringLiteral("message %1").arg(i), decoded.error()));
        batch.messages.push_back(std::move(decoded).value());
    }
    return batch;
}

} // namespace metatopia::physics
