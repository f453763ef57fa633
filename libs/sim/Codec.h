// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

// Codec: the one canonical byte form of sim state. The same bytes feed the state hash and the
// snapshot file, so "equal hash" and "equal snapshot" mean the same thing. Little-endian
// fixed-width integers, length-prefixed strings; no padding, no addresses, no floating point.

#include "core/FQuat.h"
#include "core/FVec3.h"
#include "core/Fixed.h"

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace metatopia::sim {

class CodecError : public std::runtime_error
{
public:
    using std::runtime_error::runtime_error;
};

class Writer
{
public:
    void u8(std::uint8_t v) { m_bytes.push_back(static_cast<char>(v)); }
    // Little-endian, one append per value (hashing a written object encodes it on the tick's
    // hot path).
    void u32(std::uint32_t v)
    {
        char b[4];
        for (int i = 0; i < 4; ++i)
            b[i] = static_cast<char>(v >> (8 * i));
        m_bytes.append(b, 4);
    }
    void u64(std::uint64_t v)
    {
        char b[8];
        for (int i = 0; i < 8; ++i)
            b[i] = static_cast<char>(v >> (8 * i));
        m_bytes.append(b, 8);
    }
    void i64(std::int64_t v) { u64(static_cast<std::uint64_t>(v)); }
    void fixed(Fixed v) { i64(v.raw()); }
    void boolean(bool v) { u8(v ? 1 : 0); }
    void vec3(const FVec3 &v)
    {
        fixed(v.x);
        fixed(v.y);
        fixed(v.z);
    }
    void quat(const FQuat &q)
    {
        fixed(q.x);
        fixed(q.y);
        fixed(q.z);
        fixed(q.w);
    }
    void str(std::string_view s)
    {
        u32(static_cast<std::uint32_t>(s.size()));
        m_bytes.append(s.data(), s.size());
    }

    const std::string &bytes() const noexcept { return m_bytes; }
    std::string take() { return std::move(m_bytes); }
    void clear() { m_bytes.clear(); }

private:
    std::string m_bytes;
};

class Reader
{
public:
    explicit Reader(std::string_view bytes)
        : m_bytes(bytes)
    { }

    std::uint8_t u8()
    {
        need(1);
        return static_cast<std::uint8_t>(m_bytes[m_pos++]);
    }
    std::uint32_t u32()
    {
        need(4);
        std::uint32_t v = 0;
        for (int i = 0; i < 4; ++i)
            v |= std::uint32_t(static_cast<std::uint8_t>(m_bytes[m_pos++])) << (8 * i);
        return v;
    }
    std::uint64_t u64()
    {
        need(8);
        std::uint64_t v = 0;
        for (int i = 0; i < 8; ++i)
            v |= std::uint64_t(static_cast<std::uint8_t>(m_bytes[m_pos++])) << (8 * i);
        return v;
    }
    std::int64_t i64() { return static_cast<std::int64_t>(u64()); }
    Fixed fixed() { return Fixed::fromRaw(i64()); }
    FVec3 vec3()
    {
        FVec3 v;
        v.x = fixed();
        v.y = fixed();
        v.z = fixed();
        return v;
    }
    FQuat quat()
    {
        FQuat q;
        q.x = fixed();
        q.y = fixed();
        q.z = fixed();
        q.w = fixed();
        return q;
    }
    bool boolean()
    {
        const std::uint8_t v = u8();
        if (v > 1)
            throw CodecError("bad boolean");
        return v == 1;
    }
    std::string str()
    {
        const std::uint32_t size = u32();
        need(size);
        std::string s(m_bytes.substr(m_pos, size));
        m_pos += size;
        return s;
    }
    // Bounds a count read from the input before anything is allocated for it.
    std::uint32_t count(std::uint32_t max)
    {
        const std::uint32_t n = u32();
        if (n > max || n > remaining())
            throw CodecError("count out of range");
        return n;
    }

    std::size_t remaining() const noexcept { return m_bytes.size() - m_pos; }
    bool atEnd() const noexcept { return m_pos == m_bytes.size(); }

private:
    void need(std::size_t n) const
    {
        if (remaining() < n)
            throw CodecError("truncated input");
    }

    std::string_view m_bytes;
    std::size_t m_pos = 0;
};

} // namespace metatopia::sim
