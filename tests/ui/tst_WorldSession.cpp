// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
// WorldSession, AvatarController and ScriptInspector against a real local world (the chat
// server and three sim replicas as metatopia-server processes): the session subscribes and
// rebuilds the region, an avatar enters and walks and the model follows, a created object
// appears, its script comes back with its revision history after an edit, a greeter's answer and
// one's own line reach the session of the avatar that hears them (and not one 20 m and more
// away), killing the replica the session is connected to moves it to another one with the model
// intact, the actions sent meanwhile applied exactly once and no chat line lost or repeated, and
// malformed input is refused clearly.

#include "ui/AvatarController.h"
#include "ui/LocalWorld.h"
#include "ui/ScriptInspector.h"
#include "ui/WorldSession.h"

#include "FreePorts.h"

#include <QCborArray>
#include <QFile>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

using namespace metatopia;

namespace {

constexpr int waitMs = 30000;

QString exampleScript(const QString &name)
{
    QFile file(QStringLiteral(METATOPIA_SOURCE_DIR "/resources/scripts/") + name
        + QStringLiteral(".lua"));
    return file.open(QIODevice::ReadOnly) ? QString::fromUtf8(file.readAll()) : QString();
}

int countNamed(const ObjectListModel &model, const QString &name)
{
    int count = 0;
    for (const qint64 id : model.ids())
        count += model.find(id)->name == name ? 1 : 0;
    return count;
}

} // namespace

class TestWorldSession : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void subscribesAndEnters();
    void walkingMovesTheAvatarInTheSim();
    void createdObjectAppears();
    void scriptWithHistory();
    void heardChatReachesTheSession();
    void failoverKeepsTheModelAndResends();
    void malformedInput();
    void cleanupTestCase();

private:
    std::unique_ptr<WorldSession> makeSession();

    QTemporaryDir m_dir;
    std::unique_ptr<LocalWorld> m_world;
    std::unique_ptr<WorldSession> m_session;
    std::unique_ptr<AvatarController> m_avatar;
};

void TestWorldSession::initTestCase()
{
    QVERIFY(m_dir.isValid());
    LocalWorldOptions options;
    options.worldDir = m_dir.filePath(QStringLiteral("world"));
    options.serverBinary = LocalWorld::serverBinaryIn(QStringLiteral(METATOPIA_BIN_DIR));
    options.replicas = 3;
    options.basePort = test::freePortBlock();
    QVERIFY(options.basePort != 0);
    m_world = std::make_unique<LocalWorld>(options);
    QSignalSpy started(m_world.get(), &LocalWorld::started);
    QSignalSpy failed(m_world.get(), &LocalWorld::failed);
    QString error;
    QVERIFY2(m_world->start(&error), qPrintable(error));
    QTRY_VERIFY_WITH_TIMEOUT(!started.isEmpty() || !failed.isEmpty(), waitMs);
    QVERIFY2(failed.isEmpty(), qPrintable(failed.value(0).value(0).toString()));
}

void TestWorldSession::cleanupTestCase()
{
    m_avatar.reset();
    m_session.reset();
    m_world.reset();
}

std::unique_ptr<WorldSession> TestWorldSession::makeSession()
{
    auto session = std::make_unique<WorldSession>(m_dir.filePath(QStringLiteral("client-pins")));
    QStringList gateways;
    for (int id = 1; id <= m_world->replicaCount(); ++id)
        gateways << QStringLiteral("127.0.0.1:%1").arg(m_world->clientPort(id));
    session->setGateways(gateways);
    session->setReconnectDelays(50, 500);
    return session;
}

