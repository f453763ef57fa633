// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "ui/ObjectListModel.h"

#include "ui/WorldCoordinates.h"

#include <QSet>

namespace metatopia {

namespace {

bool fail(QString *error, const QString &text)
{
    if (error)
        *error = text;
    return false;
}

} // namespace

std::optional<WorldObject> WorldObject::fromCbor(const QCborValue &value, QString *error)
{
    if (!value.isMap()) {
        fail(error, QStringLiteral("object record is not a map"));
        return std::nullopt;
    }
    const QCborMap map = value.toMap();
    WorldObject out;
    const QCborValue id = map.value(QStringLiteral("id"));
    if (!id.isInteger() || id.toInteger() <= 0) {
        fail(error, QStringLiteral("object without a positive integer id"));
        return std::nullopt;
    }
    out.id = id.toInteger();
    const auto position = simVectorFromCbor(map.value(QStringLiteral("pos")));
    const auto scale = simVectorFromCbor(map.value(QStringLiteral("scale")));
    const auto rotation = simQuaternionFromCbor(map.value(QStringLiteral("rot")));
    if (!position || !scale || !rotation) {
        fail(error, QStringLiteral("object %1: pos, scale (3 integers) and rot (4) expected").arg(out.id));
        return std::nullopt;
    }
    out.position = *position;
    out.scale = *scale;
    out.rotation = rotation->isNull() ? QQuaternion() : rotation->normalized();
    out.owner = map.value(QStringLiteral("owner")).toInteger();
    out.parent = map.value(QStringLiteral("parent")).toInteger();
    out.name = map.value(QStringLiteral("name")).toString();
    out.colour = quint32(map.value(QStringLiteral("colour")).toInteger(0xffffffff));
    out.text = map.value(QStringLiteral("text")).toString();
    out.permissions = map.value(QStringLiteral("permissions")).toInteger();
    out.scripted = map.value(QStringLiteral("script")).toBool();
    out.hash = map.value(QStringLiteral("hash")).toInteger();
    return out;
}

QColor WorldObject::qcolor() const
{
    return QColor(int(colour >> 24), int((colour >> 16) & 0xff), int((colour >> 8) & 0xff),
        int(colour & 0xff));
}

ObjectListModel::ObjectListModel(QObject *parent)
    : QAbstractListModel(parent)
{
}

int ObjectListModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

QVariant ObjectListModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= m_rows.size())
        return {};
    const WorldObject &o = m_rows.at(index.row());
    switch (role) {
    case IdRole:
        return o.id;
    case OwnerRole:
        return o.owner;
    case ParentRole:
        return o.parent;
    case Qt::DisplayRole:
    case NameRole:
        return o.name;
    case PositionRole:
        return o.position;
    case ScenePositionRole:
        return sceneFromSim(o.position);
    case SceneRotationRole:
        return sceneFromSim(o.rotation);
    case SceneScaleRole:
        // A scale is a size along each sim axis; the scene swaps y and z (no sign for sizes).
        return QVector3D(qAbs(o.scale.x()), qAbs(o.scale.z()), qAbs(o.scale.y()));
    case ColourRole:
        return o.qcolor();
    case TextRole:
        return o.text;
    case PermissionsRole:
        return o.permissions;
    case ScriptedRole:
        return o.scripted;
    default:
        return {};
    }
}

QHash<int, QByteArray> ObjectListModel::roleNames() const
{
    return { { IdRole, "objectId" }, { OwnerRole, "owner" }, { ParentRole, "parentId" },
        { NameRole, "name" }, { PositionRole, "position" }, { ScenePositionRole, "scenePosition" },
        { SceneRotationRole, "sceneRotation" }, { SceneScaleRole, "sceneScale" },
        { ColourRole, "colour" }, { TextRole, "text" }, { PermissionsRole, "permissions" },
        { ScriptedRole, "scripted" } };
}

const WorldObject *ObjectListModel::find(qint64 id) const
{
    const int row = m_index.value(id, -1);
    return row < 0 ? nullptr : &m_rows.at(row);
}

QVariantMap ObjectListModel::byId(qint64 id) const
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

qint64 ObjectListModel::idOfName(const QString &name) const
{
    for (const WorldObject &o : m_rows) {
        if (o.name == name)
            return o.id;
    }
    return 0;
}

QList<qint64> ObjectListModel::ids() const
{
    QList<qint64> out;
    out.reserve(m_rows.size());
    for (const WorldObject &o : m_rows)
        out << o.id;
    return out;
}

bool ObjectListModel::upsert(const WorldObject &object)
{
    const int row = m_index.value(object.id, -1);
    if (row >= 0) {
        WorldObject &current = m_rows[row];
        if (current.hash == object.hash && object.hash != 0)
            return false;
        current = object;
        emit dataChanged(index(row), index(row));
        return true;
    }
    const int at = int(m_rows.size());
    beginInsertRows({}, at, at);
    m_rows.append(object);
    m_index.insert(object.id, at);
    endInsertRows();
    emit countChanged();
    return true;
}

bool ObjectListModel::remove(qint64 id)
{
    const int row = m_index.value(id, -1);
    if (row < 0)
        return false;
    beginRemoveRows({}, row, row);
    m_rows.removeAt(row);
    reindex();
    endRemoveRows();
    emit countChanged();
    return true;
}

void ObjectListModel::replaceAll(const std::vector<WorldObject> &objects)
{
    QSet<qint64> keep;
    for (const WorldObject &o : objects)
        keep.insert(o.id);
    for (const qint64 id : ids()) {
        if (!keep.contains(id))
            remove(id);
    }
    for (const WorldObject &o : objects)
        upsert(o);
}

void ObjectListModel::reindex()
{
    m_index.clear();
    for (int row = 0; row < m_rows.size(); ++row)
        m_index.insert(m_rows.at(row).id, row);
}

} // namespace metatopia
