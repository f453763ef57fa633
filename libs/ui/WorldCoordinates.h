// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

// The sim and Quick 3D disagree on which way is up. The sim is right-handed with z up (x east,
// y north, positions in metres as Q32.32 fixed point on the wire); Quick 3D is right-handed with
// y up. sim (x, y, z) is shown at scene (x, z, -y), which keeps handedness, so a rotation about
// the sim's z axis is the same angle about the scene's y axis. Headings are degrees
// counterclockwise from east (+x) seen from above.

#include <QCborArray>
#include <QQuaternion>
#include <QVector3D>

#include <cmath>
#include <optional>

namespace metatopia {

inline constexpr double FixedOne = 4294967296.0; // 2^32: raw Q32.32 per metre

inline QVector3D sceneFromSim(const QVector3D &sim)
{
    return { sim.x(), sim.z(), -sim.y() };
}

inline QQuaternion sceneFromSim(const QQuaternion &sim)
{
    return { sim.scalar(), sim.x(), sim.z(), -sim.y() };
}

// Yaw about the sim's z axis, in degrees (0 = facing east).
inline double headingOf(const QQuaternion &sim)
{
    const double w = sim.scalar(), x = sim.x(), y = sim.y(), z = sim.z();
    return std::atan2(2.0 * (w * z + x * y), 1.0 - 2.0 * (y * y + z * z)) * 180.0 / M_PI;
}

inline QQuaternion simRotationForHeading(double degrees)
{
    return QQuaternion::fromAxisAndAngle(0.0f, 0.0f, 1.0f, float(degrees));
}

// A wire vector: three integers, raw Q32.32 metres.
inline std::optional<QVector3D> simVectorFromCbor(const QCborValue &value)
{
    const QCborArray array = value.toArray();
    if (!value.isArray() || array.size() != 3)
        return std::nullopt;
    float out[3];
    for (qsizetype i = 0; i < 3; ++i) {
        if (!array.at(i).isInteger())
            return std::nullopt;
        out[i] = float(double(array.at(i).toInteger()) / FixedOne);
    }
    return QVector3D(out[0], out[1], out[2]);
}

// A wire quaternion: four integers w, x, y, z, raw Q32.32.
inline std::optional<QQuaternion> simQuaternionFromCbor(const QCborValue &value)
{
    const QCborArray array = value.toArray();
    if (!value.isArray() || array.size() != 4)
        return std::nullopt;
    float out[4];
    for (qsizetype i = 0; i < 4; ++i) {
        if (!array.at(i).isInteger())
            return std::nullopt;
        out[i] = float(double(array.at(i).toInteger()) / FixedOne);
    }
    return QQuaternion(out[0], out[1], out[2], out[3]);
}

} // namespace metatopia