void TestWorldSession::subscribesAndEnters()
{
    m_session = makeSession();
    QSignalSpy synced(m_session.get(), &WorldSession::synced);
    m_session->start();
    QTRY_VERIFY_WITH_TIMEOUT(m_session->state() == WorldSession::State::Live, waitMs);
    QCOMPARE(synced.count(), 1);
    // Deltas follow tick by tick (a fresh cluster may still be electing its first leader).
    const qint64 tick = m_session->tick();
    QTRY_VERIFY_WITH_TIMEOUT(m_session->tick() > tick + 5, waitMs);

    m_avatar = std::make_unique<AvatarController>();
    m_avatar->setSession(m_session.get());
    m_avatar->enter(QStringLiteral("alice"), QVector3D(100, 90, 0), 90);
    QVERIFY(m_avatar->inWorld());
    QCOMPARE(m_avatar->avatarId(), AvatarController::idForAccount(QStringLiteral("alice")));
    QCOMPARE(AvatarController::idForAccount(QStringLiteral("Alice")), m_avatar->avatarId());
    QVERIFY(AvatarController::idForAccount(QStringLiteral("bob")) != m_avatar->avatarId());
    QTRY_VERIFY_WITH_TIMEOUT(m_session->avatars()->find(m_avatar->avatarId()) != nullptr, waitMs);
    const WorldAvatar *own = m_session->avatars()->find(m_avatar->avatarId());
    QCOMPARE(own->name, QStringLiteral("alice"));
    QCOMPARE(own->account, m_avatar->account());
    QVERIFY(qAbs(own->position.x() - 100) < 0.01f && qAbs(own->position.y() - 90) < 0.01f);
    QTRY_COMPARE_WITH_TIMEOUT(m_session->pendingActions(), 0, waitMs);
}

void TestWorldSession::walkingMovesTheAvatarInTheSim()
{
    QVERIFY(m_avatar && m_avatar->inWorld());
    const qint64 id = m_avatar->avatarId();
    const int sentBefore = m_avatar->movesSent();
    QElapsedTimer walked;
    walked.start();
    // Heading 90: north, +y. Running.
    m_avatar->setRunning(true);
    m_avatar->setForward(1);
    // The prediction moves at once, the sim follows through move actions.
    QTRY_VERIFY_WITH_TIMEOUT(m_avatar->position().y() > 92, waitMs);
    QCOMPARE(m_avatar->animation(), QStringLiteral("run"));
    QTRY_VERIFY_WITH_TIMEOUT(m_session->avatars()->find(id)->position.y() > 92, waitMs);
    QCOMPARE(m_session->avatars()->find(id)->animation, QStringLiteral("run"));
    m_avatar->setForward(0);
    m_avatar->setRunning(false);
    const qint64 elapsed = walked.elapsed();
    // The stop reaches the sim: it ends exactly where the prediction stopped.
    QTRY_VERIFY_WITH_TIMEOUT(m_session->avatars()->find(id)->animation == QLatin1String("stand"),
        waitMs);
    const QVector3D stopped = m_avatar->position();
    QTRY_VERIFY_WITH_TIMEOUT(
        (m_session->avatars()->find(id)->position - stopped).length() < 0.002f, waitMs);
    QVERIFY(qAbs(m_session->avatars()->find(id)->position.x() - 100) < 0.01f);
    // Bounded rate: at most 10 moves a second (plus the final stop).
    const int sent = m_avatar->movesSent() - sentBefore;
    QVERIFY2(sent >= 2, qPrintable(QString::number(sent)));
    QVERIFY2(sent <= elapsed / 100 + 3,
        qPrintable(QStringLiteral("%1 moves in %2 ms").arg(sent).arg(elapsed)));
    // Standing still sends nothing.
    const int idle = m_avatar->movesSent();
    QTest::qWait(300);
    QCOMPARE(m_avatar->movesSent(), idle);

    // Turning left (counterclockwise) then walking goes west-ish; others see the heading from
    // the movement.
    m_avatar->step(0.0); // no-op
    m_avatar->setTurn(1);
    QTRY_VERIFY_WITH_TIMEOUT(m_avatar->heading() > 170 || m_avatar->heading() < -170, waitMs);
    m_avatar->setTurn(0);
    const float x = m_avatar->position().x();
    m_avatar->setForward(1);
    QTRY_VERIFY_WITH_TIMEOUT(m_session->avatars()->find(id)->position.x() < x - 1, waitMs);
    m_avatar->setForward(0);
    const double heading = m_session->avatars()->find(id)->heading;
    QVERIFY2(heading > 150 || heading < -150, qPrintable(QString::number(heading)));

    // Turning on the spot: nothing moves, yet others see the new heading, from the rotation
    // the move carries and the sim keeps.
    m_avatar->setTurn(1);
    QTRY_VERIFY_WITH_TIMEOUT(m_avatar->heading() > -100 && m_avatar->heading() < -80, waitMs);
    m_avatar->setTurn(0);
    const double turnedTo = m_avatar->heading();
    const auto seenHeading = [&] { return m_session->avatars()->find(id)->heading; };
    QTRY_VERIFY2_WITH_TIMEOUT(qAbs(seenHeading() - turnedTo) < 2,
        qPrintable(QStringLiteral("seen %1, turned to %2").arg(seenHeading()).arg(turnedTo)),
        waitMs);

    // Flying climbs; leaving fly mode falls back to the ground.
    m_avatar->setFlying(true);
    m_avatar->setClimb(1);
    QTRY_VERIFY_WITH_TIMEOUT(m_session->avatars()->find(id)->position.z() > 2, waitMs);
    QCOMPARE(m_avatar->animation(), QStringLiteral("hover"));
    m_avatar->setClimb(0);
    m_avatar->setFlying(false);
    QTRY_VERIFY_WITH_TIMEOUT(m_avatar->position().z() == 0.0f, waitMs);
    QTRY_VERIFY_WITH_TIMEOUT(m_session->avatars()->find(id)->position.z() == 0.0f, waitMs);
}

