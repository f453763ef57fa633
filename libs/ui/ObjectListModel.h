// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <QAbstractListModel>
#include <QCborMap>
#include <QColor>
#include <QHash>
#include <QList>
#include <QQuaternion>
#include <QVector3D>
#include <QtQmlIntegration>

#include <optional>
#include <vector>

namespace metatopia {

// One object of the sim as the client sees it (decoded from the gateway's state stream).
struct WorldObject
{
    qint64 id = 0;
    qint64 owner = 0;
    qint64 parent = 0;
    QString name;
    QVector3D position; // sim metres, z up
    QQuaternion rotation;
    QVector3D scale { 1, 1, 1 };
    quint32 colour = 0xffffffff; // RGBA
    QString text;
    qint64 permissions = 0;
    bool scripted = false;
    qint64 hash = 0;

    // Nullopt (and why, in error) for a record that is not a valid object: a missing or
    // non-positive id, vectors of the wrong shape, fields of the wrong type.
    static std::optional<WorldObject> fromCbor(const QCborValue &value, QString *error = nullptr);
    QColor qcolor() const;
};

// The sim's objects for a Repeater3D: one row per object, kept in the order they first arrived.
// Updates by id change rows in place so delegates (and their animations) survive a new tick.
class ObjectListModel : public QAbstractListModel
{
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("WorldSession owns its ObjectListModel")
    Q_PROPERTY(int count READ count NOTIFY countChanged)
public:
    enum Role
    {
        IdRole = Qt::UserRole + 1,
        OwnerRole,
        ParentRole,
        NameRole,
        PositionRole, // sim metres
        ScenePositionRole, // Quick 3D scene units (metres, y up)
        SceneRotationRole,
        SceneScaleRole,
        ColourRole,
        TextRole,
        PermissionsRole,
        ScriptedRole,
    };
    Q_ENUM(Role)

    explicit ObjectListModel(QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role) const override;
    QHash<int, QByteArray> roleNames() const override;

    int count() const { return int(m_rows.size()); }
    const WorldObject *find(qint64 id) const;
    Q_INVOKABLE int indexOfId(qint64 id) const { return m_index.value(id, -1); }
    // Every role of the object with this id ({} if none), by role name.
    Q_INVOKABLE QVariantMap byId(qint64 id) const;
    QList<qint64> ids() const;
    // The first object (in row order) with this name; 0 when there is none.
    qint64 idOfName(const QString &name) const;

    // Adds or updates one object; false when nothing changed.
    bool upsert(const WorldObject &object);
    bool remove(qint64 id);
    // Makes the model hold exactly these objects (a full state after subscribing), as a diff.
    void replaceAll(const std::vector<WorldObject> &objects);

signals:
    void countChanged();

private:
    void reindex();

    QList<WorldObject> m_rows;
    QHash<qint64, int> m_index;
};

} // namespace metatopia
