// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "sim/ScriptContext.h"

#include "sim/Hash.h"
#include "sim/ScriptValueCodec.h"

#include <algorithm>

namespace metatopia::sim {

namespace {

constexpr std::uint64_t EmitSalt = 0xe3170000u;
constexpr std::size_t MaxMessageBytes = 4096;
const Fixed MaxSensorRange = Fixed::fromInt(96);
const Fixed MaxRezDistance = Fixed::fromInt(10);

enum class Fn
{
    Id,
    Owner,
    Parent,
    Name,
    SetName,
    GetPosition,
    SetPosition,
    GetRotation,
    SetRotation,
    GetScale,
    SetScale,
    GetColour,
    SetColour,
    GetText,
    SetText,
    Say,
    Shout,
    Whisper,
    RegionSay,
    Listen,
    Unlisten,
    SetTimer,
    Tick,
    TickRate,
    Message,
    Rez,
    Derez,
    Sensor,
    KvGet,
    KvSet,
    KvKeys,
    ObjectInfo,
    ScriptSource,
    Print,
};

struct HostFunction
{
    std::string_view name;
    Fn fn;
};

// Sorted by name for binary search.
constexpr HostFunction Functions[] = {
    { "derez", Fn::Derez },
    { "get_colour", Fn::GetColour },
    { "get_position", Fn::GetPosition },
    { "get_rotation", Fn::GetRotation },
    { "get_scale", Fn::GetScale },
    { "get_text", Fn::GetText },
    { "id", Fn::Id },
    { "kv_get", Fn::KvGet },
    { "kv_keys", Fn::KvKeys },
    { "kv_set", Fn::KvSet },
    { "listen", Fn::Listen },
    { "message", Fn::Message },
    { "name", Fn::Name },
    { "object_info", Fn::ObjectInfo },
    { "owner", Fn::Owner },
    { "parent", Fn::Parent },
    { "print", Fn::Print },
    { "region_say", Fn::RegionSay },
    { "rez", Fn::Rez },
    { "say", Fn::Say },
    { "script_source", Fn::ScriptSource },
    { "sensor", Fn::Sensor },
    { "set_colour", Fn::SetColour },
    { "set_name", Fn::SetName },
    { "set_position", Fn::SetPosition },
    { "set_rotation", Fn::SetRotation },
    { "set_scale", Fn::SetScale },
    { "set_text", Fn::SetText },
    { "set_timer", Fn::SetTimer },
    { "shout", Fn::Shout },
    { "tick", Fn::Tick },
    { "tick_rate", Fn::TickRate },
    { "unlisten", Fn::Unlisten },
    { "whisper", Fn::Whisper },
};

[[noreturn]] void fail(std::string_view function, std::string_view message)
{
    throw ScriptError { std::string(function) + ": " + std::string(message) };
}

const ScriptValue &arg(std::string_view, std::span<const ScriptValue> args, std::size_t i)
{
    static const ScriptValue nil;
    return i < args.size() ? args[i] : nil;
}

std::int64_t intArg(std::string_view function, std::span<const ScriptValue> args, std::size_t i)
{
    const auto v = toInteger(arg(function, args, i));
    if (!v)
        fail(function, "argument " + std::to_string(i + 1) + " must be an integer");
    return *v;
}

Fixed numberArg(std::string_view function, std::span<const ScriptValue> args, std::size_t i)
{
    const auto v = toNumber(arg(function, args, i));
    if (!v)
        fail(function, "argument " + std::to_string(i + 1) + " must be a number");
    return *v;
}

std::string stringArg(std::string_view function, std::span<const ScriptValue> args, std::size_t i,
    std::size_t maxBytes)
{
    const std::string *s = toStr(arg(function, args, i));
    if (!s)
        fail(function, "argument " + std::to_string(i + 1) + " must be a string");
    if (s->size() > maxBytes)
        fail(function, "string longer than " + std::to_string(maxBytes) + " bytes");
    return *s;
}

Fixed fieldNumber(std::string_view function, const ScriptValue &table, std::string_view key)
{
    const ScriptValue *v = field(table, key);
    const auto n = v ? toNumber(*v) : std::nullopt;
    if (!n)
        fail(function, "field '" + std::string(key) + "' must be a number");
    return *n;
}

FVec3 vecArg(std::string_view function, const ScriptValue &value)
{
    if (!isTable(value))
        fail(function, "expected a vector {x=, y=, z=}");
    FVec3 v;
    v.x = fieldNumber(function, value, "x");
    v.y = fieldNumber(function, value, "y");
    v.z = fieldNumber(function, value, "z");
    return v;
}

FQuat quatArg(std::string_view function, const ScriptValue &value)
{
    if (!isTable(value))
        fail(function, "expected a rotation {x=, y=, z=, w=}");
    FQuat q;
    q.x = fieldNumber(function, value, "x");
    q.y = fieldNumber(function, value, "y");
    q.z = fieldNumber(function, value, "z");
    q.w = fieldNumber(function, value, "w");
    return q;
}

ScriptValue vecValue(const FVec3 &v)
{
    return makeRecord(
        { { "x", ScriptValue(v.x) }, { "y", ScriptValue(v.y) }, { "z", ScriptValue(v.z) } });
}

ScriptValue quatValue(const FQuat &q)
{
    return makeRecord({ { "x", ScriptValue(q.x) }, { "y", ScriptValue(q.y) },
        { "z", ScriptValue(q.z) }, { "w", ScriptValue(q.w) } });
}

ScriptValue idValue(std::uint64_t id)
{
    return ScriptValue(static_cast<std::int64_t>(id));
}

ScriptValue storedToScript(const StoredValue &value)
{
    return std::visit([](const auto &v) { return ScriptValue(v); }, value);
}

} // namespace

const std::vector<std::string> &ScriptContext::hostFunctions()
{
    static const std::vector<std::string> names = [] {
        std::vector<std::string> list;
        for (const HostFunction &f : Functions) {
            // print is the VM's own global; it reaches call() without being registered.
            if (f.fn != Fn::Print)
                list.emplace_back(f.name);
        }
        return list;
    }();
    return names;
}

const std::vector<std::string> &ScriptContext::eventHandlers()
{
    static const std::vector<std::string> names = [] {
        std::vector<std::string> list;
        for (int kind = 0; kind <= static_cast<int>(EventKind::ObjectRez); ++kind)
            list.emplace_back(handlerName(static_cast<EventKind>(kind)));
        return list;
    }();
    return names;
}

ScriptContext::ScriptContext(const WorldState &world, const SpatialIndex &near, const Object &self,
    std::uint64_t tick, std::uint64_t seed)
    : m_world(world)
    , m_near(near)
    , m_self(self)
    , m_tick(tick)
    , m_seed(seed)
{ }

Object &ScriptContext::writable()
{
    if (!m_writing)
        m_writing = m_self;
    return *m_writing;
}

void ScriptContext::run(ScriptVm *vm, bool load, bool refuseLoad,
    std::span<const Emission *const> events, const ScriptLimits &limits, bool hashVm,
    ScriptOutput &out)
{
    m_out = &out;
    if (load) {
        Object &self = writable();
        self.status = ScriptStatus();
        self.status.loaded = true;
        if (refuseLoad) {
            out.loadRefused = true;
            self.status.suspended = true;
            self.status.error = "not started: the region's script memory is full";
            out.error = self.status.error;
            publishWrite();
            return;
        }
        // The VM's random seed depends only on agreed facts, so every replica draws alike.
        const std::uint64_t seed = hashWords(m_self.id, m_self.script->revision, m_tick);
        out.newVm = std::make_unique<ScriptVm>(limits, seed);
        out.newVm->setHostFunctions(hostFunctions());
        out.newVm->setEventHandlers(eventHandlers());
        vm = out.newVm.get();
        const std::string chunk = "object " + std::to_string(m_self.id);
        if (auto error = vm->load(m_self.script->source, chunk, *this)) {
            self.status.suspended = true;
            self.status.error = *error;
            out.error = *error;
        }
    }
    if (vm && !vm->suspended() && !events.empty()) {
        // All of this tick's events in one entry into the VM; handlers are numbered by kind.
        thread_local std::vector<ScriptVm::Event> batch;
        batch.clear();
        for (const Emission *event : events)
            batch.push_back(
                ScriptVm::Event { static_cast<std::uint32_t>(event->kind), event->args });
        if (auto error = vm->dispatch(batch, *this); error && vm->suspended()) {
            Object &self = writable();
            self.status.suspended = true;
            self.status.error = *error;
            out.error = *error;
        }
    }
    if (vm) {
        if (hashVm) {
            out.vmHash = vm->stateHash();
            out.hashed = true;
        }
        out.vmMemory = vm->memoryUsed();
        if (vm->suspended() && !current().status.suspended) {
            Object &self = writable();
            self.status.suspended = true;
            self.status.error = "suspended";
            out.error = self.status.error;
        }
    }
    publishWrite();
}

void ScriptContext::publishWrite()
{
    // Hashed and made shareable here, in parallel, rather than by the serial merge: in a burst
    // thousands of scripts write at once.
    if (m_writing) {
        m_writing->finalize();
        m_out->written = std::make_shared<const Object>(std::move(*m_writing));
        m_writing.reset();
    }
    m_out = nullptr;
}

void ScriptContext::queueEvent(Emission e)
{
    if (m_emitted >= m_world.region.limits.maxEventsOutPerScript) {
        ++m_out->droppedOut;
        return;
    }
    e.id = hashWords(m_tick, EmitSalt ^ m_self.id, m_emitted);
    ++m_emitted;
    m_out->emitted.push_back(std::move(e));
}

void ScriptContext::say(ChatRange range, std::span<const ScriptValue> args)
{
    const std::string_view function = range == ChatRange::Whisper ? "whisper"
        : range == ChatRange::Say                                 ? "say"
        : range == ChatRange::Shout                               ? "shout"
                                                                  : "region_say";
    const std::int64_t channel = intArg(function, args, 0);
    std::string text = stringArg(function, args, 1, m_world.region.limits.maxTextBytes);
    const Object &self = current();
    if (m_emitted >= m_world.region.limits.maxEventsOutPerScript) {
        ++m_out->droppedOut;
        return;
    }
    m_out->chat.push_back(
        ChatLine { self.id, false, self.name, channel, range, self.position, text });
    Emission e;
    e.kind = EventKind::Listen;
    e.source = self.id;
    e.channel = channel;
    e.range = range;
    e.origin = self.position;
    e.args = { ScriptValue(channel), idValue(self.id), ScriptValue(self.name),
        ScriptValue(std::move(text)) };
    queueEvent(std::move(e));
}

std::vector<ScriptValue> ScriptContext::call(
    std::string_view function, std::span<const ScriptValue> args)
{
    const auto *found = std::lower_bound(std::begin(Functions), std::end(Functions), function,
        [](const HostFunction &f, std::string_view name) { return f.name < name; });
    if (found == std::end(Functions) || found->name != function)
        fail(function, "no such function");
    const RegionLimits &limits = m_world.region.limits;
    const Object &self = current();

    switch (found->fn) {
    case Fn::Id:
        return { idValue(self.id) };
    case Fn::Owner:
        return { idValue(self.owner) };
    case Fn::Parent:
        return { idValue(self.parent) };
    case Fn::Name:
        return { ScriptValue(self.name) };
    case Fn::SetName:
        writable().name = stringArg(function, args, 0, limits.maxTextBytes);
        return {};
    case Fn::GetPosition:
        return { vecValue(self.position) };
    case Fn::SetPosition:
        writable().position
            = clampToRegion(vecArg(function, arg(function, args, 0)), m_world.region);
        return {};
    case Fn::GetRotation:
        return { quatValue(self.rotation) };
    case Fn::SetRotation:
        writable().rotation = quatArg(function, arg(function, args, 0));
        return {};
    case Fn::GetScale:
        return { vecValue(self.scale) };
    case Fn::SetScale: {
        FVec3 scale = vecArg(function, arg(function, args, 0));
        const Fixed small = Fixed::fromRatio(1, 100);
        const Fixed large = Fixed::fromInt(64);
        scale.x = std::clamp(scale.x, small, large);
        scale.y = std::clamp(scale.y, small, large);
        scale.z = std::clamp(scale.z, small, large);
        writable().scale = scale;
        return {};
    }
    case Fn::GetColour:
        return { ScriptValue(std::int64_t(self.colour >> 24)),
            ScriptValue(std::int64_t((self.colour >> 16) & 0xff)),
            ScriptValue(std::int64_t((self.colour >> 8) & 0xff)),
            ScriptValue(std::int64_t(self.colour & 0xff)) };
    case Fn::SetColour: {
        std::uint32_t rgba = 0;
        for (std::size_t i = 0; i < 4; ++i) {
            const std::int64_t c = i == 3 && args.size() < 4 ? 255 : intArg(function, args, i);
            if (c < 0 || c > 255)
                fail(function, "colour components are integers 0..255");
            rgba = (rgba << 8) | std::uint32_t(c);
        }
        writable().colour = rgba;
        return {};
    }
    case Fn::GetText:
        return { ScriptValue(self.text) };
    case Fn::SetText:
        writable().text = stringArg(function, args, 0, limits.maxTextBytes);
        return {};
    case Fn::Say:
        say(ChatRange::Say, args);
        return {};
    case Fn::Shout:
        say(ChatRange::Shout, args);
        return {};
    case Fn::Whisper:
        say(ChatRange::Whisper, args);
        return {};
    case Fn::RegionSay:
        say(ChatRange::Region, args);
        return {};
    case Fn::Listen: {
        const std::int64_t channel = intArg(function, args, 0);
        auto &channels = writable().status.listenChannels;
        auto it = std::lower_bound(channels.begin(), channels.end(), channel);
        if (it == channels.end() || *it != channel) {
            if (channels.size() >= limits.maxListensPerScript)
                fail(function,
                    "too many listens (max " + std::to_string(limits.maxListensPerScript) + ")");
            channels.insert(it, channel);
        }
        return {};
    }
    case Fn::Unlisten: {
        const std::int64_t channel = intArg(function, args, 0);
        auto &channels = writable().status.listenChannels;
        auto it = std::lower_bound(channels.begin(), channels.end(), channel);
        if (it != channels.end() && *it == channel)
            channels.erase(it);
        return {};
    }
    case Fn::SetTimer: {
        const Fixed seconds = numberArg(function, args, 0);
        ScriptStatus &status = writable().status;
        if (seconds <= Fixed::zero()) {
            status.timerInterval = 0;
            status.timerStart = 0;
            return {};
        }
        const Fixed ticks = (seconds * Fixed::fromInt(m_world.region.tickRate)).round();
        status.timerInterval = std::clamp<std::int64_t>(ticks.toInt(), 1, 1ll << 32);
        status.timerStart = m_tick;
        return {};
    }
    case Fn::Tick:
        return { ScriptValue(static_cast<std::int64_t>(m_tick)) };
    case Fn::TickRate:
        return { ScriptValue(static_cast<std::int64_t>(m_world.region.tickRate)) };
    case Fn::Message: {
        const auto target = static_cast<ObjectId>(intArg(function, args, 0));
        const ScriptValue &value = arg(function, args, 1);
        if (scriptValueBytes(value) > MaxMessageBytes)
            fail(function, "message larger than " + std::to_string(MaxMessageBytes) + " bytes");
        Emission e;
        e.kind = EventKind::Message;
        e.target = target;
        e.source = self.id;
        e.args = { idValue(self.id), value };
        queueEvent(std::move(e));
        return {};
    }
    case Fn::Rez: {
        const ScriptValue &spec = arg(function, args, 0);
        if (!isTable(spec))
            fail(function, "expected a table {name=, position=, script=, ...}");
        RezRequest rez;
        rez.parent = self.id;
        rez.position = self.position;
        rez.rotation = FQuat::identity();
        rez.scale = FVec3 { Fixed::one(), Fixed::one(), Fixed::one() };
        if (const ScriptValue *v = field(spec, "name"); v && !isNil(*v))
            rez.name = stringArg(function, std::span(v, 1), 0, limits.maxTextBytes);
        if (const ScriptValue *v = field(spec, "position"); v && !isNil(*v))
            rez.position = vecArg(function, *v);
        if (const ScriptValue *v = field(spec, "rotation"); v && !isNil(*v))
            rez.rotation = quatArg(function, *v);
        if (const ScriptValue *v = field(spec, "text"); v && !isNil(*v))
            rez.text = stringArg(function, std::span(v, 1), 0, limits.maxTextBytes);
        if (const ScriptValue *v = field(spec, "script"); v && !isNil(*v))
            rez.script = stringArg(function, std::span(v, 1), 0, limits.maxSourceBytes);
        if (!SpatialIndex::withinDistance(rez.position, self.position, MaxRezDistance))
            fail(function, "position is more than 10 m away");
        if (m_emitted >= limits.maxEventsOutPerScript) {
            ++m_out->droppedOut;
            return {};
        }
        ++m_emitted;
        m_out->rez.push_back(std::move(rez));
        return {};
    }
    case Fn::Derez: {
        const auto target = static_cast<ObjectId>(intArg(function, args, 0));
        const Object *object = m_world.objects.find(target);
        if (!object)
            return { ScriptValue(false) };
        if (target != self.id && object->parent != self.id)
            fail(function, "only the object itself or objects it rezzed can be derezzed");
        m_out->derez.push_back(target);
        return { ScriptValue(true) };
    }
    case Fn::Sensor: {
        Fixed range = numberArg(function, args, 0);
        range = std::clamp(range, Fixed::zero(), MaxSensorRange);
        struct Hit
        {
            Fixed distance;
            std::uint64_t id;
            bool avatar;
        };
        std::vector<Hit> hits;
        m_near.forEachWithin(self.position, range, [&](const SpatialIndex::Entry &entry) {
            if (entry.id != self.id)
                hits.push_back(Hit { SpatialIndex::distanceSquared(entry.position, self.position),
                    entry.id, false });
        });
        m_world.avatars.forEach([&](AvatarId id, const Avatar &avatar) {
            if (SpatialIndex::withinDistance(avatar.position, self.position, range))
                hits.push_back(Hit {
                    SpatialIndex::distanceSquared(avatar.position, self.position), id, true });
        });
        std::sort(hits.begin(), hits.end(), [](const Hit &a, const Hit &b) {
            if (a.distance != b.distance)
                return a.distance < b.distance;
            if (a.avatar != b.avatar)
                return a.avatar;
            return a.id < b.id;
        });
        if (hits.size() > limits.maxSensorResults)
            hits.resize(limits.maxSensorResults);
        std::vector<ScriptValue> list;
        for (const Hit &hit : hits) {
            if (hit.avatar) {
                const Avatar *a = m_world.avatars.find(hit.id);
                list.push_back(makeRecord(
                    { { "id", idValue(hit.id) }, { "kind", ScriptValue(std::string("avatar")) },
                        { "name", ScriptValue(a->name) }, { "position", vecValue(a->position) } }));
            } else {
                const Object *o = m_world.objects.find(hit.id);
                list.push_back(makeRecord(
                    { { "id", idValue(hit.id) }, { "kind", ScriptValue(std::string("object")) },
                        { "name", ScriptValue(o->name) }, { "position", vecValue(o->position) } }));
            }
        }
        return { makeList(std::move(list)) };
    }
    case Fn::KvGet: {
        const std::string key = stringArg(function, args, 0, limits.maxTextBytes);
        auto it = self.storage.find(key);
        if (it == self.storage.end())
            return { ScriptValue() };
        return { storedToScript(it->second) };
    }
    case Fn::KvSet: {
        const std::string key = stringArg(function, args, 0, limits.maxTextBytes);
        const ScriptValue &value = arg(function, args, 1);
        std::optional<StoredValue> stored = toStored(value);
        if (!stored && !isNil(value))
            fail(function, "values are nil, booleans, numbers or strings");
        Object &object = writable();
        if (!stored) {
            object.storage.erase(key);
            return {};
        }
        object.storage[key] = std::move(*stored);
        std::size_t bytes = 0;
        for (const auto &[k, v] : object.storage)
            bytes += k.size() + storedValueBytes(v);
        if (object.storage.size() > limits.maxStorageKeys || bytes > limits.maxStorageBytes) {
            object.storage.erase(key);
            fail(function, "object storage is full");
        }
        return {};
    }
    case Fn::KvKeys: {
        std::vector<ScriptValue> keys;
        for (const auto &[key, value] : self.storage)
            keys.emplace_back(key);
        return { makeList(std::move(keys)) };
    }
    case Fn::ObjectInfo: {
        const auto target = static_cast<ObjectId>(intArg(function, args, 0));
        const Object *o = target == self.id ? &self : m_world.objects.find(target);
        if (!o)
            return { ScriptValue() };
        return { makeRecord({ { "id", idValue(o->id) }, { "name", ScriptValue(o->name) },
            { "owner", idValue(o->owner) }, { "parent", idValue(o->parent) },
            { "position", vecValue(o->position) }, { "text", ScriptValue(o->text) },
            { "scripted", ScriptValue(o->script != nullptr) } }) };
    }
    case Fn::Print: {
        // Debug output: reported with the tick's chat on the debug channel, not part of the
        // state and heard by no script.
        const std::string *line = args.empty() ? nullptr : toStr(args[0]);
        std::string text = line ? *line : std::string();
        if (text.size() > limits.maxTextBytes)
            text.resize(limits.maxTextBytes);
        m_out->chat.push_back(ChatLine { self.id, false, self.name, DebugChannel, ChatRange::Region,
            self.position, std::move(text) });
        return {};
    }
    case Fn::ScriptSource: {
        // Copyleft: any script may read any script's source.
        const auto target = static_cast<ObjectId>(intArg(function, args, 0));
        const Object *o = m_world.objects.find(target);
        if (!o || !o->script)
            return { ScriptValue() };
        return { ScriptValue(o->script->source) };
    }
    }
    fail(function, "no such function");
}

} // namespace metatopia::sim