void TestWorldSession::createdObjectAppears()
{
    QVERIFY(m_avatar && m_avatar->inWorld());
    QSignalSpy acked(m_session.get(), &WorldSession::actionAcknowledged);
    const QString clock = exampleScript(QStringLiteral("clock"));
    QVERIFY(!clock.isEmpty());
    const quint64 seq = quint64(m_session->createObject(QStringLiteral("clock-1"), QString(), clock,
        m_avatar->account(), QVector3D(120, 128, 1)));
    QTRY_VERIFY_WITH_TIMEOUT(
        m_session->objects()->idOfName(QStringLiteral("clock-1")) != 0, waitMs);
    QTRY_VERIFY_WITH_TIMEOUT(!acked.isEmpty(), waitMs);
    QCOMPARE(acked.first().at(0).toULongLong(), seq);
    const WorldObject *object
        = m_session->objects()->find(m_session->objects()->idOfName(QStringLiteral("clock-1")));
    QVERIFY(object->scripted);
    QCOMPARE(object->owner, m_avatar->account());
    QVERIFY(qAbs(object->position.x() - 120) < 0.01f && qAbs(object->position.z() - 1) < 0.01f);
    // The script runs: its floating text becomes the time, and the model follows.
    const qint64 id = object->id;
    QTRY_VERIFY_WITH_TIMEOUT(m_session->objects()->find(id)->text.contains(QLatin1Char(':')), waitMs);
    const QVariantMap row = m_session->objects()->byId(id);
    QCOMPARE(row.value(QStringLiteral("name")).toString(), QStringLiteral("clock-1"));
    QCOMPARE(row.value(QStringLiteral("scenePosition")).value<QVector3D>(), QVector3D(120, 1, -128));
}

void TestWorldSession::scriptWithHistory()
{
    QVERIFY(m_avatar && m_avatar->inWorld());
    const qint64 id = m_session->objects()->idOfName(QStringLiteral("clock-1"));
    QVERIFY(id != 0);
    ScriptInspector inspector;
    inspector.setSession(m_session.get());
    inspector.setObjectId(id);
    QVERIFY(inspector.loading());
    QTRY_VERIFY_WITH_TIMEOUT(!inspector.loading(), waitMs);
    QVERIFY(inspector.exists());
    QCOMPARE(inspector.name(), QStringLiteral("clock-1"));
    QVERIFY(inspector.hasScript());
    QCOMPARE(inspector.source(), exampleScript(QStringLiteral("clock")));
    QCOMPARE(inspector.history().size(), 0);
    const int firstRevision = inspector.revision();

    const QString edited = QStringLiteral("set_text(\"edited\")\n");
    m_session->editScript(m_avatar->account(), id, edited);
    QTRY_VERIFY_WITH_TIMEOUT(m_session->objects()->find(id)->text == QLatin1String("edited"), waitMs);
    inspector.refresh();
    QTRY_VERIFY_WITH_TIMEOUT(!inspector.loading() && inspector.source() == edited, waitMs);
    QVERIFY(inspector.revision() > firstRevision);
    QCOMPARE(inspector.author(), m_avatar->account());
    QCOMPARE(inspector.history().size(), 1);
    QCOMPARE(inspector.sourceOfRevision(firstRevision), exampleScript(QStringLiteral("clock")));

    // An object without a script answers without a source.
    m_session->createObject(QStringLiteral("plain"), QStringLiteral("just a box"), QString(), 0,
        QVector3D(124, 128, 0.5));
    QTRY_VERIFY_WITH_TIMEOUT(m_session->objects()->idOfName(QStringLiteral("plain")) != 0, waitMs);
    inspector.setObjectId(m_session->objects()->idOfName(QStringLiteral("plain")));
    QTRY_VERIFY_WITH_TIMEOUT(!inspector.loading(), waitMs);
    QVERIFY(!inspector.hasScript());
    QCOMPARE(inspector.text(), QStringLiteral("just a box"));
    QVERIFY(inspector.errorText().isEmpty());
}

