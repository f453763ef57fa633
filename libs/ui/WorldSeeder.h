// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include "ui/WorldSession.h"

#include <QObject>
#include <QString>
#include <QStringList>
#include <QVector3D>

#include <memory>
#include <set>
#include <vector>

namespace metatopia {

// A first-start world is empty; the seeder fills it with a few of the example scripts
// (resources/scripts) as objects around the region's centre, so a new user walks into something
// alive: a clock, a greeter, a touch counter, a door, a radar, a spawner. It connects to the
// gateways like a client, creates the objects with "create" actions, and writes a marker file
// once the cluster acknowledged all of them, so a world is seeded once. A world that already
// has objects is left alone (and marked).
class WorldSeeder : public QObject
{
    Q_OBJECT
public:
    struct Example
    {
        QString script; // file name without .lua
        QString name;
        QString text;
        QVector3D position; // sim metres
        QString look; // Lua prepended to the script: colour and size
    };

    WorldSeeder(QString pinFile, QStringList gateways, QString examplesDir, QString markerFile,
        QObject *parent = nullptr);
    ~WorldSeeder() override;

    static std::vector<Example> defaultExamples();
    // The source an example object runs: its look, then the example script.
    QString sourceOf(const Example &example) const;

    // Does nothing (finished(0) at once) when the marker exists.
    void start();
    bool isDone() const { return m_done; }

signals:
    void finished(int created);
    void failed(const QString &error);

private:
    void seed();

    QString m_examplesDir;
    QString m_markerFile;
    std::unique_ptr<WorldSession> m_session;
    std::set<quint64> m_waiting;
    int m_created = 0;
    bool m_seeding = false;
    bool m_done = false;
};

} // namespace metatopia
