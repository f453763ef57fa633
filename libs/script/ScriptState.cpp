// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// Serialisation of a whole VM. The walk starts at the registry (which holds the globals and the
// main functions of all chunks) and the string metatable, visits objects breadth first in the
// order of their slots, and numbers them in that order, so the same state always gives the same
// bytes. Tables are stored slot by slot (array part, every hash node with its key, value and
// collision link, the free pointer): a restored table has exactly the original layout, so
// pairs() visits keys in the same order. Objects keep their identity numbers (the arena header),
// which is what tables hash objects by. Functions are stored as (chunk, position of the
// prototype) and rebuilt by recompiling the kept sources; library objects by their name.

#include "script/ScriptVm.h"

#include "script/ScriptVmImpl.h"

#include "lauxlib.h"
#include "ldebug.h"
#include "ldo.h"
#include "lfunc.h"
#include "lgc.h"
#include "lstate.h"
#include "lstring.h"
#include "ltable.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_set>

#include <xxhash.h>

namespace metatopia {

using namespace script;

namespace {

constexpr char Magic[4] = {'M', 'T', 'L', 'S'};
constexpr std::uint32_t Version = 4;

enum class Kind : std::uint8_t {
    Table = 1,
    String = 2,
    LuaClosure = 3,
    UpValue = 4,
    CClosure = 5,
    Thread = 6,
    Userdata = 7,
};

// Little-endian bytes into a growing buffer; inline and without per-byte capacity checks, since
// a VM state is written a byte or a word at a time and hashing VMs is on the sim's tick path.
class Writer
{
public:
    void u8(std::uint8_t v)
    {
        reserve(1);
        m_bytes[m_size++] = static_cast<char>(v);
    }
    void u32(std::uint32_t v)
    {
        reserve(4);
        store(m_bytes.get() + m_size, v);
        m_size += 4;
    }
    void u64(std::uint64_t v)
    {
        reserve(8);
        store(m_bytes.get() + m_size, v);
        m_size += 8;
    }
    void raw(const char *data, std::size_t n)
    {
        reserve(n);
        if (n > 0)
            std::memcpy(m_bytes.get() + m_size, data, n);
        m_size += n;
    }
    void str(std::string_view s)
    {
        u32(static_cast<std::uint32_t>(s.size()));
        raw(s.data(), s.size());
    }
    std::string_view view() const { return {m_bytes.get(), m_size}; }

private:
    template<typename T>
    static void store(char *p, T v)
    {
        if constexpr (std::endian::native == std::endian::little) {
            std::memcpy(p, &v, sizeof v);
        } else {
            for (std::size_t i = 0; i < sizeof v; ++i)
                p[i] = static_cast<char>(v >> (8 * i));
        }
    }
    void reserve(std::size_t n)
    {
        if (m_size + n > m_capacity) [[unlikely]]
            grow(n);
    }
    void grow(std::size_t n)
    {
        const std::size_t capacity = std::max<std::size_t>({m_capacity * 2, m_size + n, 8192});
        auto bytes = std::make_unique_for_overwrite<char[]>(capacity);
        if (m_size > 0)
            std::memcpy(bytes.get(), m_bytes.get(), m_size);
        m_bytes = std::move(bytes);
        m_capacity = capacity;
    }
    std::unique_ptr<char[]> m_bytes;
    std::size_t m_size = 0;
    std::size_t m_capacity = 0;
};

class Reader
{
public:
    explicit Reader(const QByteArray &b)
        : m_bytes(b)
    {
    }
    bool ok() const { return m_ok; }
    std::uint8_t u8()
    {
        if (m_pos + 1 > static_cast<std::size_t>(m_bytes.size())) {
            m_ok = false;
            return 0;
        }
        return static_cast<std::uint8_t>(m_bytes[static_cast<qsizetype>(m_pos++)]);
    }
    std::uint32_t u32()
    {
        std::uint32_t v = 0;
        for (int i = 0; i < 4; ++i)
            v |= std::uint32_t(u8()) << (8 * i);
        return v;
    }
    std::uint64_t u64()
    {
        std::uint64_t v = 0;
        for (int i = 0; i < 8; ++i)
            v |= std::uint64_t(u8()) << (8 * i);
        return v;
    }
    std::string str()
    {
        const std::uint32_t n = u32();
        if (!m_ok || n > static_cast<std::size_t>(m_bytes.size()) - m_pos) {
            m_ok = false;
            return {};
        }
        std::string s(m_bytes.constData() + m_pos, n);
        m_pos += n;
        return s;
    }

private:
    const QByteArray &m_bytes;
    std::size_t m_pos = 0;
    bool m_ok = true;
};

// Proto -> (chunk, path of child indices) for every function of every chunk.
using ProtoPath = std::pair<std::uint32_t, std::vector<std::uint32_t>>;

void collectProtos(Proto *p, ProtoPath path, std::map<const Proto *, ProtoPath> &out)
{
    out.emplace(p, path);
    for (int i = 0; i < p->sizep; ++i) {
        ProtoPath child = path;
        child.second.push_back(static_cast<std::uint32_t>(i));
        collectProtos(p->p[i], child, out);
    }
}

std::uint64_t idOfObject(const GCObject *o)
{
    if (o->tt == LUA_VTHREAD) {
        std::uint64_t id;
        std::memcpy(&id, reinterpret_cast<const char *>(o) - 8, 8);
        return id;
    }
    std::uint64_t id;
    std::memcpy(&id, reinterpret_cast<const char *>(o) - 8, 8);
    return id;
}

// Object -> its number in the walk: open addressing on the address (only looked up, never
// iterated, so addresses never reach the bytes). A std::map here cost more than the walk.
class ObjectIndex
{
public:
    ObjectIndex() { m_slots.resize(1024); }
    // The number of o, inserting `next` when o is new; `inserted` tells which.
    std::uint32_t find(const GCObject *o, std::uint32_t next, bool &inserted)
    {
        if ((m_count + 1) * 2 > m_slots.size())
            grow();
        const std::size_t mask = m_slots.size() - 1;
        for (std::size_t i = slotOf(o) & mask;; i = (i + 1) & mask) {
            Slot &slot = m_slots[i];
            if (slot.object == o) {
                inserted = false;
                return slot.number;
            }
            if (slot.object == nullptr) {
                slot = Slot{o, next};
                ++m_count;
                inserted = true;
                return next;
            }
        }
    }

private:
    struct Slot
    {
        const GCObject *object = nullptr;
        std::uint32_t number = 0;
    };
    static std::size_t slotOf(const GCObject *o)
    {
        const auto a = reinterpret_cast<std::uintptr_t>(o);
        return static_cast<std::size_t>((a >> 3) * 0x9e3779b97f4a7c15ull >> 20);
    }
    void grow()
    {
        std::vector<Slot> old(m_slots.size() * 2);
        old.swap(m_slots);
        const std::size_t mask = m_slots.size() - 1;
        for (const Slot &slot : old) {
            if (slot.object == nullptr)
                continue;
            std::size_t i = slotOf(slot.object) & mask;
            while (m_slots[i].object != nullptr)
                i = (i + 1) & mask;
            m_slots[i] = slot;
        }
    }
    std::vector<Slot> m_slots;
    std::size_t m_count = 0;
};

class Encoder
{
public:
    Encoder(lua_State *L, const ScriptVm::Impl &impl)
        : m_L(L)
        , m_impl(impl)
    {
        lua_getfield(L, LUA_REGISTRYINDEX, ChunkRegistryKey);
        const int t = lua_gettop(L);
        for (std::size_t i = 0; i < impl.chunks().size(); ++i) {
            lua_rawgeti(L, t, static_cast<lua_Integer>(i) + 1);
            if (lua_type(L, -1) == LUA_TFUNCTION && !lua_iscfunction(L, -1)) {
                const LClosure *cl = clLvalue(s2v(L->top - 1));
                collectProtos(cl->p, {static_cast<std::uint32_t>(i), {}}, m_protos);
            }
            lua_pop(L, 1);
        }
        lua_pop(L, 1);
    }

