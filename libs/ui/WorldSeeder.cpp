// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "ui/WorldSeeder.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSaveFile>

namespace metatopia {

WorldSeeder::WorldSeeder(QString pinFile, QStringList gateways, QString examplesDir,
    QString markerFile, QObject *parent)
    : QObject(parent)
    , m_examplesDir(std::move(examplesDir))
    , m_markerFile(std::move(markerFile))
    , m_session(std::make_unique<WorldSession>(pinFile))
{
    m_session->setGateways(gateways);
    m_session->setReconnectDelays(200, 2000);
    connect(m_session.get(), &WorldSession::synced, this, &WorldSeeder::seed);
    connect(m_session.get(), &WorldSession::actionAcknowledged, this, [this](quint64 seq) {
        if (m_waiting.erase(seq) == 0 || !m_waiting.empty())
            return;
        QSaveFile marker(m_markerFile);
        if (!marker.open(QIODevice::WriteOnly)) {
            emit failed(tr("cannot write %1").arg(m_markerFile));
            return;
        }
        marker.write("seeded with the example scripts\n");
        marker.commit();
        m_done = true;
        m_session->stop();
        emit finished(m_created);
    });
    connect(m_session.get(), &WorldSession::actionRefused, this,
        [this](quint64, const QString &error) { emit failed(tr("an example was refused: %1").arg(error)); });
}

WorldSeeder::~WorldSeeder() = default;

std::vector<WorldSeeder::Example> WorldSeeder::defaultExamples()
{
    // Around the plaza at (128, 128), facing a newcomer who spawns south of it.
    return {
        { QStringLiteral("clock"), QStringLiteral("Clock"), QString(), { 128, 136, 2.2f },
            QStringLiteral("set_colour(245, 196, 66)\nset_scale({x = 1.6, y = 1.6, z = 1.6})\n") },
        { QStringLiteral("greeter"), QStringLiteral("Greeter"),
            QStringLiteral("Say hello in #local"), { 121, 131, 0.6f },
            QStringLiteral("set_colour(92, 184, 92)\nset_scale({x = 1.2, y = 1.2, z = 1.2})\n") },
        { QStringLiteral("counter"), QStringLiteral("Counter"), QStringLiteral("Touch me"),
            { 135, 131, 0.5f },
            QStringLiteral("set_colour(66, 133, 244)\n") },
        { QStringLiteral("door"), QStringLiteral("Door"), QStringLiteral("Touch to open"),
            { 133, 124, 1.5f },
            QStringLiteral("set_colour(160, 110, 70)\nset_scale({x = 2, y = 0.3, z = 3})\n") },
        { QStringLiteral("radar"), QStringLiteral("Radar"), QString(), { 123, 124, 0.3f },
            QStringLiteral("set_colour(220, 80, 80)\nset_scale({x = 1.4, y = 1.4, z = 0.6})\n") },
        { QStringLiteral("spawner"), QStringLiteral("Spawner"), QStringLiteral("Sparks!"),
            { 140, 138, 0.5f },
            QStringLiteral("set_colour(170, 90, 200)\n") },
    };
}

QString WorldSeeder::sourceOf(const Example &example) const
{
    QFile file(QDir(m_examplesDir).filePath(example.script + QStringLiteral(".lua")));
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return QStringLiteral("-- Seeded by metatopia-manager into a new world; the look first:\n")
        + example.look + QString::fromUtf8(file.readAll());
}

void WorldSeeder::start()
{
    if (QFileInfo::exists(m_markerFile)) {
        m_done = true;
        emit finished(0);
        return;
    }
    m_session->start();
}

void WorldSeeder::seed()
{
    if (m_seeding || m_done)
        return;
    m_seeding = true;
    if (m_session->objects()->count() > 0) {
        // Someone built here already: leave the world as it is.
        QSaveFile marker(m_markerFile);
        if (marker.open(QIODevice::WriteOnly)) {
            marker.write("not seeded: the world had objects\n");
            marker.commit();
        }
        m_done = true;
        m_session->stop();
        emit finished(0);
        return;
    }
    for (const Example &example : defaultExamples()) {
        const QString source = sourceOf(example);
        if (source.isEmpty())
            continue;
        m_waiting.insert(
            quint64(m_session->createObject(example.name, example.text, source, 0, example.position)));
        ++m_created;
    }
    if (m_waiting.empty()) {
        emit failed(tr("no example scripts in %1").arg(m_examplesDir));
        m_done = true;
    }
}

} // namespace metatopia
