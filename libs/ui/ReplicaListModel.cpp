// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "ui/ReplicaListModel.h"

#include <algorithm>

namespace metatopia {

namespace {

constexpr qint64 rateWindowMs = 2000;

qint64 integer(const QCborMap &status, const char *key)
{
    return status.value(QString::fromLatin1(key)).toInteger();
}

QVariantList toList(const std::deque<double> &values)
{
    QVariantList out;
    out.reserve(qsizetype(values.size()));
    for (double v : values)
        out << v;
    return out;
}

} // namespace

ReplicaListModel::ReplicaListModel(QObject *parent)
    : QAbstractListModel(parent)
{ }

int ReplicaListModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

QHash<int, QByteArray> ReplicaListModel::roleNames() const
{
    return {
        { NameRole, "name" },
        { ReplicaIdRole, "replicaId" },
        { PortRole, "port" },
        { AliveRole, "alive" },
        { ProcessStateRole, "processState" },
        { RoleNameRole, "role" },
        { TermRole, "term" },
        { CommitRole, "commit" },
        { AppliedRole, "applied" },
        { TickRole, "tick" },
        { TickTimeUsRole, "tickTimeUs" },
        { TicksPerSecondRole, "ticksPerSecond" },
        { HashRole, "hash" },
        { LagRole, "lag" },
        { ClientsRole, "clients" },
        { DivergencesRole, "divergences" },
        { ObjectsRole, "objects" },
        { ErrorRole, "error" },
        { TickTimeHistoryRole, "tickTimeHistory" },
        { RateHistoryRole, "rateHistory" },
    };
}

QVariant ReplicaListModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= count())
        return {};
    const Row &row = m_rows[size_t(index.row())];
    switch (role) {
    case Qt::DisplayRole:
    case NameRole:
        return row.endpoint.name;
    case ReplicaIdRole:
        return integer(row.status, "replica");
    case PortRole:
        return int(row.endpoint.port);
    case AliveRole:
        return row.alive;
    case ProcessStateRole:
        return row.processState;
    case RoleNameRole:
        return row.alive ? row.status.value(QStringLiteral("role")).toString() : QString();
    case TermRole:
        return integer(row.status, "term");
    case CommitRole:
        return integer(row.status, "commit");
    case AppliedRole:
        return integer(row.status, "applied");
    case TickRole:
        return integer(row.status, "tick");
    case TickTimeUsRole:
        return integer(row.status, "tickTimeUs");
    case TicksPerSecondRole:
        return row.ticksPerSecond;
    case HashRole:
        return row.status.value(QStringLiteral("hash")).toString();
    case LagRole:
        return integer(row.status, "lag");
    case ClientsRole:
        return integer(row.status, "clients");
    case DivergencesRole:
        return integer(row.status, "divergences");
    case ObjectsRole:
        return integer(row.status, "objects");
    case ErrorRole:
        return row.error;
    case TickTimeHistoryRole:
        return toList(row.tickTimes);
    case RateHistoryRole:
        return toList(row.rates);
    default:
        return {};
    }
}

QVariant ReplicaListModel::get(int row, const QString &roleName) const
{
    const QHash<int, QByteArray> roles = roleNames();
    const int role = roles.key(roleName.toUtf8(), -1);
    if (role < 0)
        return {};
    return data(index(row), role);
}

double ReplicaListModel::historyMax(int role) const
{
    double most = 0;
    for (const Row &row : m_rows) {
        const std::deque<double> &values = role == RateHistoryRole ? row.rates : row.tickTimes;
        for (double v : values)
            most = std::max(most, v);
    }
    return most;
}

void ReplicaListModel::setReplicas(const QList<ReplicaEndpoint> &replicas)
{
    beginResetModel();
    m_rows.clear();
    for (const ReplicaEndpoint &endpoint : replicas)
        m_rows.push_back(Row { endpoint, false, {}, {}, {}, 0, {}, {}, {}, {} });
    m_hashesAgree = true;
    m_checkedTick = m_mismatchTick = m_lastComparedTick = 0;
    m_mismatchCount = 0;
    endResetModel();
    emit countChanged();
    emit summaryChanged();
    emit hashCheckChanged();
}

int ReplicaListModel::rowOf(const QString &name) const
{
    for (size_t i = 0; i < m_rows.size(); ++i) {
        if (m_rows[i].endpoint.name == name)
            return int(i);
    }
    return -1;
}

void ReplicaListModel::push(std::deque<double> &history, double value)
{
    history.push_back(value);
    while (history.size() > size_t(HistoryLength))
        history.pop_front();
}