namespace {

QStringList heardTexts(const QSignalSpy &spy)
{
    QStringList out;
    for (const QList<QVariant> &args : spy)
        out << args.at(0).toMap().value(QStringLiteral("name")).toString() + QStringLiteral(": ")
                + args.at(0).toMap().value(QStringLiteral("text")).toString();
    return out;
}

} // namespace

void TestWorldSession::heardChatReachesTheSession()
{
    QVERIFY(m_avatar && m_avatar->inWorld());
    const qint64 alice = m_avatar->avatarId();
    QCOMPARE(m_session->listenAvatar(), alice);
    const QVector3D at = m_session->avatars()->find(alice)->position;
    // A greeter 3 m from alice; bob enters 60 m away on a session of his own.
    m_session->createObject(QStringLiteral("greeter-1"), QString(),
        exampleScript(QStringLiteral("greeter")), m_avatar->account(), at + QVector3D(3, 0, 0));
    QTRY_VERIFY_WITH_TIMEOUT(
        m_session->objects()->idOfName(QStringLiteral("greeter-1")) != 0, waitMs);
    const qint64 greeter = m_session->objects()->idOfName(QStringLiteral("greeter-1"));
    auto bobSession = makeSession();
    bobSession->start();
    QTRY_VERIFY_WITH_TIMEOUT(bobSession->state() == WorldSession::State::Live, waitMs);
    AvatarController bob;
    bob.setSession(bobSession.get());
    bob.enter(QStringLiteral("bob"), at + QVector3D(0, 60, 0), 90);
    QCOMPARE(bobSession->listenAvatar(), bob.avatarId());
    QTRY_VERIFY_WITH_TIMEOUT(m_session->avatars()->find(bob.avatarId()) != nullptr, waitMs);
    QTRY_COMPARE_WITH_TIMEOUT(bobSession->pendingActions(), 0, waitMs);

    QSignalSpy aliceHeard(m_session.get(), &WorldSession::heard);
    QSignalSpy bobHeard(bobSession.get(), &WorldSession::heard);
    const int nearbyBefore = m_session->nearby()->count();
    m_session->say(alice, QStringLiteral("hello there"));
    // Her own line once, then the greeter's answer.
    QTRY_COMPARE_WITH_TIMEOUT(aliceHeard.count(), 2, waitMs);
    QCOMPARE(heardTexts(aliceHeard),
        QStringList(
            { QStringLiteral("alice: hello there"), QStringLiteral("greeter-1: Hello, alice!") }));
    const QVariantMap own = aliceHeard.at(0).at(0).toMap();
    QCOMPARE(own.value(QStringLiteral("speaker")).toLongLong(), alice);
    QVERIFY(own.value(QStringLiteral("fromAvatar")).toBool());
    const QVariantMap answer = aliceHeard.at(1).at(0).toMap();
    QCOMPARE(answer.value(QStringLiteral("speaker")).toLongLong(), greeter);
    QVERIFY(!answer.value(QStringLiteral("fromAvatar")).toBool());
    QCOMPARE(answer.value(QStringLiteral("channel")).toLongLong(), qint64(0));
    QCOMPARE(answer.value(QStringLiteral("range")).toString(), QStringLiteral("say"));
    QVERIFY(answer.value(QStringLiteral("tick")).toLongLong()
        >= own.value(QStringLiteral("tick")).toLongLong());
    // The nearby model shows the same rows, hers as her own.
    QCOMPARE(m_session->nearby()->count(), nearbyBefore + 2);
    const QModelIndex ownRow = m_session->nearby()->index(nearbyBefore);
    QCOMPARE(ownRow.data(MessageListModel::TextRole).toString(), QStringLiteral("hello there"));
    QVERIFY(ownRow.data(MessageListModel::OwnRole).toBool());
    const QModelIndex answerRow = m_session->nearby()->index(nearbyBefore + 1);
    QCOMPARE(answerRow.data(MessageListModel::FromRole).toString(), QStringLiteral("greeter-1"));
    QVERIFY(!answerRow.data(MessageListModel::OwnRole).toBool());

    // Bob, 60 m away, hears only himself; by the time his line reached alice's stream, it has
    // been passed over.
    bobSession->say(bob.avatarId(), QStringLiteral("anyone?"));
    QTRY_COMPARE_WITH_TIMEOUT(bobHeard.count(), 1, waitMs);
    QCOMPARE(heardTexts(bobHeard), QStringList({ QStringLiteral("bob: anyone?") }));
    const qint64 bobTick = bobHeard.at(0).at(0).toMap().value(QStringLiteral("tick")).toLongLong();
    QTRY_VERIFY_WITH_TIMEOUT(m_session->tick() >= bobTick, waitMs);
    QCOMPARE(aliceHeard.count(), 2);

    bob.leave();
    QCOMPARE(bobSession->listenAvatar(), qint64(0));
    QTRY_COMPARE_WITH_TIMEOUT(bobSession->pendingActions(), 0, waitMs);
    bobSession->stop();
}