    // The state's bytes; valid while the encoder lives.
    std::string_view run()
    {
        Writer &head = m_head;
        head.raw(Magic, 4);
        head.u32(Version);
        const LuaRandom &random = m_impl.sandbox.random;
        head.u64(random.hostSeed);
        for (std::uint64_t s : random.s)
            head.u64(s);
        head.u64(m_impl.arena.nextId());
        head.u8(m_impl.suspended ? 1 : 0);
        head.str(m_impl.reason);
        head.u32(static_cast<std::uint32_t>(m_impl.hostFunctions.size()));
        for (const auto &n : m_impl.hostFunctions)
            head.str(n);
        head.u32(static_cast<std::uint32_t>(m_impl.eventHandlers.size()));
        for (const auto &n : m_impl.eventHandlers)
            head.str(n);
        head.u32(static_cast<std::uint32_t>(m_impl.chunks().size()));
        for (const auto &[name, source] : m_impl.chunks()) {
            head.str(name);
            head.str(source);
        }
        global_State *g = G(m_L);
        TValue strmt;
        if (g->mt[LUA_TSTRING]) {
            sethvalue(m_L, &strmt, g->mt[LUA_TSTRING]);
        } else {
            setnilvalue(&strmt);
        }
        value(head, &g->l_registry);
        value(head, &strmt);

        Writer &body = m_body;
        while (m_next < m_order.size())
            object(body, m_order[m_next++]);
        head.u32(static_cast<std::uint32_t>(m_order.size()));
        head.raw(body.view().data(), body.view().size());
        head.u8(m_unsupported ? 1 : 0);
        head.str(m_unsupportedWhat);
        return head.view();
    }

private:
    std::uint32_t ref(GCObject *o)
    {
        bool inserted = false;
        const std::uint32_t number
            = m_index.find(o, static_cast<std::uint32_t>(m_order.size() + 1), inserted);
        if (inserted)
            m_order.push_back(o);
        return number;
    }

    // Open upvalues point into a coroutine's stack; which one is found from the threads' lists
    // (every thread not yet freed is on 'allgc'). Only used for look-ups, so the list's order
    // (collector dependent) never reaches the bytes. Built on first need: most states have none.
    void findOpenUpvalueOwners()
    {
        if (m_openOwnersKnown)
            return;
        m_openOwnersKnown = true;
        global_State *g = G(m_L);
        for (GCObject *o = g->allgc; o != nullptr; o = o->next)
            if (o->tt == LUA_VTHREAD)
                for (UpVal *uv = gco2th(o)->openupval; uv != nullptr; uv = uv->u.open.next)
                    m_openOwner.emplace(uv, gco2th(o));
        for (UpVal *uv = g->mainthread->openupval; uv != nullptr; uv = uv->u.open.next)
            m_openOwner.emplace(uv, g->mainthread);
    }

    void unsupported(const char *what)
    {
        if (!m_unsupported) {
            m_unsupported = true;
            m_unsupportedWhat = what;
        }
    }

    void value(Writer &w, const TValue *v)
    {
        const std::uint8_t tt = rawtt(v);
        w.u8(tt);
        switch (ttypetag(v)) {
        case LUA_VNUMINT:
            w.u64(static_cast<std::uint64_t>(ivalue(v)));
            break;
        case LUA_VNUMFLT:
            w.u64(static_cast<std::uint64_t>(fltvalue(v).raw));
            break;
        case LUA_VLCF: {
            const std::uint32_t builtin
                = m_impl.builtins.find(reinterpret_cast<const void *>(fvalue(v)));
            if (builtin == 0)
                unsupported("a C function outside the libraries");
            w.u32(builtin);
            break;
        }
        case LUA_VLIGHTUSERDATA:
            unsupported("a light userdata");
            break;
        default:
            if (iscollectable(v))
                w.u32(ref(gcvalue(v)));
            break;
        }
    }

