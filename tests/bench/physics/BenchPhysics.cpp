// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
// bench_physics: the cost of our physics sim's tick (PhysicsRegion::step: Bullet plus collision
// reporting under the ownership rule, quantised transforms, border checks) against raw Bullet
// stepping the same bodies in the same kind of world, in the same process, ticks interleaved.
// Scene: columns of boxes and spheres dropped on the ground, so bodies fall, collide, pile up and
// some come to rest. value and baseline are the median tick times; ratio is the median of the
// per-tick ratios (each tick runs both steps back to back, alternating which goes first).
// Prints BENCH lines on stdout, a table on stderr. `bench_physics 1000` runs one size only.

#include "physics/PhysicsRegion.h"

#include <btBulletDynamicsCommon.h>

#include <QCoreApplication>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <vector>

using namespace metatopia;
using namespace metatopia::physics;

namespace {

struct Body
{
    BodyDesc desc;
    BodyState state;
};

// Columns of 10 bodies, 3 m apart, each a little offset so stacks topple.
std::vector<Body> scene(int count)
{
    std::vector<Body> bodies;
    const int columns = (count + 9) / 10;
    const int side = int(std::ceil(std::sqrt(double(columns))));
    for (int i = 0; i < count; ++i) {
        const int column = i / 10;
        const int level = i % 10;
        Body b;
        b.desc.id = BodyId(i + 1);
        if (i % 3 == 0) {
            b.desc.shape = Shape::Sphere;
            b.desc.size = { Fixed::fromRatio(45, 100), Fixed::zero(), Fixed::zero() };
        }
        b.state.position
            = { Fixed::fromInt(20 + 3 * (column % side)) + Fixed::fromRatio(level % 3, 10),
                  Fixed::fromInt(20 + 3 * (column / side)) + Fixed::fromRatio(level % 2, 10),
                  Fixed::fromRatio(6 + 11 * level, 10) };
        bodies.push_back(b);
    }
    return bodies;
}

// The baseline: Bullet's own objects, nothing of ours, the same configuration as PhysicsWorld.
class RawWorld
{
public:
    RawWorld(const PhysicsConfig &config, const std::vector<Body> &bodies)
        : m_config(config)
    {
        m_world.setGravity(btVector3(0, 0, btScalar(config.gravity.z.toDouble())));
        btRigidBody::btRigidBodyConstructionInfo groundInfo(0, nullptr, &m_groundShape);
        groundInfo.m_friction = btScalar(0.8);
        m_ground = std::make_unique<btRigidBody>(groundInfo);
        m_world.addRigidBody(m_ground.get());
        for (const Body &b : bodies) {
            std::unique_ptr<btCollisionShape> shape;
            if (b.desc.shape == Shape::Sphere)
                shape = std::make_unique<btSphereShape>(btScalar(b.desc.size.x.toDouble()));
            else
                shape = std::make_unique<btBoxShape>(btVector3(btScalar(b.desc.size.x.toDouble()),
                    btScalar(b.desc.size.y.toDouble()), btScalar(b.desc.size.z.toDouble())));
            const btScalar mass = btScalar(b.desc.mass.toDouble());
            btVector3 inertia(0, 0, 0);
            shape->calculateLocalInertia(mass, inertia);
            btRigidBody::btRigidBodyConstructionInfo info(mass, nullptr, shape.get(), inertia);
            const FVec3 &p = b.state.position;
            info.m_startWorldTransform = btTransform(btQuaternion::getIdentity(),
                btVector3(
                    btScalar(p.x.toDouble()), btScalar(p.y.toDouble()), btScalar(p.z.toDouble())));
            info.m_friction = btScalar(b.desc.friction.toDouble());
            info.m_restitution = btScalar(b.desc.restitution.toDouble());
            auto body = std::make_unique<btRigidBody>(info);
            m_world.addRigidBody(body.get());
            m_shapes.push_back(std::move(shape));
            m_bodies.push_back(std::move(body));
        }
    }
    ~RawWorld()
    {
        for (auto &body : m_bodies)
            m_world.removeRigidBody(body.get());
        m_world.removeRigidBody(m_ground.get());
    }

