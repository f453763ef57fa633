// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "cluster/BatchBuilder.h"

namespace metatopia::cluster {

BatchBuilder::BatchBuilder(size_t maxActionsPerBatch, size_t maxPending)
    : m_maxActionsPerBatch(maxActionsPerBatch > 0 ? maxActionsPerBatch : 1)
    , m_maxPending(maxPending)
{ }

BatchBuilder::Offer BatchBuilder::offer(const Action &action)
{
    if (m_committed.wasApplied(action.key))
        return Offer::AlreadyCommitted;
    if (m_pending.contains(action.key))
        return Offer::AlreadyPending;
    if (m_pending.size() >= m_maxPending)
        return Offer::Full;
    m_pending.insert(action.key);
    m_queued.push_back(action);
    return Offer::Queued;
}

QByteArray BatchBuilder::takeBatch()
{
    if (m_queued.empty())
        return {};
    ActionBatch batch;
    const size_t n = std::min(m_queued.size(), m_maxActionsPerBatch);
    batch.actions.reserve(n);
    for (size_t i = 0; i < n; ++i) {
        Action action = std::move(m_queued.front());
        m_queued.pop_front();
        m_inFlight.emplace(action.key, action);
        batch.actions.push_back(std::move(action));
    }
    return batch.encode();
}

std::vector<ActionKey> BatchBuilder::noteCommitted(const QByteArray &bytes)
{
    std::vector<ActionKey> keys;
    const auto batch = ActionBatch::decode(bytes);
    if (!batch)
        return keys;
    keys.reserve(batch->actions.size());
    for (const Action &action : batch->actions) {
        m_committed.accept(action.key);
        if (m_pending.erase(action.key) > 0) {
            if (m_inFlight.erase(action.key) == 0) {
                // Committed through another path (e.g. forwarded by a replica) while still queued.
                std::erase_if(
                    m_queued, [&](const Action &queued) { return queued.key == action.key; });
            }
        }
        keys.push_back(action.key);
    }
    return keys;
}

std::vector<ActionKey> BatchBuilder::abandonBatch(const QByteArray &bytes)
{
    std::vector<ActionKey> keys;
    const auto batch = ActionBatch::decode(bytes);
    if (!batch)
        return keys;
    for (const Action &action : batch->actions) {
        if (m_inFlight.erase(action.key) > 0) {
            m_pending.erase(action.key);
            keys.push_back(action.key);
        }
    }
    return keys;
}

void BatchBuilder::requeueInFlight()
{
    // Keys order is (clientId, seq), which keeps every client's actions in its own order.
    for (auto it = m_inFlight.rbegin(); it != m_inFlight.rend(); ++it)
        m_queued.push_front(it->second);
    m_inFlight.clear();
}

std::vector<Action> BatchBuilder::takeUnacknowledged()
{
    std::vector<Action> actions;
    actions.reserve(m_inFlight.size() + m_queued.size());
    for (auto &[key, action] : m_inFlight)
        actions.push_back(std::move(action));
    for (Action &action : m_queued)
        actions.push_back(std::move(action));
    m_inFlight.clear();
    m_queued.clear();
    m_pending.clear();
    return actions;
}

} // namespace metatopia::cluster
