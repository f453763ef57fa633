// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later

// metatopia-server: parses the command line into a role configuration, starts it and stops it
// cleanly on SIGTERM/SIGINT. Everything else lives in the libraries.

#include "chat/ChatServerHost.h"
#include "cluster/SimReplica.h"
#include "core/QuitOnSignals.h"
#include "physics/PhysicsSimHost.h"
#include "raynet/OverlayCommandLine.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QFileInfo>
#include <QSettings>
#include <QStandardPaths>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <optional>

namespace {

int fail(const QString &text)
{
    std::fprintf(stderr, "metatopia-server: %s\n", qPrintable(text));
    return 2;
}

// --config <file>: an INI file whose keys are the long option names ("tick-rate=45", "join=true");
// an option given on the command line wins over the file. Values with commas must be quoted
// (peers="1=...,2=..."), otherwise QSettings reads them as a list; such lists are joined back
// with commas so an unquoted --peers list still works.
class OptionValues
{
public:
    explicit OptionValues(const QCommandLineParser &parser)
        : m_parser(parser)
    { }

    // Loads the file and refuses keys that are not options, so a typo is an error instead of a
    // silently ignored setting.
    bool load(const QString &path, const QList<QCommandLineOption> &known, QString *error)
    {
        if (!QFileInfo(path).isFile() || !QFileInfo(path).isReadable()) {
            *error = QStringLiteral("--config: cannot read \"%1\"").arg(path);
            return false;
        }
        m_file = std::make_unique<QSettings>(path, QSettings::IniFormat);
        if (m_file->status() != QSettings::NoError) {
            *error = QStringLiteral("--config: \"%1\" is not a valid INI file").arg(path);
            return false;
        }
        QStringList names;
        for (const QCommandLineOption &option : known)
            names << option.names().constLast();
        names.removeAll(QStringLiteral("config"));
        for (const QString &key : m_file->allKeys()) {
            if (!names.contains(key)) {
                *error = QStringLiteral("--config: unknown key \"%1\" in %2 (known: %3)")
                             .arg(key, path, names.join(QStringLiteral(", ")));
                return false;
            }
        }
        return true;
    }

    QString value(const QCommandLineOption &option) const
    {
        const QString key = option.names().constLast();
        if (m_parser.isSet(option) || !m_file || !m_file->contains(key))
            return m_parser.value(option);
        const QVariant value = m_file->value(key);
        if (value.typeId() == QMetaType::QStringList)
            return value.toStringList().join(QLatin1Char(','));
        return value.toString();
    }

    bool isSet(const QCommandLineOption &option) const
    {
        return m_parser.isSet(option) || (m_file && m_file->contains(option.names().constLast()));
    }

