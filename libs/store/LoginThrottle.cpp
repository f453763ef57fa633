// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "store/LoginThrottle.h"

#include <algorithm>

namespace metatopia::store {
namespace {

QString accountKey(const QString &account)
{
    return QStringLiteral("a:") + account.toCaseFolded();
}

QString addressKey(const QString &address)
{
    return QStringLiteral("n:") + address;
}

} // namespace

LoginThrottle::LoginThrottle()
    : LoginThrottle(Policy {})
{ }

LoginThrottle::LoginThrottle(Policy policy)
    : m_policy(policy)
{ }

int LoginThrottle::delayForFailures(int failures, const Policy &policy)
{
    if (failures <= 0)
        return 0;
    qint64 delay = policy.baseDelayMs;
    for (int i = 1; i < failures && delay < policy.maxDelayMs; ++i)
        delay *= 2;
    return int(std::min<qint64>(delay, policy.maxDelayMs));
}

int LoginThrottle::count(const QString &key, qint64 nowMs) const
{
    const auto it = m_entries.constFind(key);
    if (it == m_entries.constEnd()
        || nowMs - it->lastMs > qint64(m_policy.forgetAfterSeconds) * 1000)
        return 0;
    return it->failures;
}

void LoginThrottle::bump(const QString &key, qint64 nowMs)
{
    const int previous = count(key, nowMs);
    Entry &entry = m_entries[key];
    entry.failures = previous + 1;
    entry.lastMs = nowMs;
}

void LoginThrottle::prune(qint64 nowMs)
{
    if (m_entries.size() <= m_policy.maxEntries)
        return;
    const qint64 horizon = qint64(m_policy.forgetAfterSeconds) * 1000;
    m_entries.removeIf([&](const auto &it) { return nowMs - it.value().lastMs > horizon; });
    // Still too many: forget everything rather than grow without bound.
    if (m_entries.size() > m_policy.maxEntries)
        m_entries.clear();
}

int LoginThrottle::recordFailure(
    const QString &account, const QString &address, const QDateTime &now)
{
    const qint64 nowMs = now.toMSecsSinceEpoch();
    prune(nowMs);
    bump(accountKey(account), nowMs);
    if (!address.isEmpty())
        bump(addressKey(address), nowMs);
    return delayForFailures(failures(account, address, now), m_policy);
}

void LoginThrottle::recordSuccess(const QString &account, const QString &address)
{
    m_entries.remove(accountKey(account));
    if (!address.isEmpty())
        m_entries.remove(addressKey(address));
}

int LoginThrottle::failures(
    const QString &account, const QString &address, const QDateTime &now) const
{
    const qint64 nowMs = now.toMSecsSinceEpoch();
    return std::max(count(accountKey(account), nowMs),
        address.isEmpty() ? 0 : count(addressKey(address), nowMs));
}

} // namespace metatopia::store
