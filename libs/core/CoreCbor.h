// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

// CBOR encoding of the core types, for the wire and for snapshots. Fixed travels as its raw
// int64 (exact, no floating point); vectors and quaternions as arrays of raw ints; ids as
// integers (bit-cast to int64, since QCborValue has no unsigned 64-bit integers). Decoding never
// trusts its input: wrong types, wrong sizes, truncated or trailing bytes give a Result with an
// error message saying what was wrong and where.

#include "core/Event.h"
#include "core/FQuat.h"
#include "core/FVec3.h"
#include "core/Fixed.h"
#include "core/Id.h"
#include "core/Result.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QCborArray>
#include <QCborValue>

namespace metatopia::cbor {

QCborValue encode(Fixed v);
QCborValue encode(FVec3 v);
QCborValue encode(FQuat q);
QCborValue encodeId(std::uint64_t id);
template<typename Tag>
QCborValue encode(Id<Tag> id)
{
    return encodeId(id.value());
}
QCborValue encode(const EventTarget &target);
// A map with small integer keys: 0 id, 1 tick, 2 kind, 3 source, 4 target, 5 payload.
QCborValue encode(const Event &event);

Result<Fixed> decodeFixed(const QCborValue &v);
Result<FVec3> decodeVec3(const QCborValue &v);
Result<FQuat> decodeQuat(const QCborValue &v);
Result<std::uint64_t> decodeId(const QCborValue &v);
template<typename Tag>
Result<Id<Tag>> decodeId(const QCborValue &v)
{
    const auto raw = decodeId(v);
    if (!raw)
        return Result<Id<Tag>>::failure(raw.error());
    return Id<Tag>(*raw);
}
Result<EventTarget> decodeTarget(const QCborValue &v);
Result<Event> decodeEvent(const QCborValue &v);

// Whole documents: exactly one CBOR item, nothing before or after it.
QByteArray toBytes(const QCborValue &v);
Result<QCborValue> fromBytes(QByteArrayView bytes);
QByteArray eventToBytes(const Event &event);
Result<Event> eventFromBytes(QByteArrayView bytes);

// A 64-bit content hash of an event for state hashing (pending events are part of the state):
// the fields through ContentHasher, the payload through its CBOR bytes.
std::uint64_t contentHash(const Event &event);

} // namespace metatopia::cbor