    // A flag (an option without a value): on the command line it is on; in the file it is
    // "true"/"false" (also 1/0, yes/no, on/off).
    std::optional<bool> flag(const QCommandLineOption &option) const
    {
        if (m_parser.isSet(option))
            return true;
        const QString key = option.names().constLast();
        if (!m_file || !m_file->contains(key))
            return false;
        const QString text = value(option).trimmed().toLower();
        if (text == QLatin1String("true") || text == QLatin1String("1")
            || text == QLatin1String("yes") || text == QLatin1String("on"))
            return true;
        if (text == QLatin1String("false") || text == QLatin1String("0")
            || text == QLatin1String("no") || text == QLatin1String("off"))
            return false;
        return std::nullopt;
    }

private:
    const QCommandLineParser &m_parser;
    std::unique_ptr<QSettings> m_file;
};

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("metatopia-server"));
    QCoreApplication::setApplicationVersion(QStringLiteral(METATOPIA_VERSION));

    const metatopia::ChatServerConfig defaults;
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Metatopia server daemon. Runs with no arguments: chat role on 127.0.0.1:7777, data "
        "under the user's data dir. Prints \"LISTENING <address>:<port> fingerprint=<sha256>\" "
        "on stdout once it accepts connections (the sim role: \"READY client=<port> "
        "raft=<address>\"); logs go to stderr. Every option can also come from a --config "
        "file."));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption role(QStringLiteral("role"),
        QStringLiteral("Role to run: chat, sim (a replica of a lockstep sim cluster), raynet, or "
                       "physics (the physics sim of the region given by --region x,y)."),
        QStringLiteral("role"), QStringLiteral("chat"));
    const QCommandLineOption dataDir(QStringLiteral("data-dir"),
        QStringLiteral("Directory for the database and TLS identity (default: %1).")
            .arg(QStandardPaths::writableLocation(QStandardPaths::AppDataLocation)),
        QStringLiteral("dir"));
    const QCommandLineOption listen(QStringLiteral("listen"),
        QStringLiteral("Address to listen on (default 127.0.0.1)."), QStringLiteral("address"),
        QStringLiteral("127.0.0.1"));
    const QCommandLineOption port(QStringLiteral("port"),
        QStringLiteral("TCP port (default 7777; 0 picks a free one)."), QStringLiteral("port"),
        QStringLiteral("7777"));
    const QCommandLineOption name(QStringLiteral("name"),
        QStringLiteral("Server name shown to clients."), QStringLiteral("name"), defaults.name);
    const QCommandLineOption source(QStringLiteral("source-offer"),
        QStringLiteral("Where users get this server's source (AGPL-3.0 section 13); set it when "
                       "you run a modified version."),
        QStringLiteral("text"), metatopia::ChatServerHost::defaultSourceOffer());
    const QCommandLineOption loginDelay(QStringLiteral("wrong-password-delay"),
        QStringLiteral("Milliseconds before a failed login is answered (default %1).")
            .arg(defaults.chat.wrongPasswordDelayMs),
        QStringLiteral("ms"), QString::number(defaults.chat.wrongPasswordDelayMs));
    const QCommandLineOption rate(QStringLiteral("rate-limit"),
        QStringLiteral("Messages per second a connection may send (default %1; 0 = unlimited).")
            .arg(defaults.messagesPerSecond),
        QStringLiteral("n"), QString::number(defaults.messagesPerSecond));
    const QCommandLineOption cluster(QStringLiteral("cluster"),
        QStringLiteral("sim: cluster id, the same on every replica of one sim (default 1)."),
        QStringLiteral("id"), QStringLiteral("1"));
    const QCommandLineOption replicaId(QStringLiteral("id"),
        QStringLiteral("sim: this replica's id within --peers (default 1)."), QStringLiteral("n"),
        QStringLiteral("1"));
    const QCommandLineOption peers(QStringLiteral("peers"),
        QStringLiteral("sim: every replica as id=raftHost:port/clientHost:port, comma-separated "
                       "(default: a single replica, raft on 127.0.0.1:<port+1>, clients on "
                       "--listen:--port)."),
        QStringLiteral("list"));
    const QCommandLineOption join(QStringLiteral("join"),
        QStringLiteral("sim: join a running cluster (wait to be added) instead of bootstrapping."));
    const QCommandLineOption tickRate(QStringLiteral("tick-rate"),
        QStringLiteral("sim: ticks per second (default 45)."), QStringLiteral("hz"),
        QStringLiteral("45"));
    const QCommandLineOption clusterToken(QStringLiteral("cluster-token"),
        QStringLiteral(
            "sim: shared secret of the cluster's replicas, required on replica-to-replica "
            "and admin requests (default: none; those are then accepted only from "
            "loopback and members' hosts). Prefer the config file to keep it out of ps. "
            "physics: required on the main sim's steps and the neighbours' hello."),
        QStringLiteral("secret"));
    const QCommandLineOption physicsNeighbours(QStringLiteral("physics-neighbours"),
        QStringLiteral("physics: the physics sims of adjacent regions as host:port, "
                       "comma-separated; each says its region when it connects."),
        QStringLiteral("list"));
    const QCommandLineOption physicsRegionSize(QStringLiteral("physics-region-size"),
        QStringLiteral("physics: edge of a region in metres (default 256), the same everywhere."),
        QStringLiteral("m"), QStringLiteral("256"));
    const QCommandLineOption physicsMargin(QStringLiteral("physics-margin"),
        QStringLiteral("physics: bodies this close to a neighbour's border are mirrored there "
                       "as ghosts (metres, default 4)."),
        QStringLiteral("m"), QStringLiteral("4"));
    const QCommandLineOption physicsSubsteps(QStringLiteral("physics-substeps"),
        QStringLiteral("physics: Bullet steps per tick (default 2); --tick-rate sets the ticks."),
        QStringLiteral("n"), QStringLiteral("2"));
    const QCommandLineOption configFile(QStringLiteral("config"),
        QStringLiteral("Read options from an INI file: one \"key=value\" per line, keys named "
                       "like the long options (role=sim, tick-rate=45, join=true); quote values "
                       "with commas (peers=\"1=...,2=...\"). Options given on the command line "
                       "override the file; an unknown key is an error."),
        QStringLiteral("file"));
    const QList<QCommandLineOption> allOptions { role, dataDir, listen, port, name, source,
        loginDelay, rate, cluster, replicaId, peers, join, tickRate, clusterToken,
        physicsNeighbours, physicsRegionSize, physicsMargin, physicsSubsteps, configFile };
    parser.addOptions(allOptions);
    // RayNet (issue 7): --raynet-listen, --raynet-seeds, --region ... (libs/raynet).
    const metatopia::raynet::OverlayCommandLine raynetOptions;
    raynetOptions.addTo(parser);
    parser.process(app);

    OptionValues options(parser);
    if (parser.isSet(configFile)) {
        QString configError;
        if (!options.load(
                parser.value(configFile), allOptions + raynetOptions.options(), &configError))
            return fail(configError);
    }

    metatopia::raynet::OptionSource raynetValues;
    raynetValues.isSet = [&options](const QCommandLineOption &o) { return options.isSet(o); };
    raynetValues.value = [&options](const QCommandLineOption &o) { return options.value(o); };

    const QString roleName = options.value(role);
    if (roleName != QLatin1String("chat") && roleName != QLatin1String("sim")
        && roleName != QLatin1String("raynet") && roleName != QLatin1String("physics"))
        return fail(
            QStringLiteral("role \"%1\" is not available (available: chat, sim, raynet, physics)")
                .arg(roleName));

    metatopia::ChatServerConfig config;
    config.dataDir = options.isSet(dataDir)
        ? options.value(dataDir)
        : QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);
    if (!config.listenAddress.setAddress(options.value(listen)))
        return fail(
            QStringLiteral("--listen: \"%1\" is not an IP address").arg(options.value(listen)));
    bool ok = false;
    const uint portValue = options.value(port).toUInt(&ok);
    if (!ok || portValue > 65535)
        return fail(QStringLiteral("--port: \"%1\" is not a port number").arg(options.value(port)));
    config.port = quint16(portValue);
    config.name = options.value(name);
    config.sourceOffer = options.value(source);
    config.chat.wrongPasswordDelayMs = options.value(loginDelay).toInt(&ok);
    if (!ok || config.chat.wrongPasswordDelayMs < 0)
        return fail(QStringLiteral("--wrong-password-delay: not a number of milliseconds"));
    config.messagesPerSecond = options.value(rate).toDouble(&ok);
    if (!ok || config.messagesPerSecond < 0)
        return fail(QStringLiteral("--rate-limit: not a number"));
    config.messageBurst = config.messagesPerSecond * 2;

    if (!metatopia::quitOnTerminationSignals(app))
        return fail(QStringLiteral("cannot install signal handlers"));

    // RayNet: a pure overlay node that stands for a region (no sim behind it).
    if (roleName == QLatin1String("raynet"))
        return raynetOptions.run(raynetValues, config.dataDir);

    if (roleName == QLatin1String("physics")) {
        namespace physics = metatopia::physics;
        physics::PhysicsSimConfig pc;
        pc.dataDir = config.dataDir;
        pc.listenAddress = config.listenAddress;
        pc.port = config.port;
        pc.name = config.name;
        pc.sourceOffer = config.sourceOffer;
        // The same secret for the main sim's steps and the neighbours' hello.
        pc.token = options.value(clusterToken);
        QString error;
        // --region is the RayNet option (a region is the same cell of the world grid to both).
        const QList<QCommandLineOption> raynetList = raynetOptions.options();
        const auto regionOption
            = std::find_if(raynetList.cbegin(), raynetList.cend(), [](const QCommandLineOption &o) {
                  return o.names().contains(QStringLiteral("region"));
              });
        if (regionOption == raynetList.cend() || !options.isSet(*regionOption))
            return fail(QStringLiteral("the physics role needs --region x,y"));
        const auto region
            = physics::PhysicsSimHost::parseRegion(options.value(*regionOption), &error);
        if (!region)
            return fail(QStringLiteral("--region: %1").arg(error));
        pc.region = *region;
        const auto neighbours
            = physics::PhysicsSimHost::parseNeighbours(options.value(physicsNeighbours), &error);
        if (!neighbours)
            return fail(QStringLiteral("--physics-neighbours: %1").arg(error));
        pc.neighbours = *neighbours;
        const auto metres = [&](const QCommandLineOption &o) {
            return metatopia::Fixed::parse(options.value(o).trimmed().toStdString());
        };
        const auto size = metres(physicsRegionSize);
        if (!size || *size <= metatopia::Fixed::zero())
            return fail(QStringLiteral("--physics-region-size: not a positive number of metres"));
        pc.physics.regionSize = *size;
        const auto margin = metres(physicsMargin);
        if (!margin || *margin < metatopia::Fixed::zero())
            return fail(QStringLiteral("--physics-margin: not a number of metres"));
        pc.physics.borderMargin = *margin;
        pc.physics.ticksPerSecond = options.value(tickRate).toInt(&ok);
        if (!ok || pc.physics.ticksPerSecond <= 0 || pc.physics.ticksPerSecond > 1000)
            return fail(QStringLiteral("--tick-rate: not a rate between 1 and 1000"));
        pc.physics.substeps = options.value(physicsSubsteps).toInt(&ok);
        if (!ok || pc.physics.substeps <= 0 || pc.physics.substeps > 64)
            return fail(QStringLiteral("--physics-substeps: not a number between 1 and 64"));
        physics::PhysicsSimHost host(pc);
        if (!host.start(&error))
            return fail(error);
        std::printf("%s\n", qPrintable(host.listeningLine()));
        std::fflush(stdout);
        const int rc = app.exec();
        host.stop();
        qInfo("stopped");
        return rc;
    }

    if (roleName == QLatin1String("sim")) {
        metatopia::cluster::SimReplicaOptions sim;
        sim.dataDir = config.dataDir;
        sim.clusterId = options.value(cluster).toULongLong(&ok);
        if (!ok)
            return fail(QStringLiteral("--cluster: not a number"));
        sim.id = options.value(replicaId).toULongLong(&ok);
        if (!ok || sim.id == 0)
            return fail(QStringLiteral("--id: not a positive number"));
        sim.tickRateHz = options.value(tickRate).toInt(&ok);
        if (!ok || sim.tickRateHz <= 0 || sim.tickRateHz > 1000)
            return fail(QStringLiteral("--tick-rate: not a rate between 1 and 1000"));
        const std::optional<bool> joining = options.flag(join);
        if (!joining)
            return fail(
                QStringLiteral("join: \"%1\" is not true or false").arg(options.value(join)));
        sim.join = *joining;
        sim.clusterToken = options.value(clusterToken);
        QString peersText = options.value(peers);
        if (peersText.isEmpty()) {
            if (portValue == 0 || portValue >= 65535)
                return fail(
                    QStringLiteral("a single sim replica needs a fixed --port below 65535"));
            peersText = QStringLiteral("%1=127.0.0.1:%2/%3:%4")
                            .arg(sim.id)
                            .arg(portValue + 1)
                            .arg(options.value(listen))
                            .arg(portValue);
        }
        QString error;
        const auto parsed = metatopia::cluster::parseSimPeers(peersText, &error);
        if (!parsed)
            return fail(QStringLiteral("--peers: %1").arg(error));
        sim.peers = *parsed;
        for (const auto &peer : sim.peers) {
            if (peer.id == sim.id) {
                sim.raftAddress = peer.raftAddress;
                sim.clientAddress = peer.clientAddress;
            }
        }
        if (sim.raftAddress.isEmpty())
            return fail(QStringLiteral("--peers does not list this replica's --id %1").arg(sim.id));
        qInfo("sim replica %llu of cluster %llu: raft %s, clients %s, data in %s", quint64(sim.id),
            quint64(sim.clusterId), qPrintable(sim.raftAddress), qPrintable(sim.clientAddress),
            qPrintable(sim.dataDir));
        // RayNet beside the sim: the overlay finds the sims of the adjacent regions (logged
        // when they change, listed by "raynet.neighbours" on the overlay port).
        std::unique_ptr<metatopia::raynet::OverlayService> overlay;
        if (raynetOptions.isSet(raynetValues)) {
            overlay = raynetOptions.start(raynetValues, sim.dataDir, &error);
            if (!overlay)
                return fail(QStringLiteral("raynet: %1").arg(error));
        }
        const int simResult = metatopia::cluster::runSimReplica(sim);
        if (overlay)
            overlay->stop();
        return simResult;
    }

    metatopia::ChatServerHost host(config);
    QString error;
    if (!host.start(&error))
        return fail(error);
    std::printf("%s\n", qPrintable(host.listeningLine()));
    std::fflush(stdout);
    qInfo("%s: chat role listening on %s:%u, data in %s", qPrintable(config.name),
        qPrintable(host.address().toString()), unsigned(host.port()), qPrintable(config.dataDir));

    const int rc = app.exec();
    host.stop();
    qInfo("stopped");
    return rc;
}
