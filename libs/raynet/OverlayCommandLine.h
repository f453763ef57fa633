// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

// The RayNet part of metatopia-server's command line: the options that place a server in the
// overlay (listen address, seeds, region) and the two ways of running it, as a pure overlay
// node (--role raynet) or beside another role (the sim finds the sims of adjacent regions).
// Kept here so the app only wires it.

#include "raynet/OverlayService.h"

#include <QCommandLineOption>
#include <QCommandLineParser>
#include <QList>

#include <functional>

#include <memory>
#include <optional>

namespace metatopia::raynet {

// Where option values come from: the command line, or the app's own mix of command line and
// configuration file.
struct OptionSource
{
    std::function<bool(const QCommandLineOption &)> isSet;
    std::function<QString(const QCommandLineOption &)> value;
    static OptionSource from(const QCommandLineParser &parser);
};

class OverlayCommandLine
{
public:
    OverlayCommandLine();

    QList<QCommandLineOption> options() const;
    void addTo(QCommandLineParser &parser) const { parser.addOptions(options()); }
    // Whether the overlay was asked for (--raynet-listen, --raynet-seeds or --region).
    bool isSet(const OptionSource &options) const;
    // Options for OverlayService; dataDir holds the TLS identity. nullopt + error if invalid.
    std::optional<OverlayOptions> parse(
        const OptionSource &options, const QString &dataDir, QString *error) const;

    // Starts a service beside another role and prints "RAYNET LISTENING <host:port>" on stdout.
    std::unique_ptr<OverlayService> start(
        const OptionSource &options, const QString &dataDir, QString *error) const;
    // --role raynet: runs the node until the event loop quits, then leaves politely. Returns
    // the exit code (2 with a message on stderr for bad options).
    int run(const OptionSource &options, const QString &dataDir) const;

private:
    QCommandLineOption m_listen;
    QCommandLineOption m_advertise;
    QCommandLineOption m_seeds;
    QCommandLineOption m_region;
    QCommandLineOption m_worldSize;
    QCommandLineOption m_tickMs;
    QCommandLineOption m_adjacencyMs;
};

} // namespace metatopia::raynet