    void object(Writer &w, GCObject *o)
    {
        const std::uint32_t builtin = m_impl.builtins.find(o);
        switch (o->tt) {
        case LUA_VTABLE: {
            Table *t = gco2t(o);
            w.u8(static_cast<std::uint8_t>(Kind::Table));
            w.u64(idOfObject(o));
            w.u32(builtin);
            // Only the array-size bit: the rest caches absent metamethods, filled by lookups
            // (the collector's too), so it depends on collector timing, not on behaviour.
            w.u8(t->flags & BITRAS);
            w.u8(t->lsizenode);
            w.u32(t->alimit);
            const unsigned int asize = luaH_realasize(t);
            w.u32(asize);
            const bool dummy = isdummy(t);
            w.u8(dummy ? 1 : 0);
            w.u32(dummy ? 0 : static_cast<std::uint32_t>(t->lastfree - t->node));
            TValue mt;
            if (t->metatable) {
                sethvalue(m_L, &mt, t->metatable);
            } else {
                setnilvalue(&mt);
            }
            value(w, &mt);
            for (unsigned int i = 0; i < asize; ++i)
                value(w, &t->array[i]);
            if (!dummy) {
                const int size = sizenode(t);
                for (int i = 0; i < size; ++i) {
                    Node *n = gnode(t, i);
                    // An empty slot's collectable key is dead or not depending on whether
                    // the collector has passed yet, which is not behaviour: store it as dead.
                    if (keytt(n) == LUA_TDEADKEY
                        || (isempty(gval(n)) && (keytt(n) & BIT_ISCOLLECTABLE))) {
                        w.u8(LUA_TDEADKEY);
                    } else {
                        TValue k;
                        getnodekey(m_L, &k, n);
                        value(w, &k);
                    }
                    value(w, gval(n));
                    w.u32(static_cast<std::uint32_t>(gnext(n)));
                }
            }
            break;
        }
        case LUA_VSHRSTR:
        case LUA_VLNGSTR: {
            TString *ts = gco2ts(o);
            w.u8(static_cast<std::uint8_t>(Kind::String));
            w.str(std::string_view(getstr(ts), tsslen(ts)));
            break;
        }
        case LUA_VLCL: {
            LClosure *cl = gco2lcl(o);
            w.u8(static_cast<std::uint8_t>(Kind::LuaClosure));
            w.u64(idOfObject(o));
            const auto it = m_protos.find(cl->p);
            if (it == m_protos.end()) {
                unsupported("a function of an unknown chunk");
                w.u32(0xffffffffu);
                w.u32(0);
            } else {
                w.u32(it->second.first);
                w.u32(static_cast<std::uint32_t>(it->second.second.size()));
                for (std::uint32_t i : it->second.second)
                    w.u32(i);
            }
            w.u8(cl->nupvalues);
            for (int i = 0; i < cl->nupvalues; ++i)
                w.u32(cl->upvals[i] ? ref(obj2gco(cl->upvals[i])) : 0);
            break;
        }
        case LUA_VUPVAL: {
            UpVal *uv = gco2upv(o);
            w.u8(static_cast<std::uint8_t>(Kind::UpValue));
            w.u64(idOfObject(o));
            const bool open = uv->v != &uv->u.value;
            w.u8(open ? 1 : 0);
            if (!open) {
                value(w, uv->v);
                break;
            }
            // The value lives in its coroutine's stack: the thread's record places it.
            findOpenUpvalueOwners();
            const auto owner = m_openOwner.find(uv);
            if (owner == m_openOwner.end() || owner->second == G(m_L)->mainthread) {
                unsupported("an open upvalue outside a suspended coroutine");
                w.u32(0);
            } else {
                w.u32(ref(obj2gco(owner->second)));
            }
            break;
        }
        case LUA_VCCL: {
            CClosure *cl = gco2ccl(o);
            w.u8(static_cast<std::uint8_t>(Kind::CClosure));
            w.u64(idOfObject(o));
            w.u32(builtin);
            if (builtin == 0) {
                unsupported("a C closure made at run time (an iterator or coroutine.wrap)");
                w.u8(cl->nupvalues);
                for (int i = 0; i < cl->nupvalues; ++i)
                    value(w, &cl->upvalue[i]);
            }
            break;
        }
        case LUA_VTHREAD: {
            lua_State *th = gco2th(o);
            w.u8(static_cast<std::uint8_t>(Kind::Thread));
            w.u64(idOfObject(o));
            w.u32(builtin);
            if (builtin == 0)
                thread(w, th);
            break;
        }
        default:
            w.u8(static_cast<std::uint8_t>(Kind::Userdata));
            unsupported("a userdata");
            break;
        }
    }

    // A coroutine: not started, finished, dead by an error, or suspended in coroutine.yield
    // called from Lua. The stack up to its top, every frame above the base one (function slot,
    // top, status bits, wanted results; for Lua frames the instruction index and extra
    // arguments; the top frame is the C frame of the yield as lua_yield leaves it, whose
    // yielded values resume's caller already moved away) and its open upvalues by level.
    void thread(Writer &w, lua_State *th)
    {
        w.u8(th->status);
        w.u32(th->nCcalls);
        const auto used = static_cast<std::uint32_t>(th->top - th->stack);
        w.u32(used);
        for (StkId p = th->stack; p < th->top; ++p)
            value(w, s2v(p));
        if (th->tbclist != th->stack)
            unsupported("a coroutine suspended with to-be-closed variables");
        if (th->errfunc != 0)
            unsupported("a coroutine suspended inside xpcall");
        std::vector<CallInfo *> frames;
        if (th->status == LUA_YIELD) {
            for (CallInfo *ci = th->ci; ci != nullptr && ci != &th->base_ci; ci = ci->previous)
                frames.push_back(ci);
            std::reverse(frames.begin(), frames.end());
            if (frames.empty() || isLua(frames.back()) || frames.back()->u.c.k != nullptr)
                unsupported("a coroutine that yielded from a hook or across a C function");
            for (std::size_t i = 0; i + 1 < frames.size(); ++i)
                if (!isLua(frames[i]) || (frames[i]->callstatus & CIST_HOOKED))
                    unsupported("a coroutine that yielded across pcall or a C function");
        } else if (th->status == LUA_OK && th->ci != &th->base_ci) {
            unsupported("a running coroutine");
        }
        // A coroutine dead by an error keeps its frames, but nothing can run them again
        // (coroutine.close only reads the stack): it is stored without them.
        w.u32(static_cast<std::uint32_t>(frames.size()));
        for (CallInfo *ci : frames) {
            w.u32(static_cast<std::uint32_t>(ci->func - th->stack));
            w.u32(static_cast<std::uint32_t>(ci->top - th->stack));
            w.u32(ci->callstatus);
            w.u32(static_cast<std::uint32_t>(static_cast<std::int32_t>(ci->nresults)));
            if (isLua(ci)) {
                if (!ttisLclosure(s2v(ci->func))) {
                    unsupported("a coroutine frame without a Lua function");
                    w.u32(0);
                    w.u32(0);
                    continue;
                }
                w.u32(static_cast<std::uint32_t>(ci->u.l.savedpc - ci_func(ci)->p->code));
                w.u32(static_cast<std::uint32_t>(ci->u.l.nextraargs));
            } else {
                w.u32(static_cast<std::uint32_t>(ci->u2.nyield));
            }
        }
        std::uint32_t open = 0;
        for (UpVal *uv = th->openupval; uv != nullptr; uv = uv->u.open.next)
            ++open;
        w.u32(open);
        for (UpVal *uv = th->openupval; uv != nullptr; uv = uv->u.open.next) {
            const auto level = static_cast<std::uint32_t>(uplevel(uv) - th->stack);
            if (level >= used || uv->tbc)
                unsupported("a coroutine with an open upvalue above its top");
            w.u32(ref(obj2gco(uv)));
            w.u32(level);
        }
    }

