// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <QAbstractListModel>
#include <QCborMap>
#include <QHash>
#include <QList>
#include <QQuaternion>
#include <QVector3D>
#include <QtQmlIntegration>

#include <optional>
#include <vector>

namespace metatopia {

// One avatar of the sim as the client sees it.
struct WorldAvatar
{
    qint64 id = 0;
    qint64 account = 0;
    QString name;
    QVector3D position; // sim metres, z up
    QQuaternion rotation;
    QString animation;
    qint64 hash = 0;
    // Degrees counterclockwise from east. From the rotation when the sim has one; the gateway's
    // move does not carry rotations yet, so otherwise from the direction the avatar last moved.
    double heading = 90.0;

    static std::optional<WorldAvatar> fromCbor(const QCborValue &value, QString *error = nullptr);
};

// The sim's avatars for a Repeater3D (figures and name tags) and the people list.
class AvatarListModel : public QAbstractListModel
{
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("WorldSession owns its AvatarListModel")
    Q_PROPERTY(int count READ count NOTIFY countChanged)
public:
    enum Role
    {
        IdRole = Qt::UserRole + 1,
        AccountRole,
        NameRole,
        PositionRole,
        ScenePositionRole,
        HeadingRole,
        AnimationRole,
    };
    Q_ENUM(Role)

    explicit AvatarListModel(QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role) const override;
    QHash<int, QByteArray> roleNames() const override;

    int count() const { return int(m_rows.size()); }
    const WorldAvatar *find(qint64 id) const;
    Q_INVOKABLE int indexOfId(qint64 id) const { return m_index.value(id, -1); }
    Q_INVOKABLE QVariantMap byId(qint64 id) const;
    // The name of an avatar of this account in the region ("" if none is here).
    Q_INVOKABLE QString nameOfAccount(qint64 account) const;
    QList<qint64> ids() const;

    bool upsert(WorldAvatar avatar);
    bool remove(qint64 id);
    void replaceAll(const std::vector<WorldAvatar> &avatars);

signals:
    void countChanged();
    // An avatar's record changed (for the controller of one's own avatar).
    void avatarChanged(qint64 id);

private:
    void reindex();

    QList<WorldAvatar> m_rows;
    QHash<qint64, int> m_index;
};

} // namespace metatopia
