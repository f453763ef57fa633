// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "ui/AvatarController.h"

#include "ui/WorldCoordinates.h"

#include <QCborArray>
#include <QCryptographicHash>

#include <cmath>

namespace metatopia {

namespace {

double clampInput(double value)
{
    return std::isfinite(value) ? qBound(-1.0, value, 1.0) : 0.0;
}

double wrapDegrees(double degrees)
{
    degrees = std::fmod(degrees, 360.0);
    if (degrees > 180.0)
        degrees -= 360.0;
    else if (degrees <= -180.0)
        degrees += 360.0;
    return degrees;
}

constexpr double MaxAltitude = 4096.0;

} // namespace

AvatarController::AvatarController(QObject *parent)
    : QObject(parent)
{
    m_clock.start();
    m_frame.setTimerType(Qt::PreciseTimer);
    m_frame.setInterval(16);
    connect(&m_frame, &QTimer::timeout, this, &AvatarController::onFrame);
}

AvatarController::~AvatarController() = default;

qint64 AvatarController::idForAccount(const QString &accountName)
{
    const QByteArray digest = QCryptographicHash::hash(
        accountName.toCaseFolded().toUtf8(), QCryptographicHash::Sha256);
    // 48 bits: positive, exact in a double (QML numbers), and collisions are negligible.
    qint64 id = 0;
    for (int i = 0; i < 6; ++i)
        id = (id << 8) | quint8(digest.at(i));
    return id == 0 ? 1 : id;
}

void AvatarController::setSession(WorldSession *session)
{
    if (m_session == session)
        return;
    m_session = session;
    emit sessionChanged();
}

QVector3D AvatarController::scenePosition() const
{
    return sceneFromSim(m_position);
}

void AvatarController::setForward(double value)
{
    value = clampInput(value);
    if (qFuzzyCompare(m_forward + 2, value + 2))
        return;
    m_forward = value;
    emit inputChanged();
}

void AvatarController::setTurn(double value)
{
    value = clampInput(value);
    if (qFuzzyCompare(m_turn + 2, value + 2))
        return;
    m_turn = value;
    emit inputChanged();
}

void AvatarController::setStrafe(double value)
{
    value = clampInput(value);
    if (qFuzzyCompare(m_strafe + 2, value + 2))
        return;
    m_strafe = value;
    emit inputChanged();
}

void AvatarController::setClimb(double value)
{
    value = clampInput(value);
    if (qFuzzyCompare(m_climb + 2, value + 2))
        return;
    m_climb = value;
    emit inputChanged();
}

void AvatarController::setRunning(bool on)
{
    if (m_running == on)
        return;
    m_running = on;
    emit inputChanged();
}

void AvatarController::setFlying(bool on)
{
    if (m_flying == on)
        return;
    m_flying = on;
    m_verticalSpeed = 0;
    emit flyingChanged();
    updateAnimation();
    maybeSendMove(true);
}

void AvatarController::setMaxMovesPerSecond(int value)
{
    value = qBound(1, value, 60);
    if (m_maxMovesPerSecond == value)
        return;
    m_maxMovesPerSecond = value;
    emit inputChanged();
}

void AvatarController::enter(const QString &accountName, const QVector3D &spawn, double heading)
{
    if (!m_session || accountName.isEmpty())
        return;
    m_name = accountName;
    m_avatarId = idForAccount(accountName);
    m_account = m_avatarId;
    emit identityChanged();
    if (const WorldAvatar *existing = m_session->avatars()->find(m_avatarId)) {
        m_position = existing->position;
        m_heading = existing->heading;
    } else {
        m_position = spawn;
        m_heading = heading;
    }
    m_position.setX(qBound(0.0f, m_position.x(), float(RegionSize)));
    m_position.setY(qBound(0.0f, m_position.y(), float(RegionSize)));
    m_position.setZ(qBound(0.0f, m_position.z(), float(MaxAltitude)));
    m_session->sendAction(QCborMap { { QStringLiteral("kind"), QStringLiteral("enter") },
        { QStringLiteral("avatar"), m_avatarId }, { QStringLiteral("account"), m_account },
        { QStringLiteral("name"), m_name },
        { QStringLiteral("x"), WorldSession::millimetres(m_position.x()) },
        { QStringLiteral("y"), WorldSession::millimetres(m_position.y()) },
        { QStringLiteral("z"), WorldSession::millimetres(m_position.z()) } });
    m_sentPosition = m_position;
    m_sentHeading = m_heading;
    m_sentAnimation = QStringLiteral("stand");
    m_inWorld = true;
    m_lastFrameMs = m_clock.elapsed();
    m_frame.start();
    emit inWorldChanged();
    emit positionChanged();
    // A position that was not the sim's (or a non-standing state) is said at once.
    updateAnimation();
    maybeSendMove(m_position.z() > 0.001f || m_flying);
}

void AvatarController::leave()
{
    if (!m_inWorld)
        return;
    m_frame.stop();
    m_inWorld = false;
    if (m_session)
        m_session->sendAction(QCborMap { { QStringLiteral("kind"), QStringLiteral("leave") },
            { QStringLiteral("avatar"), m_avatarId } });
    emit inWorldChanged();
}

void AvatarController::jump()
{
    if (!m_inWorld || m_flying || m_position.z() > 0.001f)
        return;
    m_verticalSpeed = JumpSpeed;
}

void AvatarController::teleport(const QVector3D &position)
{
    m_position = position;
    m_position.setX(qBound(0.0f, m_position.x(), float(RegionSize)));
    m_position.setY(qBound(0.0f, m_position.y(), float(RegionSize)));
    m_position.setZ(qBound(0.0f, m_position.z(), float(MaxAltitude)));
    emit positionChanged();
    maybeSendMove(true);
}

void AvatarController::onFrame()
{
    const qint64 now = m_clock.elapsed();
    // A stalled frame (a window drag, a debugger) must not turn into one giant step.
    const double seconds = qMin(0.1, double(now - m_lastFrameMs) / 1000.0);
    m_lastFrameMs = now;
    step(seconds);
}

void AvatarController::step(double seconds)
{
    if (!m_inWorld || seconds <= 0)
        return;
    const QVector3D before = m_position;
    const double headingBefore = m_heading;
    m_heading = wrapDegrees(m_heading + m_turn * TurnRate * seconds);
    const double speed = m_flying ? FlySpeed * (m_running ? 2.0 : 1.0)
                                  : (m_running ? RunSpeed : WalkSpeed);
    const double radians = m_heading * M_PI / 180.0;
    // forward along the heading, strafe to its left; together no faster than one of them.
    double fx = std::cos(radians) * m_forward - std::sin(radians) * m_strafe;
    double fy = std::sin(radians) * m_forward + std::cos(radians) * m_strafe;
    const double length = std::hypot(fx, fy);
    if (length > 1.0) {
        fx /= length;
        fy /= length;
    }
    double x = m_position.x() + fx * speed * seconds;
    double y = m_position.y() + fy * speed * seconds;
    double z = m_position.z();
    if (m_flying) {
        z += m_climb * ClimbSpeed * (m_running ? 2.0 : 1.0) * seconds;
    } else if (z > 0.0 || m_verticalSpeed > 0.0) {
        m_verticalSpeed -= Gravity * seconds;
        z += m_verticalSpeed * seconds;
        if (z <= 0.0) {
            z = 0.0;
            m_verticalSpeed = 0.0;
        }
    }
    m_position = QVector3D(float(qBound(0.0, x, RegionSize)), float(qBound(0.0, y, RegionSize)),
        float(qBound(0.0, z, MaxAltitude)));
    const QVector3D moved = m_position - before;
    m_speed = std::hypot(moved.x(), moved.y()) / seconds;
    if (moved != QVector3D() || !qFuzzyCompare(headingBefore, m_heading))
        emit positionChanged();
    updateAnimation();
    maybeSendMove(false);
}

void AvatarController::updateAnimation()
{
    QString animation;
    const bool moving = m_speed > 0.05;
    if (m_flying)
        animation = moving ? QStringLiteral("fly") : QStringLiteral("hover");
    else if (m_position.z() > 0.001f)
        animation = QStringLiteral("jump");
    else if (moving)
        animation = m_running ? QStringLiteral("run") : QStringLiteral("walk");
    else
        animation = QStringLiteral("stand");
    if (animation == m_animation)
        return;
    m_animation = animation;
    emit animationChanged();
}

void AvatarController::maybeSendMove(bool force)
{
    if (!m_inWorld || !m_session)
        return;
    const bool changed = (m_position - m_sentPosition).length() >= 0.001f
        || std::abs(wrapDegrees(m_heading - m_sentHeading)) >= 1.0
        || m_animation != m_sentAnimation;
    if (!changed)
        return;
    const qint64 now = m_clock.elapsed();
    // At most maxMovesPerSecond; what changed since (a stop, too) goes on a later frame.
    if (!force && now - m_lastSendMs < 1000 / m_maxMovesPerSecond)
        return;
    const QQuaternion rotation = simRotationForHeading(m_heading);
    auto raw = [](float value) { return qint64(std::llround(double(value) * FixedOne)); };
    m_session->sendAction(QCborMap { { QStringLiteral("kind"), QStringLiteral("move") },
        { QStringLiteral("avatar"), m_avatarId },
        { QStringLiteral("x"), WorldSession::millimetres(m_position.x()) },
        { QStringLiteral("y"), WorldSession::millimetres(m_position.y()) },
        { QStringLiteral("z"), WorldSession::millimetres(m_position.z()) },
        { QStringLiteral("animation"), m_animation },
        // The heading, for the others' view of this avatar (they fall back on the direction
        // of movement only when a rotation is the identity).
        { QStringLiteral("rot"),
            QCborArray { raw(rotation.scalar()), raw(rotation.x()), raw(rotation.y()),
                raw(rotation.z()) } } });
    m_lastSendMs = now;
    m_sentPosition = m_position;
    m_sentHeading = m_heading;
    m_sentAnimation = m_animation;
    ++m_movesSent;
    emit movesSentChanged();
}

} // namespace metatopia
