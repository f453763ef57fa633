// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include "ui/WorldSession.h"

#include <QElapsedTimer>
#include <QObject>
#include <QPointer>
#include <QTimer>
#include <QVector3D>
#include <QtQmlIntegration>

namespace metatopia {

// One's own avatar: keyboard input (forward/back, turn, strafe, climb; run and fly modes, jump)
// moves a locally predicted position every frame, so movement feels immediate, and the sim
// hears about it through "move" actions at a bounded rate (maxMovesPerSecond, only when
// something changed, and once more when the avatar stops). The sim has no physics for avatars
// yet: walking keeps the feet on the ground (z = 0), jumping and leaving fly mode fall back to it.
class AvatarController : public QObject
{
    Q_OBJECT
    QML_ELEMENT
    Q_PROPERTY(metatopia::WorldSession *session READ session WRITE setSession NOTIFY sessionChanged)
    Q_PROPERTY(qint64 avatarId READ avatarId NOTIFY identityChanged)
    Q_PROPERTY(qint64 account READ account NOTIFY identityChanged)
    Q_PROPERTY(QString name READ name NOTIFY identityChanged)
    Q_PROPERTY(bool inWorld READ inWorld NOTIFY inWorldChanged)
    Q_PROPERTY(QVector3D position READ position NOTIFY positionChanged) // sim metres
    Q_PROPERTY(QVector3D scenePosition READ scenePosition NOTIFY positionChanged)
    Q_PROPERTY(double heading READ heading NOTIFY positionChanged) // degrees from east
    Q_PROPERTY(double speed READ speed NOTIFY positionChanged) // horizontal m/s
    Q_PROPERTY(QString animation READ animation NOTIFY animationChanged)
    Q_PROPERTY(double forward READ forward WRITE setForward NOTIFY inputChanged) // -1..1
    Q_PROPERTY(double turn READ turn WRITE setTurn NOTIFY inputChanged) // -1..1, + = left
    Q_PROPERTY(double strafe READ strafe WRITE setStrafe NOTIFY inputChanged) // + = left
    Q_PROPERTY(double climb READ climb WRITE setClimb NOTIFY inputChanged) // fly: + = up
    Q_PROPERTY(bool running READ running WRITE setRunning NOTIFY inputChanged)
    Q_PROPERTY(bool flying READ flying WRITE setFlying NOTIFY flyingChanged)
    Q_PROPERTY(int maxMovesPerSecond READ maxMovesPerSecond WRITE setMaxMovesPerSecond NOTIFY
            inputChanged)
    Q_PROPERTY(int movesSent READ movesSent NOTIFY movesSentChanged)
public:
    static constexpr double WalkSpeed = 3.2; // m/s
    static constexpr double RunSpeed = 6.5;
    static constexpr double FlySpeed = 10.0;
    static constexpr double ClimbSpeed = 6.0;
    static constexpr double TurnRate = 120.0; // degrees/s
    static constexpr double Gravity = 12.0; // m/s^2, a little snappier than the real thing
    static constexpr double JumpSpeed = 5.0;
    static constexpr double RegionSize = 256.0;

    explicit AvatarController(QObject *parent = nullptr);
    ~AvatarController() override;

    // A stable avatar (and account) id for an account name: the chat login names the account
    // but the sim wants integers, and the same person must get the same avatar back.
    Q_INVOKABLE static qint64 idForAccount(const QString &accountName);

    WorldSession *session() const { return m_session; }
    void setSession(WorldSession *session);
    qint64 avatarId() const { return m_avatarId; }
    qint64 account() const { return m_account; }
    QString name() const { return m_name; }
    bool inWorld() const { return m_inWorld; }
    QVector3D position() const { return m_position; }
    QVector3D scenePosition() const;
    double heading() const { return m_heading; }
    double speed() const { return m_speed; }
    QString animation() const { return m_animation; }
    double forward() const { return m_forward; }
    void setForward(double value);
    double turn() const { return m_turn; }
    void setTurn(double value);
    double strafe() const { return m_strafe; }
    void setStrafe(double value);
    double climb() const { return m_climb; }
    void setClimb(double value);
    bool running() const { return m_running; }
    void setRunning(bool on);
    bool flying() const { return m_flying; }
    void setFlying(bool on);
    int maxMovesPerSecond() const { return m_maxMovesPerSecond; }
    void setMaxMovesPerSecond(int value);
    int movesSent() const { return m_movesSent; }

    // Enters the region as this account: where the avatar already is if the sim still has it
    // (a reconnect, a restart of the client), else at spawn (sim metres; heading in degrees).
    Q_INVOKABLE void enter(const QString &accountName, const QVector3D &spawn = { 128, 116, 0 },
        double heading = 90);
    Q_INVOKABLE void leave();
    Q_INVOKABLE void jump();
    Q_INVOKABLE void toggleFly() { setFlying(!m_flying); }
    Q_INVOKABLE void teleport(const QVector3D &position);
    // Advances the prediction by seconds (the frame timer calls it; public for tests).
    void step(double seconds);

signals:
    void sessionChanged();
    void identityChanged();
    void inWorldChanged();
    void positionChanged();
    void animationChanged();
    void inputChanged();
    void flyingChanged();
    void movesSentChanged();

private:
    void onFrame();
    void maybeSendMove(bool force);
    void updateAnimation();

    QPointer<WorldSession> m_session;
    qint64 m_avatarId = 0;
    qint64 m_account = 0;
    QString m_name;
    bool m_inWorld = false;
    QVector3D m_position { 128, 116, 0 };
    double m_heading = 90;
    double m_speed = 0;
    double m_verticalSpeed = 0;
    QString m_animation = QStringLiteral("stand");
    double m_forward = 0;
    double m_turn = 0;
    double m_strafe = 0;
    double m_climb = 0;
    bool m_running = false;
    bool m_flying = false;
    int m_maxMovesPerSecond = 10;
    int m_movesSent = 0;

    QTimer m_frame;
    QElapsedTimer m_clock;
    qint64 m_lastFrameMs = 0;
    qint64 m_lastSendMs = -1000000;
    QVector3D m_sentPosition;
    double m_sentHeading = 0;
    QString m_sentAnimation;
};

} // namespace metatopia