void TestWorldSession::failoverKeepsTheModelAndResends()
{
    QSignalSpy heard(m_session.get(), &WorldSession::heard);
    QVERIFY(m_avatar && m_avatar->inWorld());
    const QString before = m_session->gateway();
    const int replica = int(before.section(QLatin1Char(':'), 1).toUInt() - m_world->clientPort(1)) + 1;
    QVERIFY(m_world->replica(replica) != nullptr);
    const qsizetype objectsBefore = m_session->objects()->count();
    const int reconnects = m_session->reconnects();

    // Kill the replica this session is connected to, and act at once: these actions are sent
    // into a dying connection or queued, and must take effect exactly once after the failover.
    m_world->killReplica(replica);
    for (int i = 0; i < 5; ++i) {
        m_session->createObject(QStringLiteral("during-%1").arg(i), QString(), QString(), 0,
            QVector3D(130 + i, 132, 0.5));
    }
    QTRY_VERIFY_WITH_TIMEOUT(m_session->reconnects() > reconnects, waitMs);
    QTRY_VERIFY_WITH_TIMEOUT(
        m_session->state() == WorldSession::State::Live && m_session->gateway() != before, waitMs);
    QTRY_COMPARE_WITH_TIMEOUT(m_session->pendingActions(), 0, waitMs);
    for (int i = 0; i < 5; ++i) {
        QTRY_COMPARE_WITH_TIMEOUT(
            countNamed(*m_session->objects(), QStringLiteral("during-%1").arg(i)), 1, waitMs);
    }
    QCOMPARE(m_session->objects()->count(), objectsBefore + 5);

    // The model equals a fresh session's view of the same cluster.
    auto fresh = makeSession();
    fresh->start();
    QTRY_VERIFY_WITH_TIMEOUT(fresh->state() == WorldSession::State::Live, waitMs);
    const qint64 tick = fresh->tick();
    QTRY_VERIFY_WITH_TIMEOUT(m_session->tick() >= tick, waitMs);
    QList<qint64> mine = m_session->objects()->ids();
    QList<qint64> theirs = fresh->objects()->ids();
    std::sort(mine.begin(), mine.end());
    std::sort(theirs.begin(), theirs.end());
    QCOMPARE(mine, theirs);
    QVERIFY(fresh->avatars()->find(m_avatar->avatarId()) != nullptr);

    // The avatar still moves through the new replica.
    const qint64 id = m_avatar->avatarId();
    const float y = m_session->avatars()->find(id)->position.y();
    m_avatar->setTurn(-1);
    QTRY_VERIFY_WITH_TIMEOUT(qAbs(m_avatar->heading() - 90) < 10, waitMs);
    m_avatar->setTurn(0);
    m_avatar->setForward(1);
    QTRY_VERIFY_WITH_TIMEOUT(m_session->avatars()->find(id)->position.y() > y + 1, waitMs);
    m_avatar->setForward(0);

    // Chat goes on through the new replica: nothing heard before the failover comes again.
    QCOMPARE(heard.count(), 0);
    m_session->say(id, QStringLiteral("hello again"));
    QTRY_COMPARE_WITH_TIMEOUT(heard.count(), 2, waitMs);
    QCOMPARE(heardTexts(heard),
        QStringList(
            { QStringLiteral("alice: hello again"), QStringLiteral("greeter-1: Hello, alice!") }));

    m_world->startReplica(replica);
    QTRY_VERIFY_WITH_TIMEOUT(m_world->replica(replica)->isRunning(), waitMs);
}

