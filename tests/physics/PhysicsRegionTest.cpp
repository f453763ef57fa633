// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
// Two adjacent regions on real Bullet, wired directly so that the test can lose, repeat or cut
// their messages: the ownership rule for collisions, ghosts within the border margin, and the
// hand-off that moves a body exactly once, also when messages are lost or repeated and when a
// neighbour dies. After every tick: never two owners, and "no owner" only while a commit is in
// transit.

#include "physics/PhysicsRegion.h"

#include <QTest>

#include <functional>

using namespace metatopia;
using namespace metatopia::physics;

namespace {

PhysicsConfig floating()
{
    PhysicsConfig c;
    c.regionSize = Fixed::fromInt(64);
    c.borderMargin = Fixed::fromInt(8);
    c.gravity = FVec3::zero();
    c.ground = false;
    return c;
}

BodyDesc ball(BodyId id)
{
    BodyDesc d;
    d.id = id;
    d.shape = Shape::Sphere;
    d.size = { Fixed::one(), Fixed::zero(), Fixed::zero() };
    d.mass = Fixed::one();
    d.restitution = Fixed::one();
    d.friction = Fixed::zero();
    return d;
}

BodyState at(Fixed x, Fixed y, Fixed z, Fixed vx)
{
    BodyState s;
    s.position = { x, y, z };
    s.linearVelocity = { vx, Fixed::zero(), Fixed::zero() };
    return s;
}

Fixed f(std::int64_t v)
{
    return Fixed::fromInt(v);
}

template<typename T> std::vector<T> eventsOf(const std::vector<StepReply> &replies)
{
    std::vector<T> out;
    for (const StepReply &reply : replies) {
        for (const PhysicsEvent &event : reply.events) {
            if (const auto *e = std::get_if<T>(&event))
                out.push_back(*e);
        }
    }
    return out;
}

bool hasTransformFor(const std::vector<StepReply> &replies, BodyId id)
{
    for (const TransformEvent &t : eventsOf<TransformEvent>(replies)) {
        if (t.id == id)
            return true;
    }
    return false;
}

// Region Y at (0, 0) and Z at (1, 0), stepped in lockstep by the test (the main sims' part),
// their messages delivered after each tick through filters that can drop or repeat them.
class TwoRegions
{
public:
    explicit TwoRegions(const PhysicsConfig &config = floating())
        : m_config(config)
        , y(std::make_unique<PhysicsRegion>(RegionCoord { 0, 0 }, config))
        , z(std::make_unique<PhysicsRegion>(RegionCoord { 1, 0 }, config))
    {
        setLink(true);
    }

    void setLink(bool up)
    {
        y->setNeighbourLink(z->coord(), up);
        z->setNeighbourLink(y->coord(), up);
    }
    // Z dies and a fresh Z (empty, tick 0 -> catches up on its next step) takes its place.
    void restartZ()
    {
        setLink(false);
        z = std::make_unique<PhysicsRegion>(RegionCoord { 1, 0 }, m_config);
        zTick = 0;
    }

    bool step(std::vector<BodyChange> yChanges = {}, std::vector<BodyChange> zChanges = {})
    {
        ++tick;
        const auto ry = y->step({ tick, std::move(yChanges) });
        const auto rz = z->step({ std::max(tick, zTick), std::move(zChanges) });
        if (!ry || !rz)
            return false;
        zTick = tick;
        yReplies.push_back(*ry);
        zReplies.push_back(*rz);
        deliver();
        return true;
    }

    // Delivers until both outboxes are empty (hand-off replies need a few rounds).
    void deliver()
    {
        for (int round = 0; round < 8; ++round) {
            bool any = false;
            for (auto [from, to] :
                { std::pair { y.get(), z.get() }, std::pair { z.get(), y.get() } }) {
                for (const auto &[destination, batch] : from->takeOutgoing()) {
                    if (destination != to->coord())
                        continue; // only two regions here
                    any = true;
                    NeighbourBatch kept { batch.from, batch.tick, {} };
                    bool cut = false;
                    for (const NeighbourMessage &m : batch.messages) {
                        if (cut)
                            break; // a cut link loses everything after the lost message
                        if (loseAndCut && loseAndCut(m)) {
                            loseAndCut = {};
                            cut = true;
                            continue;
                        }
                        kept.messages.push_back(m);
                        if (repeat)
                            kept.messages.push_back(m);
                    }
                    to->receive(kept);
                    if (repeat)
                        to->receive(kept);
                    if (cut) {
                        setLink(false);
                        linkCuts++;
                    }
                }
            }
            if (!any)
                break;
        }
    }

