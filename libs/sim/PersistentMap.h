// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

// PersistentMap: an immutable map from 64-bit keys to shared immutable values, with structural
// sharing. It is a 32-way radix trie (like Clojure's persistent vector, but sparse): applying k
// changes copies only the O(k log32 n) nodes on their paths, so a tick that changes k objects costs
// O(k), not O(world). Iteration is in key order, never in address or hash order, so it is safe in
// the deterministic core. Values are std::shared_ptr<const V>; readers on any thread may hold a
// map while a newer version is being built.

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <type_traits>
#include <utility>
#include <vector>

namespace metatopia::sim {

template<typename V> class PersistentMap
{
public:
    using Key = std::uint64_t;
    using ValuePtr = std::shared_ptr<const V>;
    // A change: a null value erases the key.
    using Change = std::pair<Key, ValuePtr>;

    PersistentMap() = default;

    std::size_t size() const noexcept { return m_size; }
    bool empty() const noexcept { return m_size == 0; }

    const V *find(Key key) const noexcept
    {
        const std::shared_ptr<const void> *slot = findSlot(key);
        return slot ? static_cast<const V *>(slot->get()) : nullptr;
    }
    ValuePtr get(Key key) const noexcept
    {
        const std::shared_ptr<const void> *slot = findSlot(key);
        return slot ? std::static_pointer_cast<const V>(*slot) : ValuePtr();
    }
    bool contains(Key key) const noexcept { return find(key) != nullptr; }

    // Visits the entries in ascending key order. fn(Key, const V &) returns void, or bool
    // where false stops the walk.
    template<typename Fn> void forEach(Fn &&fn) const
    {
        if (m_root)
            walk(m_root.get(), m_shift, 0, fn);
    }

    // Returns a new map with the changes applied. `changes` must be sorted by key with no
    // duplicates; a null value erases. Untouched subtrees are shared with this map.
    PersistentMap withChanges(const std::vector<Change> &changes) const
    {
        if (changes.empty())
            return *this;
        PersistentMap result = *this;
        // Grow the root until it covers the largest key.
        const Key maxKey = changes.back().first;
        std::shared_ptr<const Node> root = m_root;
        int shift = m_shift;
        while (shift < MaxShift && (maxKey >> (shift + Bits)) != 0) {
            if (root) {
                auto grown = std::make_shared<Node>();
                grown->entries[0] = root;
                grown->used = 1;
                root = std::move(grown);
            }
            shift += Bits;
        }
        std::ptrdiff_t delta = 0;
        result.m_root = apply(root, shift, changes.data(), changes.data() + changes.size(), delta);
        result.m_shift = shift;
        result.m_size = static_cast<std::size_t>(static_cast<std::ptrdiff_t>(m_size) + delta);
        return result;
    }
    PersistentMap with(Key key, ValuePtr value) const
    {
        return withChanges({ Change { key, std::move(value) } });
    }
    PersistentMap without(Key key) const { return withChanges({ Change { key, ValuePtr() } }); }

    // Two maps share a root when nothing changed between them: a cheap "unchanged" test.
    bool sharesRootWith(const PersistentMap &other) const noexcept
    {
        return m_root == other.m_root;
    }

private:
    static constexpr int Bits = 5;
    static constexpr int Width = 1 << Bits;
    static constexpr Key Mask = Width - 1;
    static constexpr int MaxShift = 60; // 13 levels cover 65 bits

    // Inner nodes keep child nodes in entries, leaves (shift 0) keep the values themselves; both
    // are erased to shared_ptr<const void> so one node type serves all levels.
    struct Node
    {
        std::array<std::shared_ptr<const void>, Width> entries;
        int used = 0;
    };

    const std::shared_ptr<const void> *findSlot(Key key) const noexcept
    {
        if (!m_root || (m_shift < MaxShift && (key >> (m_shift + Bits)) != 0))
            return nullptr;
        const Node *node = m_root.get();
        for (int shift = m_shift; shift > 0; shift -= Bits) {
            const auto &child = node->entries[(key >> shift) & Mask];
            if (!child)
                return nullptr;
            node = static_cast<const Node *>(child.get());
        }
        const auto &slot = node->entries[key & Mask];
        return slot ? &slot : nullptr;
    }

    template<typename Fn> static bool walk(const Node *node, int shift, Key prefix, Fn &fn)
    {
        for (int i = 0; i < Width; ++i) {
            const auto &slot = node->entries[i];
            if (!slot)
                continue;
            const Key key = prefix | (Key(i) << shift);
            if (shift == 0) {
                const V &value = *static_cast<const V *>(slot.get());
                if constexpr (std::is_same_v<decltype(fn(key, value)), bool>) {
                    if (!fn(key, value))
                        return false;
                } else {
                    fn(key, value);
                }
            } else if (!walk(static_cast<const Node *>(slot.get()), shift - Bits, key, fn)) {
                return false;
            }
        }
        return true;
    }

    // Copying a leaf takes a reference to each of its values: 32 reference counts scattered
    // through the heap and rarely cached (a tick writes a few hundred of ten thousand objects).
    // Asked for together, their misses overlap instead of queueing one after another, which
    // made path copying most of a busy tick's serial time. Only a hint: it reads the pointers'
    // bytes, changes nothing.
    static void prefetchCounts(const Node &node) noexcept
    {
        static_assert(sizeof(std::shared_ptr<const void>) == 2 * sizeof(void *));
        for (const auto &entry : node.entries) {
            const void *words[2];
            std::memcpy(
                static_cast<void *>(words), static_cast<const void *>(&entry), sizeof words);
            // One of the two is the control block (libstdc++ and libc++ keep it second); the
            // other is the value, next to it when made by make_shared.
            if (words[1])
                __builtin_prefetch(words[1], 1);
        }
    }

    static void prefetchNode(const void *node) noexcept
    {
        if (node)
            for (std::size_t line = 0; line < sizeof(Node); line += 64)
                __builtin_prefetch(static_cast<const char *>(node) + line);
    }

    static std::shared_ptr<const Node> apply(const std::shared_ptr<const Node> &node, int shift,
        const Change *begin, const Change *end, std::ptrdiff_t &delta)
    {
        auto copy = node ? std::make_shared<Node>(*node) : std::make_shared<Node>();
        // Above the leaves: the leaves this applies to are known, so the next one's node and
        // the one after's values are asked for while this one is copied.
        const auto indexOf = [shift](const Change *c) { return int((c->first >> shift) & Mask); };
        const auto groupAfter = [&](const Change *c) {
            const int index = indexOf(c);
            while (c != end && indexOf(c) == index)
                ++c;
            return c;
        };
        const Change *ahead = begin; // the group after the current one
        const Change *further = begin; // and the one after that
        if (shift == Bits && begin != end) {
            ahead = groupAfter(begin);
            further = ahead != end ? groupAfter(ahead) : end;
            if (const Node *leaf = static_cast<const Node *>(copy->entries[indexOf(begin)].get()))
                prefetchCounts(*leaf);
            if (ahead != end)
                prefetchNode(copy->entries[indexOf(ahead)].get());
        }
        const Change *it = begin;
        while (it != end) {
            const int index = indexOf(it);
            const Change *groupEnd = it;
            while (groupEnd != end && indexOf(groupEnd) == index)
                ++groupEnd;
            if (shift == Bits && ahead != end) {
                if (const Node *leaf
                    = static_cast<const Node *>(copy->entries[indexOf(ahead)].get()))
                    prefetchCounts(*leaf);
                if (further != end)
                    prefetchNode(copy->entries[indexOf(further)].get());
                ahead = further;
                further = further != end ? groupAfter(further) : end;
            }
            auto &slot = copy->entries[index];
            const bool wasUsed = static_cast<bool>(slot);
            if (shift == 0) {
                // One change per key: the last one in the group wins (there is only one).
                const Change &change = *(groupEnd - 1);
                if (change.second) {
                    // A leaf slot shares the value's control block; the type is restored by
                    // static_pointer_cast in get().
                    slot = std::static_pointer_cast<const void>(change.second);
                    if (!wasUsed)
                        ++delta;
                } else if (wasUsed) {
                    slot.reset();
                    --delta;
                }
            } else {
                auto child = apply(
                    std::static_pointer_cast<const Node>(slot), shift - Bits, it, groupEnd, delta);
                slot = std::move(child);
            }
            const bool isUsed = static_cast<bool>(slot);
            copy->used += int(isUsed) - int(wasUsed);
            it = groupEnd;
        }
        if (copy->used == 0)
            return {};
        return copy;
    }

    std::shared_ptr<const Node> m_root;
    int m_shift = 0;
    std::size_t m_size = 0;
};

} // namespace metatopia::sim
