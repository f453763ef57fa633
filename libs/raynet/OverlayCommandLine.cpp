// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "raynet/OverlayCommandLine.h"

#include <QCoreApplication>

#include <cstdio>

namespace metatopia::raynet {

OverlayCommandLine::OverlayCommandLine()
    : m_listen(QStringLiteral("raynet-listen"),
        QStringLiteral("RayNet: overlay address ip:port (port 0 picks one; default "
                       "127.0.0.1:0). With --role raynet the server is a pure overlay node; "
                       "beside --role sim it finds the sims of adjacent regions."),
        QStringLiteral("ip:port"))
    , m_advertise(QStringLiteral("raynet-advertise"),
          QStringLiteral("RayNet: host other nodes reach this one at (default: the listen "
                         "address)."),
          QStringLiteral("host"))
    , m_seeds(QStringLiteral("raynet-seeds"),
          QStringLiteral("RayNet: host:port of overlay nodes to join through, comma-separated "
                         "(none: start a new overlay)."),
          QStringLiteral("list"))
    , m_region(QStringLiteral("region"),
          QStringLiteral("RayNet: this sim's region on the world grid, x,y or x,y,z; the "
                         "adjacent regions are the 8 (2-D) or 26 (3-D) cells around it."),
          QStringLiteral("x,y[,z]"))
    , m_worldSize(QStringLiteral("raynet-world-size"),
          QStringLiteral("RayNet: regions have coordinates 0..size on every axis (default "
                         "1024)."),
          QStringLiteral("size"), QStringLiteral("1024"))
    , m_tickMs(QStringLiteral("raynet-tick-ms"),
          QStringLiteral("RayNet: gossip period in milliseconds (default 1000)."),
          QStringLiteral("ms"), QStringLiteral("1000"))
    , m_adjacencyMs(QStringLiteral("raynet-adjacency-ms"),
          QStringLiteral("RayNet: how often the adjacent regions are looked up, in milliseconds "
                         "(default 1000)."),
          QStringLiteral("ms"), QStringLiteral("1000"))
{ }

OptionSource OptionSource::from(const QCommandLineParser &parser)
{
    return { [&parser](const QCommandLineOption &o) { return parser.isSet(o); },
        [&parser](const QCommandLineOption &o) { return parser.value(o); } };
}

QList<QCommandLineOption> OverlayCommandLine::options() const
{
    return { m_listen, m_advertise, m_seeds, m_region, m_worldSize, m_tickMs, m_adjacencyMs };
}

bool OverlayCommandLine::isSet(const OptionSource &parser) const
{
    return parser.isSet(m_listen) || parser.isSet(m_seeds) || parser.isSet(m_region);
}

std::optional<OverlayOptions> OverlayCommandLine::parse(
    const OptionSource &parser, const QString &dataDir, QString *error) const
{
    auto failWith = [&](const QString &text) {
        if (error)
            *error = text;
        return std::nullopt;
    };
    OverlayOptions o;
    o.dataDir = dataDir;
    if (parser.isSet(m_listen))
        o.listenAddress = parser.value(m_listen);
    o.advertisedHost = parser.value(m_advertise);
    for (const QString &s : parser.value(m_seeds).split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        if (!splitAddress(s.trimmed()))
            return failWith(QStringLiteral("--raynet-seeds: \"%1\" is not host:port").arg(s));
        o.seeds.append(s.trimmed());
    }
    if (!parser.isSet(m_region))
        return failWith(QStringLiteral("--region x,y[,z] is needed to place the node"));
    int dims = 0;
    const auto region = parsePoint(parser.value(m_region), &dims);
    if (!region || dims > 3)
        return failWith(
            QStringLiteral("--region: \"%1\" is not x,y or x,y,z").arg(parser.value(m_region)));
    bool ok = false;
    const double size = parser.value(m_worldSize).toDouble(&ok);
    if (!ok || !(size > 0) || size > 1e9)
        return failWith(QStringLiteral("--raynet-world-size: not a positive size"));
    o.node.space.dimensions = dims;
    o.node.space.lo = 0.0;
    o.node.space.hi = size;
    o.position = *region;
    if (!o.node.space.contains(o.position))
        return failWith(QStringLiteral("--region: outside 0..%1").arg(size));
    o.tickMs = parser.value(m_tickMs).toInt(&ok);
    if (!ok || o.tickMs < 10 || o.tickMs > 600000)
        return failWith(QStringLiteral("--raynet-tick-ms: between 10 and 600000"));
    o.adjacencyMs = parser.value(m_adjacencyMs).toInt(&ok);
    if (!ok || o.adjacencyMs < 10 || o.adjacencyMs > 600000)
        return failWith(QStringLiteral("--raynet-adjacency-ms: between 10 and 600000"));
    return o;
}

std::unique_ptr<OverlayService> OverlayCommandLine::start(
    const OptionSource &parser, const QString &dataDir, QString *error) const
{
    const auto options = parse(parser, dataDir, error);
    if (!options)
        return nullptr;
    auto service = std::make_unique<OverlayService>(*options);
    if (!service->start(error))
        return nullptr;
    std::printf("RAYNET LISTENING %s\n", qPrintable(service->address()));
    std::fflush(stdout);
    return service;
}

int OverlayCommandLine::run(const OptionSource &parser, const QString &dataDir) const
{
    QString error;
    const auto service = start(parser, dataDir, &error);
    if (!service) {
        std::fprintf(stderr, "metatopia-server: %s\n", qPrintable(error));
        return 2;
    }
    const int rc = QCoreApplication::exec();
    service->stop();
    return rc;
}

} // namespace metatopia::raynet