void ReplicaListModel::updateStatus(int rowIndex, const QCborMap &status, qint64 nowMs)
{
    if (rowIndex < 0 || rowIndex >= count())
        return;
    Row &row = m_rows[size_t(rowIndex)];
    const qint64 tick = integer(status, "tick");
    // A restarted replica starts again from its snapshot: forget samples from before.
    if (!row.samples.empty() && tick < row.samples.back().second)
        row.samples.clear();
    row.samples.emplace_back(nowMs, tick);
    while (row.samples.size() > 2 && nowMs - row.samples.front().first > rateWindowMs)
        row.samples.pop_front();
    const auto &[firstMs, firstTick] = row.samples.front();
    row.ticksPerSecond
        = nowMs > firstMs ? double(tick - firstTick) * 1000.0 / double(nowMs - firstMs) : 0.0;
    row.status = status;
    row.alive = true;
    row.error.clear();
    push(row.tickTimes, double(integer(status, "tickTimeUs")));
    push(row.rates, row.ticksPerSecond);
    changed(rowIndex);
    emit historyChanged();
}

void ReplicaListModel::markUnreachable(int rowIndex, const QString &error)
{
    if (rowIndex < 0 || rowIndex >= count())
        return;
    Row &row = m_rows[size_t(rowIndex)];
    const bool wasAlive = row.alive;
    row.alive = false;
    row.error = error;
    row.ticksPerSecond = 0;
    row.samples.clear();
    if (wasAlive) {
        // The chart shows the gap.
        push(row.tickTimes, 0);
        push(row.rates, 0);
        emit historyChanged();
    }
    changed(rowIndex);
}

void ReplicaListModel::setProcessState(int rowIndex, const QString &state)
{
    if (rowIndex < 0 || rowIndex >= count() || m_rows[size_t(rowIndex)].processState == state)
        return;
    m_rows[size_t(rowIndex)].processState = state;
    const QModelIndex at = index(rowIndex);
    emit dataChanged(at, at, { ProcessStateRole });
}

void ReplicaListModel::changed(int rowIndex)
{
    const QModelIndex at = index(rowIndex);
    emit dataChanged(at, at);
    emit summaryChanged();
}

void ReplicaListModel::addHashes(int rowIndex, const std::map<quint64, QString> &hashes)
{
    if (rowIndex < 0 || rowIndex >= count() || hashes.empty())
        return;
    Row &row = m_rows[size_t(rowIndex)];
    for (const auto &[tick, hash] : hashes)
        row.hashes[tick] = hash;
    while (row.hashes.size() > size_t(RememberedTicks))
        row.hashes.erase(row.hashes.begin());

    bool changedCheck = false;
    for (const auto &[tick, hash] : hashes) {
        int reporters = 0;
        bool differ = false;
        for (const Row &other : m_rows) {
            const auto it = other.hashes.find(tick);
            if (it == other.hashes.end())
                continue;
            ++reporters;
            differ = differ || it->second != hash;
        }
        if (reporters < 2)
            continue;
        if (differ) {
            if (tick != m_mismatchTick) {
                ++m_mismatchCount;
                m_mismatchTick = tick;
            }
            if (tick >= m_lastComparedTick) {
                m_hashesAgree = false;
                m_lastComparedTick = tick;
            }
            changedCheck = true;
        } else if (tick > m_checkedTick) {
            m_checkedTick = tick;
            if (tick > m_lastComparedTick) {
                m_lastComparedTick = tick;
                m_hashesAgree = true;
            }
            changedCheck = true;
        }
    }
    if (changedCheck)
        emit hashCheckChanged();
}

int ReplicaListModel::aliveCount() const
{
    return int(std::count_if(m_rows.cbegin(), m_rows.cend(), [](const Row &r) { return r.alive; }));
}

int ReplicaListModel::leaderCount() const
{
    return int(std::count_if(m_rows.cbegin(), m_rows.cend(), [](const Row &r) {
        return r.alive && r.status.value(QStringLiteral("role")).toString() == QLatin1String("leader");
    }));
}

QString ReplicaListModel::leaderName() const
{
    const auto found = leader();
    return found ? found->name : QString();
}

std::optional<ReplicaEndpoint> ReplicaListModel::leader() const
{
    // With a stale answer from a deposed leader, the highest term wins.
    const Row *best = nullptr;
    for (const Row &row : m_rows) {
        if (!row.alive
            || row.status.value(QStringLiteral("role")).toString() != QLatin1String("leader"))
            continue;
        if (!best || integer(row.status, "term") > integer(best->status, "term"))
            best = &row;
    }
    if (!best)
        return std::nullopt;
    return best->endpoint;
}

qint64 ReplicaListModel::term() const
{
    qint64 most = 0;
    for (const Row &row : m_rows) {
        if (row.alive)
            most = std::max(most, integer(row.status, "term"));
    }
    return most;
}

} // namespace metatopia