    // Exactly one owner, or none while a commit is in transit.
    bool singleOwner(BodyId id) const
    {
        const int owners = int(y->owns(id)) + int(z->owns(id));
        const auto transit = [&](const PhysicsRegion &r) {
            const auto ids = r.inTransit();
            return std::count(ids.begin(), ids.end(), id) > 0;
        };
        return owners == 1 || (owners == 0 && (transit(*y) || transit(*z)));
    }

    PhysicsConfig m_config;
    std::unique_ptr<PhysicsRegion> y;
    std::unique_ptr<PhysicsRegion> z;
    std::uint64_t tick = 0;
    std::uint64_t zTick = 0;
    std::vector<StepReply> yReplies;
    std::vector<StepReply> zReplies;
    bool repeat = false;
    // Returns true for the message to lose; the link is then cut (as a dropped TCP connection
    // would) and the filter is cleared.
    std::function<bool(const NeighbourMessage &)> loseAndCut;
    int linkCuts = 0;
};

template<typename T> std::function<bool(const NeighbourMessage &)> lose()
{
    return [](const NeighbourMessage &m) { return std::holds_alternative<T>(m); };
}

// A ball at Y's x = 60 thrown at 10 m/s across x = 64 into Z.
void throwAcross(TwoRegions &r, BodyId id = 7)
{
    r.step({ AddBody { ball(id), at(f(60), f(32), f(10), f(10)) } });
}

} // namespace