    void step()
    {
        const btScalar dt = btScalar(1.0 / (double(m_config.ticksPerSecond) * m_config.substeps));
        for (int i = 0; i < m_config.substeps; ++i)
            m_world.stepSimulation(dt, 0);
    }

private:
    PhysicsConfig m_config;
    btDefaultCollisionConfiguration m_configuration;
    btCollisionDispatcher m_dispatcher { &m_configuration };
    btDbvtBroadphase m_broadphase;
    btSequentialImpulseConstraintSolver m_solver;
    btDiscreteDynamicsWorld m_world { &m_dispatcher, &m_broadphase, &m_solver, &m_configuration };
    btStaticPlaneShape m_groundShape { btVector3(0, 0, 1), 0 };
    std::unique_ptr<btRigidBody> m_ground;
    std::vector<std::unique_ptr<btCollisionShape>> m_shapes;
    std::vector<std::unique_ptr<btRigidBody>> m_bodies;
};

double percentile(std::vector<double> v, double p)
{
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, std::size_t(p * double(v.size() - 1) + 0.5))];
}

template<typename F> double timeMs(F &&f)
{
    const auto start = std::chrono::steady_clock::now();
    f();
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
        .count();
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    const PhysicsConfig config;
    constexpr int WarmUp = 20;
    constexpr int Measured = 160;
    std::fprintf(stderr, "%-7s %10s %10s %10s %10s %8s %8s %8s\n", "bodies", "ours p50", "raw p50",
        "ours p99", "raw p99", "ratio", "events", "contacts");
    // Sizes can be given on the command line (bench_physics 1000) for profiling one of them.
    std::vector<int> sizes { 1000, 5000 };
    if (argc > 1) {
        sizes.clear();
        for (int i = 1; i < argc; ++i)
            sizes.push_back(std::max(10, std::atoi(argv[i])));
    }
    for (const int count : sizes) {
        const auto bodies = scene(count);
        PhysicsRegion region({ 0, 0 }, config);
        StepRequest add;
        add.tick = 0;
        for (const Body &b : bodies)
            add.changes.push_back(AddBody { b.desc, b.state });
        if (!region.step(add)) {
            std::fprintf(stderr, "cannot add the bodies\n");
            return 1;
        }
        RawWorld raw(config, bodies);
        std::vector<double> ours;
        std::vector<double> baseline;
        std::vector<double> ratios; // per tick: the two steps ran back to back
        std::size_t events = 0;
        for (int tick = 1; tick <= WarmUp + Measured; ++tick) {
            // Alternate which runs first so neither always gets the warmer cache.
            double oursMs = 0;
            double rawMs = 0;
            Result<StepReply> reply = Result<StepReply>::failure({});
            const auto runOurs = [&] {
                oursMs = timeMs([&] { reply = region.step({ std::uint64_t(tick), {} }); });
            };
            const auto runRaw = [&] { rawMs = timeMs([&] { raw.step(); }); };
            if (tick % 2) {
                runOurs();
                runRaw();
            } else {
                runRaw();
                runOurs();
            }
            if (!reply) {
                std::fprintf(stderr, "step failed\n");
                return 1;
            }
            if (tick > WarmUp) {
                ours.push_back(oursMs);
                baseline.push_back(rawMs);
                ratios.push_back(oursMs / rawMs);
                events += reply->events.size();
            }
        }
        const double oursP50 = percentile(ours, 0.5);
        const double rawP50 = percentile(baseline, 0.5);
        // The median of per-tick ratios: on a shared machine the load drifts between ticks, while
        // the two steps of one tick see nearly the same machine.
        const double ratio = percentile(ratios, 0.5);
        std::fprintf(stderr, "%-7d %10.3f %10.3f %10.3f %10.3f %8.3f %8zu %8zu\n", count, oursP50,
            rawP50, percentile(ours, 0.99), percentile(baseline, 0.99), ratio,
            events / std::size_t(Measured), region.world().contacts().size());
        std::printf("BENCH physics.step_%dk value=%.4f unit=ms baseline=%.4f ratio=%.4f "
                    "target=ratio<=1.15\n",
            count / 1000, oursP50, rawP50, ratio);
        std::fflush(stdout);
    }
    return 0;
}