    lua_State *m_L;
    const ScriptVm::Impl &m_impl;
    std::map<const UpVal *, lua_State *> m_openOwner;
    std::map<const Proto *, ProtoPath> m_protos;
    bool m_openOwnersKnown = false;
    ObjectIndex m_index;
    Writer m_head;
    Writer m_body;
    std::vector<GCObject *> m_order;
    std::size_t m_next = 0;
    bool m_unsupported = false;
    std::string m_unsupportedWhat;
};

// A decoded value: the raw type tag plus payload (object index or builtin name).
struct Encoded
{
    std::uint8_t tt = LUA_VNIL;
    std::uint64_t bits = 0;
    std::uint32_t ref = 0;
    std::uint32_t builtin = 0;
};

Encoded readValue(Reader &r)
{
    Encoded e;
    e.tt = r.u8();
    switch (e.tt & 0x3f) {
    case LUA_VNUMINT:
    case LUA_VNUMFLT:
        e.bits = r.u64();
        break;
    case LUA_VLCF:
        e.builtin = r.u32();
        break;
    case LUA_VLIGHTUSERDATA:
        break;
    default:
        if (e.tt & BIT_ISCOLLECTABLE)
            e.ref = r.u32();
        break;
    }
    return e;
}

struct Record
{
    Kind kind{};
    std::uint64_t id = 0;
    std::uint32_t builtin = 0; // library object number, 0 for none
    std::string name; // string contents
    // Tables
    std::uint8_t flags = 0, lsizenode = 0, dummy = 1;
    std::uint32_t alimit = 0, asize = 0, lastfree = 0;
    Encoded metatable;
    std::vector<Encoded> array;
    struct NodeRec
    {
        Encoded key, value;
        std::int32_t next = 0;
    };
    std::vector<NodeRec> nodes;
    // Closures and upvalues
    std::uint32_t chunk = 0;
    std::vector<std::uint32_t> path;
    std::vector<std::uint32_t> upvals;
    Encoded upvalue;
    bool open = false;
    std::uint32_t thread = 0; // an open upvalue's coroutine
    // Coroutines
    std::uint8_t status = 0;
    std::uint32_t nCcalls = 0;
    std::vector<Encoded> stack;
    struct FrameRec
    {
        std::uint32_t func = 0, top = 0, callstatus = 0, pc = 0, extra = 0;
        std::int32_t nresults = 0;
    };
    std::vector<FrameRec> frames;
    std::vector<std::pair<std::uint32_t, std::uint32_t>> openUpvalues; // (record, level)
    GCObject *object = nullptr;
};

// Rebuilds a coroutine in the shape Lua leaves one (see lua_resume/lua_yield in ldo.c and
// auxresume in lcorolib.c): a suspended one has its Lua frames and, on top, the C frame of
// coroutine.yield whose func slot is the stack's last value; resuming pushes the values
// given to resume above it and finishes that frame like any C call.
template<typename Decode>
std::optional<std::string> restoreThread(lua_State *L, Record &rec, std::vector<Record> &records,
                                         std::vector<bool> &placed, Decode &decode, const bool &bad)
{
    lua_State *th = gco2th(rec.object);
    const auto used = static_cast<std::uint32_t>(rec.stack.size());
    if (rec.status != LUA_OK && rec.status != LUA_YIELD && rec.status != LUA_ERRRUN
        && rec.status != LUA_ERRMEM && rec.status != LUA_ERRERR)
        return "corrupt script state (coroutine status)";
    if ((rec.status == LUA_YIELD) == rec.frames.empty())
        return "corrupt script state (coroutine frames)";
    std::uint32_t needed = used;
    for (const auto &f : rec.frames)
        needed = std::max(needed, f.top);
    // A Lua frame reaches at most its function's register count above the stored values.
    if (needed > used + 256 || needed > LUAI_MAXSTACK - LUA_MINSTACK)
        return "corrupt script state (coroutine stack size)";
    const int size = std::max<int>(BASIC_STACK_SIZE, static_cast<int>(needed) + LUA_MINSTACK);
    if (stacksize(th) < size && !luaD_reallocstack(th, size, 0))
        return "not enough memory for a coroutine stack";
    for (std::uint32_t i = 0; i < used; ++i)
        decode(rec.stack[i], s2v(th->stack + i));
    if (bad) // a mistyped reference must not be followed below
        return "corrupt script state (references)";
    th->top = th->stack + used;
    th->status = rec.status;
    th->nCcalls = rec.nCcalls;
    CallInfo *previous = &th->base_ci;
    std::uint32_t floor = 1; // frames nest: each starts above the previous one's function
    for (std::size_t i = 0; i < rec.frames.size(); ++i) {
        const auto &f = rec.frames[i];
        const bool last = i + 1 == rec.frames.size();
        const bool isC = (f.callstatus & CIST_C) != 0;
        if (isC != last || f.func < floor || f.func >= used || f.top < f.func || f.top > needed
            || f.callstatus > 0xffff || f.nresults < -1 || f.nresults > 250)
            return "corrupt script state (coroutine frame)";
        th->ci = previous;
        CallInfo *ci = previous->next != nullptr ? previous->next : luaE_extendCI(th);
        ci->func = th->stack + f.func;
        ci->top = th->stack + f.top;
        ci->callstatus = static_cast<unsigned short>(f.callstatus);
        ci->nresults = static_cast<short>(f.nresults);
        if (isC) {
            if (!ttislcf(s2v(ci->func)) && !ttisCclosure(s2v(ci->func)))
                return "corrupt script state (coroutine yield frame)";
            if (f.func + 1 != used || f.extra > 250)
                return "corrupt script state (coroutine yield frame)";
            ci->u.c.k = nullptr;
            ci->u.c.old_errfunc = 0;
            ci->u.c.ctx = 0;
            ci->u2.nyield = static_cast<int>(f.extra);
        } else {
            if (!ttisLclosure(s2v(ci->func)))
                return "corrupt script state (coroutine frame function)";
            const Proto *p = clLvalue(s2v(ci->func))->p;
            if (f.pc == 0 || f.pc > static_cast<std::uint32_t>(p->sizecode)
                || f.top != f.func + 1 + static_cast<std::uint32_t>(p->maxstacksize)
                || f.extra > used)
                return "corrupt script state (coroutine frame position)";
            ci->u.l.savedpc = p->code + f.pc;
            ci->u.l.trap = 0;
            ci->u.l.nextraargs = static_cast<int>(f.extra);
        }
        floor = f.func + 1;
        previous = ci;
    }
    th->ci = previous;
    // Open upvalues, highest level first as luaF_findupval keeps them.
    UpVal **link = &th->openupval;
    std::uint32_t above = used;
    for (const auto &[ref, level] : rec.openUpvalues) {
        if (ref == 0 || ref > records.size() || records[ref - 1].kind != Kind::UpValue
            || !records[ref - 1].open || placed[ref - 1] || level >= above
            || records[ref - 1].object == nullptr
            || records[ref - 1].thread == 0 || records[ref - 1].thread > records.size()
            || records[records[ref - 1].thread - 1].object != rec.object)
            return "corrupt script state (coroutine upvalue)";
        placed[ref - 1] = true;
        above = level;
        UpVal *uv = gco2upv(records[ref - 1].object);
        uv->v = s2v(th->stack + level);
        uv->tbc = 0;
        uv->u.open.previous = link;
        *link = uv;
        link = &uv->u.open.next;
    }
    *link = nullptr;
    if (th->openupval != nullptr && th->twups == th) {
        th->twups = G(L)->twups;
        G(L)->twups = th;
    }
    return std::nullopt;
}

} // namespace

std::vector<TValue> ScriptVm::Impl::builtinObjects()
{
    std::vector<TValue> objects;
    std::unordered_set<const void *> seen;
    LuaRunScope scope(context, L);
    // Depth first in slot order: library tables have only string and integer keys, whose
    // placement does not depend on addresses, so every fresh VM is walked in the same order.
    std::vector<TValue> stack;
    stack.push_back(G(L)->l_registry);
    if (Table *mt = G(L)->mt[LUA_TSTRING]) {
        TValue v;
        sethvalue(L, &v, mt);
        stack.insert(stack.begin(), v);
    }
    while (!stack.empty()) {
        const TValue v = stack.back();
        stack.pop_back();
        const void *key = builtinKey(v);
        if (key == nullptr || !seen.insert(key).second)
            continue;
        objects.push_back(v);
        if (!ttistable(&v))
            continue;
        Table *t = hvalue(&v);
        const std::size_t mark = stack.size();
        const unsigned int asize = luaH_realasize(t);
        for (unsigned int i = 0; i < asize; ++i)
            if (!isempty(&t->array[i]))
                stack.push_back(t->array[i]);
        if (!isdummy(t))
            for (int i = 0; i < sizenode(t); ++i) {
                Node *n = gnode(t, i);
                if (!isempty(gval(n)) && keytt(n) != LUA_TDEADKEY)
                    stack.push_back(*gval(n));
            }
        std::reverse(stack.begin() + static_cast<std::ptrdiff_t>(mark), stack.end());
    }
    return objects;
}

const void *ScriptVm::Impl::builtinKey(const TValue &v)
{
    if (ttislcf(&v))
        return reinterpret_cast<const void *>(fvalue(&v));
    if (ttistable(&v) || ttisCclosure(&v) || ttisthread(&v))
        return gcvalue(&v);
    return nullptr;
}

void ScriptVm::Impl::buildBuiltins()
{
    // Only the index is kept: the objects themselves are wanted by deserialize() alone, which
    // walks again (a few KB per VM saved, in a sim of thousands of VMs).
    const std::vector<TValue> objects = builtinObjects();
    builtins.index.clear();
    builtins.index.reserve(objects.size());
    for (std::size_t i = 0; i < objects.size(); ++i)
        builtins.index.emplace_back(builtinKey(objects[i]), static_cast<std::uint32_t>(i + 1));
    std::sort(builtins.index.begin(), builtins.index.end(),
        [](const auto &a, const auto &b) { return std::less<const void *>()(a.first, b.first); });
}

QByteArray ScriptVm::serialize() const
{
    if (d->L == nullptr)
        return {};
    LuaRunScope scope(d->context, d->L);
    Encoder encoder(d->L, *d);
    const std::string_view bytes = encoder.run();
    return QByteArray(bytes.data(), static_cast<qsizetype>(bytes.size()));
}

std::uint64_t ScriptVm::stateHash() const
{
    if (d->L == nullptr)
        return XXH64(nullptr, 0, 0);
    LuaRunScope scope(d->context, d->L);
    Encoder encoder(d->L, *d);
    const std::string_view bytes = encoder.run();
    return XXH64(bytes.data(), bytes.size(), 0);
}

std::unique_ptr<ScriptVm> ScriptVm::deserialize(const QByteArray &bytes, ScriptLimits limits,
                                                std::string *error)
{
    const auto fail = [&](std::string message) -> std::unique_ptr<ScriptVm> {
        if (error)
            *error = std::move(message);
        return nullptr;
    };
    if (bytes.size() < 8 || std::memcmp(bytes.constData(), Magic, 4) != 0)
        return fail("not a Metatopia script state");
    Reader r(bytes);
    for (int i = 0; i < 4; ++i)
        r.u8();
    if (r.u32() != Version)
        return fail("unsupported script state version");
    const std::uint64_t hostSeed = r.u64();
    std::array<std::uint64_t, 4> randomState{};
    for (auto &s : randomState)
        s = r.u64();
    const std::uint64_t nextId = r.u64();
    const bool suspended = r.u8() != 0;
    std::string reason = r.str();
    const std::uint32_t hostCount = r.u32();
    if (!r.ok() || hostCount > static_cast<std::uint32_t>(bytes.size()))
        return fail("corrupt script state (host functions)");
    std::vector<std::string> hostFunctions;
    for (std::uint32_t i = 0; i < hostCount && r.ok(); ++i)
        hostFunctions.push_back(r.str());
    const std::uint32_t handlerCount = r.u32();
    if (!r.ok() || handlerCount > static_cast<std::uint32_t>(bytes.size()))
        return fail("corrupt script state (event handlers)");
    std::vector<std::string> eventHandlers;
    for (std::uint32_t i = 0; i < handlerCount && r.ok(); ++i)
        eventHandlers.push_back(r.str());
    const std::uint32_t chunkCount = r.u32();
    if (!r.ok() || chunkCount > static_cast<std::uint32_t>(bytes.size()))
        return fail("corrupt script state (chunks)");
    std::vector<std::pair<std::string, std::string>> chunks;
    for (std::uint32_t i = 0; i < chunkCount && r.ok(); ++i) {
        std::string name = r.str();
        std::string source = r.str();
        chunks.emplace_back(std::move(name), std::move(source));
    }
    const Encoded registryValue = readValue(r);
    const Encoded stringMeta = readValue(r);
    const std::uint32_t count = r.u32();
    if (!r.ok() || count > static_cast<std::uint32_t>(bytes.size()))
        return fail("corrupt script state (objects)");

    std::vector<Record> records(count);
    for (std::uint32_t i = 0; i < count && r.ok(); ++i) {
        Record &rec = records[i];
        rec.kind = static_cast<Kind>(r.u8());
        switch (rec.kind) {
        case Kind::Table: {
            rec.id = r.u64();
            rec.builtin = r.u32();
            rec.flags = r.u8();
            rec.lsizenode = r.u8();
            rec.alimit = r.u32();
            rec.asize = r.u32();
            rec.dummy = r.u8();
            rec.lastfree = r.u32();
            rec.metatable = readValue(r);
            if (rec.asize > static_cast<std::uint32_t>(bytes.size()) || rec.lsizenode > 30)
                return fail("corrupt script state (table sizes)");
            for (std::uint32_t k = 0; k < rec.asize && r.ok(); ++k)
                rec.array.push_back(readValue(r));
            if (!rec.dummy) {
                const std::uint32_t n = 1u << rec.lsizenode;
                if (n > static_cast<std::uint32_t>(bytes.size()))
                    return fail("corrupt script state (table sizes)");
                for (std::uint32_t k = 0; k < n && r.ok(); ++k) {
                    Record::NodeRec node;
                    node.key = readValue(r);
                    node.value = readValue(r);
                    node.next = static_cast<std::int32_t>(r.u32());
                    rec.nodes.push_back(std::move(node));
                }
            }
            break;
        }
        case Kind::String:
            rec.name = r.str();
            break;
        case Kind::LuaClosure: {
            rec.id = r.u64();
            rec.chunk = r.u32();
            const std::uint32_t depth = r.u32();
            if (depth > 1000)
                return fail("corrupt script state (function path)");
            for (std::uint32_t k = 0; k < depth; ++k)
                rec.path.push_back(r.u32());
            const std::uint8_t n = r.u8();
            for (std::uint8_t k = 0; k < n; ++k)
                rec.upvals.push_back(r.u32());
            break;
        }
        case Kind::UpValue:
            rec.id = r.u64();
            rec.open = r.u8() != 0;
            if (rec.open)
                rec.thread = r.u32();
            else
                rec.upvalue = readValue(r);
            break;
        case Kind::CClosure:
            rec.id = r.u64();
            rec.builtin = r.u32();
            if (rec.builtin == 0)
                return fail("cannot restore a C closure made at run time (an iterator or a coroutine.wrap "
                            "function; not supported yet)");
            break;
        case Kind::Thread: {
            rec.id = r.u64();
            rec.builtin = r.u32();
            if (rec.builtin != 0)
                break;
            rec.status = r.u8();
            rec.nCcalls = r.u32();
            const std::uint32_t used = r.u32();
            if (!r.ok() || used == 0 || used > static_cast<std::uint32_t>(bytes.size())
                || used > LUAI_MAXSTACK)
                return fail("corrupt script state (coroutine stack)");
            for (std::uint32_t k = 0; k < used && r.ok(); ++k)
                rec.stack.push_back(readValue(r));
            const std::uint32_t nframes = r.u32();
            if (!r.ok() || nframes > used)
                return fail("corrupt script state (coroutine frames)");
            for (std::uint32_t k = 0; k < nframes && r.ok(); ++k) {
                Record::FrameRec f;
                f.func = r.u32();
                f.top = r.u32();
                f.callstatus = r.u32();
                f.nresults = static_cast<std::int32_t>(r.u32());
                if (f.callstatus & CIST_C) {
                    f.extra = r.u32();
                } else {
                    f.pc = r.u32();
                    f.extra = r.u32();
                }
                rec.frames.push_back(f);
            }
            const std::uint32_t nopen = r.u32();
            if (!r.ok() || nopen > used)
                return fail("corrupt script state (coroutine upvalues)");
            for (std::uint32_t k = 0; k < nopen && r.ok(); ++k) {
                const std::uint32_t uv = r.u32();
                const std::uint32_t level = r.u32();
                rec.openUpvalues.emplace_back(uv, level);
            }
            break;
        }
        default:
            return fail("cannot restore this object (userdata or unknown kind)");
        }
    }
    const bool unsupported = r.u8() != 0;
    const std::string unsupportedWhat = r.str();
    if (!r.ok())
        return fail("corrupt script state (truncated)");
    if (unsupported)
        return fail("cannot restore " + unsupportedWhat + " (not supported yet)");

    auto vm = std::make_unique<ScriptVm>(limits, hostSeed);
    Impl &d = *vm->d;
    if (d.L == nullptr)
        return fail("could not create the Lua state");
    vm->setHostFunctions(hostFunctions);
    vm->setEventHandlers(eventHandlers);
    lua_State *L = d.L;
    LuaRunScope scope(d.context, L);
    lua_gc(L, LUA_GCCOLLECT);
    lua_gc(L, LUA_GCSTOP);
    // Building the state must not stop at the script's memory limit halfway.
    d.arena.setLimit(std::max<std::size_t>(limits.memoryBytes * 2, limits.memoryBytes + (8u << 20)));

    // Recompile every chunk (not run): their prototypes are the functions' code.
    std::vector<Proto *> mains;
    if (!lua_checkstack(L, static_cast<int>(chunks.size()) + 16))
        return fail("too many chunks");
    for (const auto &[name, source] : chunks) {
        int status;
        {
            LuaCompileScope compiling;
            status = luaL_loadbufferx(L, source.data(), source.size(), name.c_str(), "t");
        }
        if (status != LUA_OK)
            return fail("a kept chunk no longer compiles: " + std::string(lua_tostring(L, -1)));
        mains.push_back(clLvalue(s2v(L->top - 1))->p);
        d.sandbox.chunks.emplace_back(name, source);
    }

    const std::vector<TValue> builtins = d.builtinObjects();
    const auto builtinOf = [&](std::uint32_t index) -> const TValue * {
        return index == 0 || index > builtins.size() ? nullptr : &builtins[index - 1];
    };
    // Phase 1: create every object (the collector is stopped, so nothing is lost meanwhile).
    for (Record &rec : records) {
        switch (rec.kind) {
        case Kind::Table:
            if (rec.builtin != 0) {
                const TValue *b = builtinOf(rec.builtin);
                if (b == nullptr || !ttistable(b))
                    return fail("unknown library table");
                rec.object = gcvalue(b);
            } else {
                rec.object = obj2gco(luaH_new(L));
            }
            break;
        case Kind::String:
            rec.object = obj2gco(luaS_newlstr(L, rec.name.data(), rec.name.size()));
            break;
        case Kind::LuaClosure: {
            if (rec.chunk >= mains.size())
                return fail("corrupt script state (chunk index)");
            Proto *p = mains[rec.chunk];
            for (std::uint32_t i : rec.path) {
                if (i >= static_cast<std::uint32_t>(p->sizep))
                    return fail("corrupt script state (function path)");
                p = p->p[i];
            }
            if (rec.upvals.size() != static_cast<std::size_t>(p->sizeupvalues))
                return fail("corrupt script state (upvalue count)");
            LClosure *cl = luaF_newLclosure(L, static_cast<int>(rec.upvals.size()));
            cl->p = p;
            rec.object = obj2gco(cl);
            break;
        }
        case Kind::UpValue: {
            GCObject *o = luaC_newobj(L, LUA_VUPVAL, sizeof(UpVal));
            UpVal *uv = gco2upv(o);
            uv->v = &uv->u.value;
            uv->tbc = 0;
            setnilvalue(uv->v);
            rec.object = o;
            break;
        }
        case Kind::Thread:
            if (rec.builtin == 0) {
                lua_State *th = lua_newthread(L);
                lua_pop(L, 1);
                rec.object = obj2gco(th);
                if (d.arena.contains(th))
                    LuaArena::idOf(th) = rec.id; // its identity sits in the extra space
                break;
            }
            [[fallthrough]];
        case Kind::CClosure: {
            const TValue *b = builtinOf(rec.builtin);
            if (b == nullptr || !iscollectable(b))
                return fail("unknown library object");
            rec.object = gcvalue(b);
            break;
        }
        default:
            break;
        }
        if (rec.kind != Kind::String && rec.kind != Kind::Thread && rec.object != nullptr
            && d.arena.contains(rec.object))
            LuaArena::idOf(rec.object) = rec.id;
    }

    bool bad = false;
    const auto decode = [&](const Encoded &e, TValue *out) {
        out->tt_ = e.tt;
        // Only the tags a real state holds: a flipped collectable bit on a number would turn
        // its bits into a pointer.
        switch (e.tt) {
        case LUA_VNIL:
        case LUA_VEMPTY:
        case LUA_VABSTKEY:
        case LUA_VFALSE:
        case LUA_VTRUE:
        case LUA_VNUMINT:
        case LUA_VNUMFLT:
        case LUA_VLCF:
            break;
        case ctb(LUA_VSHRSTR):
        case ctb(LUA_VLNGSTR):
        case ctb(LUA_VTABLE):
        case ctb(LUA_VLCL):
        case ctb(LUA_VCCL):
        case ctb(LUA_VTHREAD):
            break;
        default:
            bad = true;
            setnilvalue(out);
            return;
        }
        switch (e.tt & 0x3f) {
        case LUA_VNUMINT:
            out->value_.i = static_cast<lua_Integer>(e.bits);
            break;
        case LUA_VNUMFLT:
            out->value_.n = LuaNumber::fromRaw(static_cast<std::int64_t>(e.bits));
            break;
        case LUA_VLCF: {
            const TValue *b = builtinOf(e.builtin);
            if (b == nullptr || !ttislcf(b)) {
                bad = true;
                setnilvalue(out);
            } else {
                *out = *b;
            }
            break;
        }
        default:
            if (e.tt & BIT_ISCOLLECTABLE) {
                if (e.ref == 0 || e.ref > records.size() || records[e.ref - 1].object == nullptr) {
                    bad = true;
                    setnilvalue(out);
                } else {
                    GCObject *o = records[e.ref - 1].object;
                    out->value_.gc = o;
                    // Short or long is the restored string's own business; any other
                    // mismatch is damage (a "closure" that is a string must never be run).
                    if (records[e.ref - 1].kind == Kind::String
                        && (e.tt & 0x0f) == LUA_TSTRING)
                        out->tt_ = ctb(o->tt);
                    else if (o->tt != (e.tt & 0x3f) || e.tt != ctb(o->tt))
                        bad = true;
                }
            } else {
                out->value_.i = 0;
            }
            break;
        }
    };

    // Phase 2: contents.
    for (Record &rec : records) {
        if (rec.kind == Kind::Table) {
            Table *t = gco2t(rec.object);
            // Empty the (library) table first so resizing has nothing to move.
            for (unsigned int i = 0; i < luaH_realasize(t); ++i)
                setempty(&t->array[i]);
            if (!isdummy(t))
                for (int i = 0; i < sizenode(t); ++i)
                    setempty(gval(gnode(t, i)));
            luaH_resize(L, t, rec.asize, rec.dummy ? 0 : (1u << rec.lsizenode));
            if (luaH_realasize(t) != rec.asize
                || (!rec.dummy && (isdummy(t) || t->lsizenode != rec.lsizenode)))
                return fail("corrupt script state (table layout)");
            t->alimit = rec.alimit;
            t->flags = rec.flags;
            if (luaH_realasize(t) != rec.asize)
                return fail("corrupt script state (array size)");
            for (std::uint32_t i = 0; i < rec.asize; ++i)
                decode(rec.array[i], &t->array[i]);
            if (!rec.dummy) {
                if (rec.lastfree > rec.nodes.size())
                    return fail("corrupt script state (free pointer)");
                // Collision links must stay inside the node array and form simple chains
                // (a loop would make every lookup spin forever).
                const auto size = static_cast<std::int64_t>(rec.nodes.size());
                std::vector<std::uint8_t> incoming(rec.nodes.size(), 0);
                for (std::int64_t i = 0; i < size; ++i) {
                    const std::int64_t next = rec.nodes[static_cast<std::size_t>(i)].next;
                    if (next == 0)
                        continue;
                    if (i + next < 0 || i + next >= size
                        || incoming[static_cast<std::size_t>(i + next)]++ != 0)
                        return fail("corrupt script state (table links)");
                }
                std::int64_t reached = 0;
                for (std::int64_t i = 0; i < size; ++i) {
                    if (incoming[static_cast<std::size_t>(i)] != 0)
                        continue;
                    for (std::int64_t j = i;; j += rec.nodes[static_cast<std::size_t>(j)].next) {
                        ++reached;
                        if (rec.nodes[static_cast<std::size_t>(j)].next == 0)
                            break;
                    }
                }
                if (reached != size)
                    return fail("corrupt script state (table links)");
                for (std::size_t i = 0; i < rec.nodes.size(); ++i) {
                    Node *n = gnode(t, i);
                    const auto &nr = rec.nodes[i];
                    if (nr.key.tt == LUA_TDEADKEY) {
                        keytt(n) = LUA_TDEADKEY;
                        keyval(n).gc = nullptr;
                    } else {
                        TValue k;
                        decode(nr.key, &k);
                        setnodekey(L, n, &k);
                    }
                    decode(nr.value, gval(n));
                    gnext(n) = nr.next;
                }
                t->lastfree = gnode(t, rec.lastfree);
            }
            TValue mt;
            decode(rec.metatable, &mt);
            t->metatable = ttistable(&mt) ? hvalue(&mt) : nullptr;
        } else if (rec.kind == Kind::LuaClosure) {
            LClosure *cl = gco2lcl(rec.object);
            for (std::size_t i = 0; i < rec.upvals.size(); ++i) {
                const std::uint32_t ref = rec.upvals[i];
                if (ref == 0) {
                    cl->upvals[i] = nullptr;
                } else if (ref > records.size() || records[ref - 1].kind != Kind::UpValue) {
                    return fail("corrupt script state (upvalue reference)");
                } else {
                    cl->upvals[i] = gco2upv(records[ref - 1].object);
                }
            }
        } else if (rec.kind == Kind::UpValue) {
            if (!rec.open)
                decode(rec.upvalue, gco2upv(rec.object)->v);
        }
    }
    // Coroutines after the closures (their frames need the prototypes), and their open
    // upvalues with them.
    if (bad)
        return fail("corrupt script state (references)");
    // Every live key must be found from its main position, as Lua's own lookup finds it:
    // inserting next to a misplaced key would walk its collision chain forever.
    for (const Record &rec : records) {
        if (rec.kind != Kind::Table || rec.dummy)
            continue;
        Table *t = gco2t(rec.object);
        for (int i = 0; i < sizenode(t); ++i) {
            Node *n = gnode(t, i);
            if (isempty(gval(n)) || keytt(n) == LUA_TDEADKEY)
                continue;
            TValue k;
            getnodekey(L, &k, n);
            if (ttisnil(&k) || luaH_get(t, &k) != gval(n))
                return fail("corrupt script state (misplaced table key)");
        }
    }
    std::vector<bool> placed(records.size(), false);
    for (Record &rec : records) {
        if (rec.kind != Kind::Thread || rec.builtin != 0)
            continue;
        if (auto problem = restoreThread(L, rec, records, placed, decode, bad))
            return fail(*problem);
    }
    for (std::size_t i = 0; i < records.size(); ++i)
        if (records[i].kind == Kind::UpValue && records[i].open && !placed[i])
            return fail("corrupt script state (open upvalue without its coroutine)");
    if (bad)
        return fail("corrupt script state (references)");
    TValue reg;
    decode(registryValue, &reg);
    if (!ttistable(&reg) || hvalue(&reg) != hvalue(&G(L)->l_registry))
        return fail("corrupt script state (registry)");
    // Scripts cannot replace the string metatable (no debug library), only edit it.
    TValue smt;
    decode(stringMeta, &smt);
    if (bad || (ttistable(&smt) ? hvalue(&smt) : nullptr) != G(L)->mt[LUA_TSTRING])
        return fail("corrupt script state (string metatable)");

    lua_settop(L, 0);
    d.sandbox.random.hostSeed = hostSeed;
    d.sandbox.random.s = randomState;
    d.arena.setNextId(nextId);
    d.arena.setLimit(limits.memoryBytes);
    d.suspended = suspended;
    d.reason = std::move(reason);
    lua_gc(L, LUA_GCRESTART);
    return vm;
}

} // namespace metatopia
