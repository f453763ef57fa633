// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

// Result<T>: a value or a human-readable error (std::expected arrives with C++23). Used where bad
// input from outside (network, disk) must be rejected with a clear message instead of a crash.

#include <QString>

#include <optional>
#include <utility>

namespace metatopia {

template<typename T>
class Result
{
public:
    Result(T value)
        : m_value(std::move(value))
    {
    }
    static Result failure(QString error)
    {
        Result r;
        r.m_error = std::move(error);
        return r;
    }

    bool hasValue() const noexcept { return m_value.has_value(); }
    explicit operator bool() const noexcept { return hasValue(); }
    const T &value() const & { return *m_value; }
    T &value() & { return *m_value; }
    T &&value() && { return std::move(*m_value); }
    const T &operator*() const & { return *m_value; }
    const T *operator->() const { return &*m_value; }
    // Empty when there is a value.
    const QString &error() const noexcept { return m_error; }

private:
    Result() = default;
    std::optional<T> m_value;
    QString m_error;
};

} // namespace metatopia
