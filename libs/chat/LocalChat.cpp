// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "chat/LocalChat.h"

namespace metatopia {

void AvatarPositionMap::setPosition(const QString &avatar, const AvatarPosition &position)
{
    m_positions[avatar] = position;
}

void AvatarPositionMap::remove(const QString &avatar)
{
    m_positions.erase(avatar);
}

std::optional<AvatarPosition> AvatarPositionMap::positionOf(const QString &avatar) const
{
    const auto it = m_positions.find(avatar);
    if (it == m_positions.end())
        return std::nullopt;
    return it->second;
}

QStringList AvatarPositionMap::avatarsInRegion(const QString &region) const
{
    QStringList out;
    for (const auto &[name, pos] : m_positions) {
        if (pos.region == region)
            out.append(name);
    }
    return out;
}

Fixed LocalChat::range(LocalChatMode mode)
{
    switch (mode) {
    case LocalChatMode::Whisper:
        return Fixed::fromInt(10);
    case LocalChatMode::Say:
        return Fixed::fromInt(20);
    case LocalChatMode::Shout:
        return Fixed::fromInt(100);
    }
    return Fixed::zero();
}

QString LocalChat::modeName(LocalChatMode mode)
{
    switch (mode) {
    case LocalChatMode::Whisper:
        return QStringLiteral("whisper");
    case LocalChatMode::Say:
        return QStringLiteral("say");
    case LocalChatMode::Shout:
        return QStringLiteral("shout");
    }
    return {};
}

std::optional<LocalChatMode> LocalChat::modeFromName(const QString &name)
{
    if (name == QLatin1String("whisper"))
        return LocalChatMode::Whisper;
    if (name == QLatin1String("say"))
        return LocalChatMode::Say;
    if (name == QLatin1String("shout"))
        return LocalChatMode::Shout;
    return std::nullopt;
}

bool LocalChat::inRange(const AvatarPosition &a, const AvatarPosition &b, LocalChatMode mode)
{
    if (a.region != b.region)
        return false;
    const __int128 r = range(mode).raw();
    // Differences in 128 bits: positions far apart must not wrap around into "near". Rejecting
    // per axis first keeps the squares small enough that their sum cannot overflow either.
    // (FVec3's distanceSquared wraps like Fixed, which is right for the sim's arithmetic but
    // would let two avatars at opposite ends of the range of Fixed "hear" each other.)
    const FVec3 &p = a.position;
    const FVec3 &q = b.position;
    const __int128 d[3] = { static_cast<__int128>(p.x.raw()) - q.x.raw(),
        static_cast<__int128>(p.y.raw()) - q.y.raw(),
        static_cast<__int128>(p.z.raw()) - q.z.raw() };
    __int128 sum = 0;
    for (__int128 v : d) {
        if (v > r || v < -r)
            return false;
        sum += v * v;
    }
    return sum <= r * r;
}

QStringList LocalChat::hearers(
    const AvatarPositions &positions, const QString &speaker, LocalChatMode mode)
{
    const auto from = positions.positionOf(speaker);
    if (!from)
        return {};
    QStringList out;
    const QStringList candidates = positions.avatarsInRegion(from->region);
    for (const QString &avatar : candidates) {
        if (avatar == speaker)
            continue;
        const auto at = positions.positionOf(avatar);
        if (at && inRange(*from, *at, mode))
            out.append(avatar);
    }
    return out;
}

} // namespace metatopia
