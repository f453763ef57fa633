// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "sim/Input.h"

#include "sim/Codec.h"
#include "sim/Hash.h"

namespace metatopia::sim {

namespace {

constexpr std::uint32_t MaxInputsPerBatch = 1u << 20;

void encodeAction(Writer &out, const InputAction &action)
{
    out.u8(static_cast<std::uint8_t>(action.index()));
    std::visit(
        [&](const auto &a) {
            using T = std::decay_t<decltype(a)>;
            if constexpr (std::is_same_v<T, AvatarEnter>) {
                out.u64(a.avatar);
                out.u64(a.account);
                out.str(a.name);
                out.vec3(a.position);
            } else if constexpr (std::is_same_v<T, AvatarLeave>) {
                out.u64(a.avatar);
            } else if constexpr (std::is_same_v<T, AvatarMove>) {
                out.u64(a.avatar);
                out.vec3(a.position);
                out.quat(a.rotation);
                out.str(a.animation);
            } else if constexpr (std::is_same_v<T, AvatarChat>) {
                out.u64(a.avatar);
                out.i64(a.channel);
                out.u8(static_cast<std::uint8_t>(a.range));
                out.str(a.text);
            } else if constexpr (std::is_same_v<T, Touch>) {
                out.u64(a.avatar);
                out.u64(a.object);
            } else if constexpr (std::is_same_v<T, Collision>) {
                out.u64(a.object);
                out.u64(a.other);
            } else if constexpr (std::is_same_v<T, PhysicsTransform>) {
                out.u64(a.object);
                out.vec3(a.position);
                out.quat(a.rotation);
            } else if constexpr (std::is_same_v<T, CreateObject>) {
                out.u64(a.owner);
                out.str(a.name);
                out.vec3(a.position);
                out.quat(a.rotation);
                out.vec3(a.scale);
                out.u32(a.colour);
                out.str(a.text);
                out.u32(a.permissions);
                out.str(a.script);
            } else if constexpr (std::is_same_v<T, DeleteObject>) {
                out.u64(a.by);
                out.u64(a.object);
            } else if constexpr (std::is_same_v<T, EditScript>) {
                out.u64(a.author);
                out.u64(a.object);
                out.str(a.source);
            }
        },
        action);
}

ChatRange decodeRange(Reader &in)
{
    const std::uint8_t r = in.u8();
    if (r > static_cast<std::uint8_t>(ChatRange::Region))
        throw CodecError("bad chat range");
    return static_cast<ChatRange>(r);
}

InputAction decodeAction(Reader &in)
{
    switch (in.u8()) {
    case 0: {
        AvatarEnter a;
        a.avatar = in.u64();
        a.account = in.u64();
        a.name = in.str();
        a.position = in.vec3();
        return a;
    }
    case 1:
        return AvatarLeave { in.u64() };
    case 2: {
        AvatarMove a;
        a.avatar = in.u64();
        a.position = in.vec3();
        a.rotation = in.quat();
        a.animation = in.str();
        return a;
    }
    case 3: {
        AvatarChat a;
        a.avatar = in.u64();
        a.channel = in.i64();
        a.range = decodeRange(in);
        a.text = in.str();
        return a;
    }
    case 4: {
        Touch a;
        a.avatar = in.u64();
        a.object = in.u64();
        return a;
    }
    case 5: {
        Collision a;
        a.object = in.u64();
        a.other = in.u64();
        return a;
    }
    case 6: {
        PhysicsTransform a;
        a.object = in.u64();
        a.position = in.vec3();
        a.rotation = in.quat();
        return a;
    }
    case 7: {
        CreateObject a;
        a.owner = in.u64();
        a.name = in.str();
        a.position = in.vec3();
        a.rotation = in.quat();
        a.scale = in.vec3();
        a.colour = in.u32();
        a.text = in.str();
        a.permissions = in.u32();
        a.script = in.str();
        return a;
    }
    case 8: {
        DeleteObject a;
        a.by = in.u64();
        a.object = in.u64();
        return a;
    }
    case 9: {
        EditScript a;
        a.author = in.u64();
        a.object = in.u64();
        a.source = in.str();
        return a;
    }
    default:
        throw CodecError("unknown input kind");
    }
}

} // namespace

std::string TickBatch::encode() const
{
    Writer out;
    out.u64(tick);
    out.u64(seed);
    out.u32(static_cast<std::uint32_t>(inputs.size()));
    for (const Input &input : inputs) {
        out.u64(input.id);
        encodeAction(out, input.action);
    }
    return out.take();
}

TickBatch TickBatch::decode(std::string_view bytes)
{
    Reader in(bytes);
    TickBatch batch;
    batch.tick = in.u64();
    batch.seed = in.u64();
    const std::uint32_t count = in.count(MaxInputsPerBatch);
    batch.inputs.reserve(count);
    for (std::uint32_t i = 0; i < count; ++i) {
        Input input;
        input.id = in.u64();
        input.action = decodeAction(in);
        batch.inputs.push_back(std::move(input));
    }
    if (!in.atEnd())
        throw CodecError("trailing bytes after batch");
    return batch;
}

LocalInputQueue::LocalInputQueue(std::uint64_t baseSeed)
    : m_baseSeed(baseSeed)
{ }

std::uint64_t LocalInputQueue::push(InputAction action)
{
    std::lock_guard lock(m_mutex);
    const std::uint64_t id = m_nextId++;
    m_pending.push_back(Input { id, std::move(action) });
    return id;
}

std::optional<TickBatch> LocalInputQueue::batchFor(std::uint64_t tick)
{
    std::lock_guard lock(m_mutex);
    TickBatch batch;
    batch.tick = tick;
    batch.seed = hashCombine(m_baseSeed, tick);
    batch.inputs = std::move(m_pending);
    m_pending.clear();
    return batch;
}

} // namespace metatopia::sim