class PhysicsRegionTest : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void collisionsFollowOwnership()
    {
        TwoRegions r;
        // A (id 1) owned by Y at x = 58, B (id 2) owned by Z at its x = 6 (70 in Y's terms),
        // flying at each other; they meet near the border, each centre on its own side.
        QVERIFY(r.step({ AddBody { ball(1), at(f(58), f(32), f(10), f(4)) } },
            { AddBody { ball(2), at(f(6), f(32), f(10), f(-4)) } }));
        for (int i = 0; i < 120; ++i) {
            QVERIFY(r.step());
            QVERIFY(r.singleOwner(1) && r.singleOwner(2));
        }
        // Each side saw the other as a ghost.
        const auto yCollisions = eventsOf<CollisionEvent>(r.yReplies);
        const auto zCollisions = eventsOf<CollisionEvent>(r.zReplies);
        QCOMPARE(yCollisions, (std::vector<CollisionEvent> { { 1, 2 } })); // "A hit by B"
        QCOMPARE(zCollisions, (std::vector<CollisionEvent> { { 2, 1 } })); // "B hit by A"
        // Nobody reports about the other's body, and nothing moved region.
        for (const TransformEvent &t : eventsOf<TransformEvent>(r.yReplies))
            QCOMPARE(t.id, BodyId(1));
        for (const TransformEvent &t : eventsOf<TransformEvent>(r.zReplies))
            QCOMPARE(t.id, BodyId(2));
        QVERIFY(eventsOf<HandedOffEvent>(r.yReplies).empty());
        QVERIFY(eventsOf<HandedOffEvent>(r.zReplies).empty());
        // They bounced apart (restitution 1): A flies back into Y, B into Z.
        QVERIFY(r.y->body(1)->state.linearVelocity.x < f(-3));
        QVERIFY(r.z->body(2)->state.linearVelocity.x > f(3));
    }

    void ghostsAppearWithinMarginAndVanish()
    {
        TwoRegions r;
        QVERIFY(r.step({ AddBody { ball(3), at(f(50), f(32), f(10), f(4)) } }));
        QVERIFY(!r.z->body(3));
        bool appeared = false;
        for (int i = 0; i < 90 && !appeared; ++i) {
            QVERIFY(r.step());
            const auto mine = r.y->body(3);
            const auto ghost = r.z->body(3);
            if (mine->state.position.x < f(56) - Fixed::fromRatio(1, 4)) {
                QVERIFY2(!ghost, "no ghost outside the margin");
            }
            if (ghost) {
                appeared = true;
                QCOMPARE(ghost->role, PhysicsRegion::Role::Ghost);
                QCOMPARE(ghost->neighbour, (RegionCoord { 0, 0 }));
                // In Z's coordinates: 64 m less on x.
                QVERIFY((ghost->state.position.x - (mine->state.position.x - f(64))).abs()
                    < Fixed::fromRatio(1, 2));
                QVERIFY(mine->state.position.x >= f(56));
            }
        }
        QVERIFY(appeared);
        // Turn back: the ghost vanishes once the ball left the margin.
        QVERIFY(
            r.step({ SetVelocity { 3, { f(-4), Fixed::zero(), Fixed::zero() }, FVec3::zero() } }));
        bool vanished = false;
        for (int i = 0; i < 90 && !vanished; ++i) {
            QVERIFY(r.step());
            vanished = !r.z->body(3);
            if (vanished)
                QVERIFY(r.y->body(3)->state.position.x < f(56));
        }
        QVERIFY(vanished);
        QVERIFY(r.zReplies.back().events.empty());

        // A static body (mass 0) near the border never moves, yet is mirrored at once and kept.
        BodyDesc wall = ball(4);
        wall.mass = Fixed::zero();
        QVERIFY(r.step({ AddBody { wall, at(f(62), f(10), f(10), f(0)) } }));
        QVERIFY(r.z->body(4));
        QCOMPARE(r.z->body(4)->role, PhysicsRegion::Role::Ghost);
        for (int i = 0; i < 2 * r.m_config.ghostTimeoutTicks; ++i)
            QVERIFY(r.step());
        QVERIFY(r.z->body(4)); // refreshed before it could time out
        QCOMPARE(r.z->body(4)->state.position.x, f(-2));
        QVERIFY(!hasTransformFor(r.zReplies, 3));
        QVERIFY(eventsOf<CollisionEvent>(r.zReplies).empty());
    }

    void handOffOnce_data()
    {
        QTest::addColumn<bool>("repeat");
        QTest::newRow("clean") << false;
        QTest::newRow("every message twice") << true;
    }

    void handOffOnce()
    {
        QFETCH(bool, repeat);
        TwoRegions r;
        r.repeat = repeat;
        throwAcross(r);
        for (int i = 0; i < 90; ++i) {
            QVERIFY(r.step());
            QVERIFY(r.singleOwner(7));
        }
        const auto left = eventsOf<HandedOffEvent>(r.yReplies);
        const auto arrived = eventsOf<ArrivedEvent>(r.zReplies);
        QCOMPARE(left, (std::vector<HandedOffEvent> { { 7, { 1, 0 } } }));
        QCOMPARE(arrived.size(), std::size_t(1));
        QCOMPARE(arrived[0].desc, ball(7));
        QCOMPARE(arrived[0].from, (RegionCoord { 0, 0 }));
        // It arrived just past Z's west border with its velocity.
        QVERIFY(arrived[0].state.position.x >= Fixed::zero());
        QVERIFY(arrived[0].state.position.x < f(1));
        QVERIFY((arrived[0].state.linearVelocity.x - f(10)).abs() < Fixed::fromRatio(1, 100));
        QVERIFY(eventsOf<ArrivedEvent>(r.yReplies).empty());
        QVERIFY(eventsOf<HandedOffEvent>(r.zReplies).empty());
        // Z owns it, it flew on at 10 m/s (90 ticks = 2 s from x = 60 in Y: about 16 in Z).
        QVERIFY(r.z->owns(7) && !r.y->owns(7));
        const auto info = r.z->body(7);
        QVERIFY(info->state.position.x > f(14) && info->state.position.x < f(18));
        QVERIFY((info->state.linearVelocity.x - f(10)).abs() < Fixed::fromRatio(1, 100));
        // Z reports its transforms now; Y's transforms of it stopped at the hand-off.
        QVERIFY(hasTransformFor(r.zReplies, 7));
        QVERIFY(r.y->inTransit().empty());
        QVERIFY(!r.y->body(7)); // past the margin: not even a ghost in Y any more
    }

    void lostAcceptKeepsOwner()
    {
        TwoRegions r;
        r.loseAndCut = lose<HandoffAccept>();
        throwAcross(r);
        for (int i = 0; i < 30; ++i) {
            QVERIFY(r.step());
            QVERIFY(r.singleOwner(7));
        }
        QCOMPARE(r.linkCuts, 1);
        // The link is down: Y kept the ball (flying on beyond its border) and reports it.
        QVERIFY(r.y->owns(7));
        QVERIFY(!r.z->body(7));
        QVERIFY(r.y->body(7)->state.position.x > f(64));
        QVERIFY(r.yReplies.back().events.size() == 1);
        r.setLink(true);
        for (int i = 0; i < 90; ++i) {
            QVERIFY(r.step());
            QVERIFY(r.singleOwner(7));
        }
        // Offered again once the link was back: handed off exactly once.
        QCOMPARE(eventsOf<HandedOffEvent>(r.yReplies).size(), std::size_t(1));
        QCOMPARE(eventsOf<ArrivedEvent>(r.zReplies).size(), std::size_t(1));
        QVERIFY(r.z->owns(7));
    }

    void lostCommitIsResent()
    {
        TwoRegions r;
        r.loseAndCut = lose<HandoffCommit>();
        throwAcross(r);
        bool sawTransit = false;
        for (int i = 0; i < 30; ++i) {
            QVERIFY(r.step());
            QVERIFY(r.singleOwner(7));
            sawTransit = sawTransit || !r.y->inTransit().empty();
        }
        QCOMPARE(r.linkCuts, 1);
        QVERIFY(sawTransit);
        // Nobody owns it while the commit waits in Y; nobody reports about it.
        QVERIFY(!r.y->owns(7) && !r.z->owns(7));
        QCOMPARE(r.y->inTransit(), std::vector<BodyId> { 7 });
        QVERIFY(!hasTransformFor({ r.zReplies.back() }, 7)
            && !hasTransformFor({ r.yReplies.back() }, 7));
        r.setLink(true);
        for (int i = 0; i < 10; ++i) {
            QVERIFY(r.step());
            QVERIFY(r.singleOwner(7));
        }
        QVERIFY(r.z->owns(7));
        QVERIFY(r.y->inTransit().empty());
        QCOMPARE(eventsOf<HandedOffEvent>(r.yReplies).size(), std::size_t(1));
        QCOMPARE(eventsOf<ArrivedEvent>(r.zReplies).size(), std::size_t(1));
        // It continues from the state it left Y with: still at 10 m/s.
        QVERIFY((r.z->body(7)->state.linearVelocity.x - f(10)).abs() < Fixed::fromRatio(1, 100));
    }

    void lostAcknowledgementTakesNoSecondBody()
    {
        TwoRegions r;
        r.loseAndCut = lose<HandoffCommitAck>();
        throwAcross(r);
        for (int i = 0; i < 30; ++i) {
            QVERIFY(r.step());
            QVERIFY(r.singleOwner(7));
        }
        QCOMPARE(r.linkCuts, 1);
        QVERIFY(r.z->owns(7)); // Z took it; Y still holds the transit record
        QCOMPARE(r.y->inTransit(), std::vector<BodyId> { 7 });
        r.setLink(true); // Y sends the commit again; Z acknowledges it without a second body
        for (int i = 0; i < 10; ++i) {
            QVERIFY(r.step());
            QVERIFY(r.singleOwner(7));
        }
        QVERIFY(r.y->inTransit().empty());
        QCOMPARE(eventsOf<ArrivedEvent>(r.zReplies).size(), std::size_t(1));
        QCOMPARE(eventsOf<HandedOffEvent>(r.yReplies).size(), std::size_t(1));
    }

    void neighbourDiesBeforeCommit()
    {
        TwoRegions r;
        r.loseAndCut = lose<HandoffAccept>();
        throwAcross(r);
        for (int i = 0; i < 90; ++i) {
            QVERIFY(r.step());
            QVERIFY(r.singleOwner(7));
        }
        // Z is gone for good: Y keeps simulating and reporting its ball.
        QVERIFY(r.y->owns(7));
        QVERIFY(hasTransformFor({ r.yReplies.back() }, 7));
        QVERIFY(eventsOf<HandedOffEvent>(r.yReplies).empty());
        QVERIFY(eventsOf<ArrivedEvent>(r.zReplies).empty());
    }

    void neighbourRestartsAfterCommit()
    {
        TwoRegions r;
        r.loseAndCut = lose<HandoffCommit>();
        throwAcross(r);
        for (int i = 0; i < 20; ++i)
            QVERIFY(r.step());
        QCOMPARE(r.y->inTransit(), std::vector<BodyId> { 7 });
        r.restartZ(); // Z died with the commit unseen; a new Z starts empty
        r.setLink(true);
        for (int i = 0; i < 10; ++i) {
            QVERIFY(r.step());
            QVERIFY(r.singleOwner(7));
        }
        QVERIFY(r.z->owns(7));
        QVERIFY(r.y->inTransit().empty());
    }

    void refusedWhenIdOwnedThere()
    {
        TwoRegions r;
        // Z owns another body under the same id: the offer is rejected and Y keeps its ball.
        QVERIFY(r.step({ AddBody { ball(7), at(f(60), f(32), f(10), f(10)) } },
            { AddBody { ball(7), at(f(30), f(10), f(10), f(0)) } }));
        for (int i = 0; i < 60; ++i) {
            QVERIFY(r.step());
            QVERIFY(r.y->owns(7) && r.z->owns(7)); // two different bodies, one per region
        }
        QVERIFY(eventsOf<HandedOffEvent>(r.yReplies).empty());
        QVERIFY(eventsOf<ArrivedEvent>(r.zReplies).empty());
        QVERIFY(r.z->body(7)->state.position.x < f(31));
    }
};

QTEST_GUILESS_MAIN(PhysicsRegionTest)
#include "PhysicsRegionTest.moc"
