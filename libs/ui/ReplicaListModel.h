// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <QAbstractListModel>
#include <QCborMap>
#include <QList>
#include <QString>
#include <QVariantList>
#include <QtQmlIntegration>

#include <deque>
#include <map>
#include <optional>
#include <vector>

namespace metatopia {

// Where a sim replica's client gateway listens.
struct ReplicaEndpoint
{
    QString name; // "sim-1"
    QString host; // "127.0.0.1"
    quint16 port = 0;
};

// The replicas of one sim cluster as the manager shows them, one row each, fed with the answers
// of their gateways' {"t":"status"} (ReplicaMonitor polls them). Besides the raw status it
// derives ticks per second, keeps a short history of tick time and rate per replica for a chart,
// and compares the per-tick state hashes the replicas report: two replicas with different hashes
// for the same tick is a divergence the window must show, whichever replica is wrong.
class ReplicaListModel : public QAbstractListModel
{
    Q_OBJECT
    QML_ELEMENT
    Q_PROPERTY(int count READ count NOTIFY countChanged)
    Q_PROPERTY(int aliveCount READ aliveCount NOTIFY summaryChanged)
    Q_PROPERTY(QString leaderName READ leaderName NOTIFY summaryChanged)
    Q_PROPERTY(int leaderCount READ leaderCount NOTIFY summaryChanged)
    Q_PROPERTY(qint64 term READ term NOTIFY summaryChanged)
    // Hash agreement: the highest tick at least two replicas reported, all with the same hash;
    // hashesAgree is false while the latest compared tick differs.
    Q_PROPERTY(bool hashesAgree READ hashesAgree NOTIFY hashCheckChanged)
    Q_PROPERTY(qint64 checkedTick READ checkedTick NOTIFY hashCheckChanged)
    Q_PROPERTY(qint64 mismatchTick READ mismatchTick NOTIFY hashCheckChanged)
    Q_PROPERTY(int mismatchCount READ mismatchCount NOTIFY hashCheckChanged)
    Q_PROPERTY(int historyLength READ historyLength CONSTANT)
public:
    enum Role
    {
        NameRole = Qt::UserRole + 1,
        ReplicaIdRole,
        PortRole,
        AliveRole,
        ProcessStateRole,
        RoleNameRole, // "leader", "follower", "candidate", "" when unknown
        TermRole,
        CommitRole,
        AppliedRole,
        TickRole,
        TickTimeUsRole,
        TicksPerSecondRole,
        HashRole,
        LagRole,
        ClientsRole,
        DivergencesRole,
        ObjectsRole,
        ErrorRole,
        TickTimeHistoryRole, // list of tick times (us), oldest first
        RateHistoryRole, // list of ticks per second, oldest first
    };
    Q_ENUM(Role)

    static constexpr int HistoryLength = 120;
    static constexpr int RememberedTicks = 512;

    explicit ReplicaListModel(QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role) const override;
    QHash<int, QByteArray> roleNames() const override;

    void setReplicas(const QList<ReplicaEndpoint> &replicas);
    const ReplicaEndpoint &endpoint(int row) const { return m_rows.at(size_t(row)).endpoint; }
    int rowOf(const QString &name) const;

    // A status answer received at nowMs (any monotonic clock in ms).
    void updateStatus(int row, const QCborMap &status, qint64 nowMs);
    // No answer (connection refused, lost, timed out).
    void markUnreachable(int row, const QString &error);
    // What the process supervisor knows ("running", "stopped", "crashed", ...).
    void setProcessState(int row, const QString &state);
    // Per-tick hashes (hex) a replica reported ({"t":"hashes"} reply).
    void addHashes(int row, const std::map<quint64, QString> &hashes);

    int count() const { return int(m_rows.size()); }
    int aliveCount() const;
    int leaderCount() const;
    QString leaderName() const;
    qint64 term() const;
    // The leader's gateway, if an alive replica says it leads.
    std::optional<ReplicaEndpoint> leader() const;
    bool hashesAgree() const { return m_hashesAgree; }
    qint64 checkedTick() const { return qint64(m_checkedTick); }
    qint64 mismatchTick() const { return qint64(m_mismatchTick); }
    int mismatchCount() const { return m_mismatchCount; }
    int historyLength() const { return HistoryLength; }

    // Value of a role by name for QML and tests: get(row, "tick").
    Q_INVOKABLE QVariant get(int row, const QString &roleName) const;
    // The largest value in any replica's history of that role (chart scale).
    Q_INVOKABLE double historyMax(int role) const;

signals:
    void countChanged();
    void summaryChanged();
    void hashCheckChanged();
    void historyChanged();

private:
    struct Row
    {
        ReplicaEndpoint endpoint;
        bool alive = false;
        QString processState;
        QCborMap status;
        QString error;
        double ticksPerSecond = 0;
        std::deque<std::pair<qint64, qint64>> samples; // (ms, tick) of the last few seconds
        std::deque<double> tickTimes;
        std::deque<double> rates;
        std::map<quint64, QString> hashes;
    };

    void changed(int row);
    void push(std::deque<double> &history, double value);

    std::vector<Row> m_rows;
    bool m_hashesAgree = true;
    quint64 m_checkedTick = 0;
    quint64 m_mismatchTick = 0;
    int m_mismatchCount = 0;
    quint64 m_lastComparedTick = 0;
};

} // namespace metatopia