void TestWorldSession::malformedInput()
{
    QVERIFY(m_avatar && m_avatar->inWorld());
    QString error;
    QVERIFY(!WorldSession::parseGateways(QStringLiteral("localhost"), &error));
    QVERIFY(error.contains(QStringLiteral("host:port")));
    QVERIFY(!WorldSession::parseGateways(QStringLiteral("a:1,b:99999"), &error));
    QVERIFY(!WorldSession::parseGateways(QStringLiteral(" , "), &error));
    QCOMPARE(WorldSession::parseGateways(QStringLiteral("a:1, b:2"))->size(), 2);

    // Records of the wrong shape are refused with a reason, never half-applied.
    QVERIFY(!WorldObject::fromCbor(QCborValue(42), &error));
    QVERIFY(!WorldObject::fromCbor(QCborMap { { QStringLiteral("id"), -3 } }, &error));
    QVERIFY(!WorldObject::fromCbor(QCborMap { { QStringLiteral("id"), 5 },
                                        { QStringLiteral("pos"), QCborArray { 1, 2 } },
                                        { QStringLiteral("scale"), QCborArray { 1, 2, 3 } },
                                        { QStringLiteral("rot"), QCborArray { 1, 0, 0, 0 } } },
        &error));
    QVERIFY(error.contains(QStringLiteral("object 5")));
    QVERIFY(!WorldAvatar::fromCbor(QCborMap { { QStringLiteral("id"), 7 },
                                        { QStringLiteral("pos"), QStringLiteral("here") } },
        &error));
    const qint64 one = qint64(1) << 32;
    const auto ok = WorldObject::fromCbor(QCborMap { { QStringLiteral("id"), 5 },
        { QStringLiteral("pos"), QCborArray { 3 * one, 4 * one, one / 2 } },
        { QStringLiteral("scale"), QCborArray { one, 2 * one, 3 * one } },
        { QStringLiteral("rot"), QCborArray { one, 0, 0, 0 } },
        { QStringLiteral("colour"), qint64(0xff000080) } });
    QVERIFY(ok);
    QCOMPARE(ok->position, QVector3D(3, 4, 0.5f));
    QCOMPARE(ok->qcolor(), QColor(255, 0, 0, 128));

    // An action the sim cannot parse is refused and not resent forever.
    QSignalSpy refused(m_session.get(), &WorldSession::actionRefused);
    const quint64 seq = m_session->sendAction(QCborMap { { QStringLiteral("kind"), QStringLiteral("move") },
        { QStringLiteral("avatar"), m_avatar->avatarId() } });
    QTRY_VERIFY_WITH_TIMEOUT(!refused.isEmpty(), waitMs);
    QCOMPARE(refused.first().at(0).toULongLong(), seq);
    QVERIFY(refused.first().at(1).toString().contains(QStringLiteral("x, y, z")));
    QCOMPARE(m_session->pendingActions(), 0);

    // A script of an object that does not exist: a clear error, the session goes on.
    QSignalSpy failed(m_session.get(), &WorldSession::scriptFailed);
    m_session->requestScript(987654321);
    QTRY_VERIFY_WITH_TIMEOUT(!failed.isEmpty(), waitMs);
    QVERIFY(failed.first().at(1).toString().contains(QStringLiteral("no object")));
    QCOMPARE(m_session->state(), WorldSession::State::Live);

    // A gateway that is not there: the session keeps trying the list, the others carry it.
    auto session = makeSession();
    session->setGateways(QStringList { QStringLiteral("127.0.0.1:1") } + m_session->gateways());
    session->start();
    QTRY_VERIFY_WITH_TIMEOUT(session->state() == WorldSession::State::Live, waitMs);
    QVERIFY(session->reconnects() >= 1);
}

QTEST_GUILESS_MAIN(TestWorldSession)
#include "tst_WorldSession.moc"
