// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

// Local chat by distance: who hears a whisper (10 m), a normal "say" (20 m) or a shout (100 m).
// Positions come from the sim; until it exists AvatarPositionMap holds them. Distances are
// compared exactly on Fixed's raw integers (no floating point), so every replica of a sim agrees
// on who heard what, and an avatar exactly on the edge of the range hears.

// Qt first: Qt 6.4's moc fails on <compare> (pulled in by FVec3.h) when it comes before any Qt
// header.
#include <QString>
#include <QStringList>

#include "core/FVec3.h"

#include <map>
#include <optional>

namespace metatopia {

enum class LocalChatMode
{
    Whisper,
    Say,
    Shout
};

// Where an avatar stands: the region (only avatars of the same region hear each other) and a
// position in metres within it.
struct AvatarPosition
{
    QString region;
    FVec3 position;
};

// Filled by the sim (later) or by AvatarPositionMap.
class AvatarPositions
{
public:
    virtual ~AvatarPositions() = default;
    virtual std::optional<AvatarPosition> positionOf(const QString &avatar) const = 0;
    // Every avatar in the region, in ascending name order.
    virtual QStringList avatarsInRegion(const QString &region) const = 0;
};

class AvatarPositionMap final : public AvatarPositions
{
public:
    void setPosition(const QString &avatar, const AvatarPosition &position);
    void remove(const QString &avatar);
    std::optional<AvatarPosition> positionOf(const QString &avatar) const override;
    QStringList avatarsInRegion(const QString &region) const override;

private:
    std::map<QString, AvatarPosition> m_positions;
};

class LocalChat
{
public:
    static Fixed range(LocalChatMode mode);
    static QString modeName(LocalChatMode mode);
    static std::optional<LocalChatMode> modeFromName(const QString &name);

    // True when b is within the mode's range of a (same region, Euclidean distance <= range).
    static bool inRange(const AvatarPosition &a, const AvatarPosition &b, LocalChatMode mode);

    // Everyone other than the speaker who hears them, in ascending name order. Empty when the
    // speaker has no known position.
    static QStringList hearers(
        const AvatarPositions &positions, const QString &speaker, LocalChatMode mode);
};

} // namespace metatopia
