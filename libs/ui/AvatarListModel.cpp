// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "ui/AvatarListModel.h"

#include "ui/WorldCoordinates.h"

#include <QSet>

#include <cmath>

namespace metatopia {

std::optional<WorldAvatar> WorldAvatar::fromCbor(const QCborValue &value, QString *error)
{
    auto fail = [error](const QString &text) {
        if (error)
            *error = text;
        return std::nullopt;
    };
    if (!value.isMap())
        return fail(QStringLiteral("avatar record is not a map"));
    const QCborMap map = value.toMap();
    const QCborValue id = map.value(QStringLiteral("id"));
    if (!id.isInteger() || id.toInteger() <= 0)
        return fail(QStringLiteral("avatar without a positive integer id"));
    WorldAvatar out;
    out.id = id.toInteger();
    const auto position = simVectorFromCbor(map.value(QStringLiteral("pos")));
    if (!position)
        return fail(QStringLiteral("avatar %1: pos (3 integers) expected").arg(out.id));
    out.position = *position;
    // Absent or malformed rotations are tolerated: the heading then comes from movement.
    if (const auto rotation = simQuaternionFromCbor(map.value(QStringLiteral("rot")));
        rotation && !rotation->isNull())
        out.rotation = rotation->normalized();
    out.account = map.value(QStringLiteral("account")).toInteger();
    out.name = map.value(QStringLiteral("name")).toString();
    out.animation = map.value(QStringLiteral("animation")).toString();
    out.hash = map.value(QStringLiteral("hash")).toInteger();
    return out;
}

AvatarListModel::AvatarListModel(QObject *parent)
    : QAbstractListModel(parent)
{
}

int AvatarListModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

QVariant AvatarListModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= m_rows.size())
        return {};
    const WorldAvatar &a = m_rows.at(index.row());
    switch (role) {
    case IdRole:
        return a.id;
    case AccountRole:
        return a.account;
    case Qt::DisplayRole:
    case NameRole:
        return a.name;
    case PositionRole:
        return a.position;
    case ScenePositionRole:
        return sceneFromSim(a.position);
    case HeadingRole:
        return a.heading;
    case AnimationRole:
        return a.animation;
    default:
        return {};
    }
}

QHash<int, QByteArray> AvatarListModel::roleNames() const
{
    return { { IdRole, "avatarId" }, { AccountRole, "account" }, { NameRole, "name" },
        { PositionRole, "position" }, { ScenePositionRole, "scenePosition" },
        { HeadingRole, "heading" }, { AnimationRole, "animation" } };
}

const WorldAvatar *AvatarListModel::find(qint64 id) const
{
    const int row = m_index.value(id, -1);
    return row < 0 ? nullptr : &m_rows.at(row);
}

QVariantMap AvatarListModel::byId(qint64 id) const
{
    const int row = indexOfId(id);
    if (row < 0)
        return {};
    QVariantMap out;
    const QHash<int, QByteArray> names = roleNames();
    for (auto it = names.cbegin(); it != names.cend(); ++it)
        out.insert(QString::fromLatin1(it.value()), data(index(row), it.key()));
    return out;
}

QString AvatarListModel::nameOfAccount(qint64 account) const
{
    for (const WorldAvatar &a : m_rows) {
        if (a.account == account)
            return a.name;
    }
    return {};
}

QList<qint64> AvatarListModel::ids() const
{
    QList<qint64> out;
    for (const WorldAvatar &a : m_rows)
        out << a.id;
    return out;
}

bool AvatarListModel::upsert(WorldAvatar avatar)
{
    const bool rotated = !qFuzzyCompare(avatar.rotation, QQuaternion());
    const int row = m_index.value(avatar.id, -1);
    if (row >= 0) {
        WorldAvatar &current = m_rows[row];
        if (current.hash == avatar.hash && avatar.hash != 0)
            return false;
        avatar.heading = current.heading;
        const double dx = avatar.position.x() - current.position.x();
        const double dy = avatar.position.y() - current.position.y();
        if (rotated)
            avatar.heading = headingOf(avatar.rotation);
        else if (dx * dx + dy * dy > 0.005 * 0.005)
            avatar.heading = std::atan2(dy, dx) * 180.0 / M_PI;
        current = std::move(avatar);
        emit dataChanged(index(row), index(row));
        emit avatarChanged(current.id);
        return true;
    }
    if (rotated)
        avatar.heading = headingOf(avatar.rotation);
    const int at = int(m_rows.size());
    beginInsertRows({}, at, at);
    m_index.insert(avatar.id, at);
    m_rows.append(std::move(avatar));
    endInsertRows();
    emit countChanged();
    emit avatarChanged(m_rows.last().id);
    return true;
}

bool AvatarListModel::remove(qint64 id)
{
    const int row = m_index.value(id, -1);
    if (row < 0)
        return false;
    beginRemoveRows({}, row, row);
    m_rows.removeAt(row);
    reindex();
    endRemoveRows();
    emit countChanged();
    emit avatarChanged(id);
    return true;
}

void AvatarListModel::replaceAll(const std::vector<WorldAvatar> &avatars)
{
    QSet<qint64> keep;
    for (const WorldAvatar &a : avatars)
        keep.insert(a.id);
    for (const qint64 id : ids()) {
        if (!keep.contains(id))
            remove(id);
    }
    for (const WorldAvatar &a : avatars)
        upsert(a);
}

void AvatarListModel::reindex()
{
    m_index.clear();
    for (int row = 0; row < m_rows.size(); ++row)
        m_index.insert(m_rows.at(row).id, row);
}

} // namespace metatopia
