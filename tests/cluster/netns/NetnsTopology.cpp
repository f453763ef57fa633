// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "NetnsTopology.h"

#include <QCoreApplication>
#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>

#include <cerrno>
#include <csignal>
#include <unistd.h>

namespace metatopia::cluster::test {

namespace {

const QString Prefix = QStringLiteral("mtpnet");
constexpr int RaftNet = 202;
constexpr int ClientNet = 201;

bool processAlive(qint64 pid)
{
    return pid > 0 && (::kill(pid_t(pid), 0) == 0 || errno == EPERM);
}

} // namespace

NetnsTopology::NetnsTopology() = default;

NetnsTopology::~NetnsTopology()
{
    destroy();
}

bool NetnsTopology::ip(const QStringList &args, QString *error, QString *output)
{
    QProcess process;
    process.start(QStringLiteral("ip"), args);
    if (!process.waitForStarted(5000) || !process.waitForFinished(15000)) {
        process.kill();
        process.waitForFinished(2000);
        if (error)
            *error = QStringLiteral("ip %1: did not finish").arg(args.join(QLatin1Char(' ')));
        return false;
    }
    if (output)
        *output = QString::fromUtf8(process.readAllStandardOutput());
    if (process.exitStatus() != QProcess::NormalExit || process.exitCode() != 0) {
        if (error)
            *error = QStringLiteral("ip %1: %2")
                         .arg(args.join(QLatin1Char(' ')),
                             QString::fromUtf8(process.readAllStandardError()).trimmed());
        return false;
    }
    return true;
}

QString NetnsTopology::unavailableReason()
{
    if (::geteuid() != 0)
        return QStringLiteral("network namespaces need root (running as uid %1)").arg(::geteuid());
    if (QStandardPaths::findExecutable(QStringLiteral("ip")).isEmpty())
        return QStringLiteral("iproute2's `ip` is not installed");
    const QString probe
        = QStringLiteral("%1%2probe").arg(Prefix).arg(QCoreApplication::applicationPid());
    QString error;
    if (!ip({ QStringLiteral("netns"), QStringLiteral("add"), probe }, &error))
        return QStringLiteral("cannot create a network namespace: %1").arg(error);
    ip({ QStringLiteral("netns"), QStringLiteral("delete"), probe });
    return {};
}

void NetnsTopology::removeLeftovers()
{
    QString listing;
    if (!ip({ QStringLiteral("netns"), QStringLiteral("list") }, nullptr, &listing))
        return;
    static const QRegularExpression name(QStringLiteral("^%1(\\d+)(\\S*)").arg(Prefix));
    for (const QString &line : listing.split(QLatin1Char('\n'), Qt::SkipEmptyParts)) {
        const QRegularExpressionMatch match = name.match(line.trimmed());
        if (!match.hasMatch() || processAlive(match.captured(1).toLongLong()))
            continue;
        const QString ns = match.captured(0);
        // A namespace lives on while processes run in it; these are replicas a crashed run of
        // this test started (their parent is gone, so they are ours to end).
        QString pids;
        if (ip({ QStringLiteral("netns"), QStringLiteral("pids"), ns }, nullptr, &pids)) {
            for (const QString &pid : pids.split(QLatin1Char('\n'), Qt::SkipEmptyParts))
                ::kill(pid_t(pid.toLongLong()), SIGKILL);
        }
        ip({ QStringLiteral("netns"), QStringLiteral("delete"), ns });
        qInfo("removed leftover network namespace %s", qPrintable(ns));
    }
}

QString NetnsTopology::prefix() const
{
    return QStringLiteral("%1%2").arg(Prefix).arg(QCoreApplication::applicationPid());
}

QString NetnsTopology::hub() const
{
    return prefix() + QStringLiteral("hub");
}

QString NetnsTopology::namespaceOf(int replica) const
{
    return prefix() + QStringLiteral("r%1").arg(replica);
}

QString NetnsTopology::raftAddress(int replica, quint16 port) const
{
    return QStringLiteral("10.%1.%2.%3:%4").arg(RaftNet).arg(m_subnet).arg(replica).arg(port);
}

QString NetnsTopology::clientAddress(int replica, quint16 port) const
{
    return QStringLiteral("10.%1.%2.%3:%4").arg(ClientNet).arg(m_subnet).arg(replica).arg(port);
}

bool NetnsTopology::create(int replicas, QString *error)
{
    destroy();
    removeLeftovers();

    // A client subnet no interface of our namespace uses yet (the raft subnet exists only
    // inside the hub and replica namespaces).
    QString addresses;
    ip({ QStringLiteral("-o"), QStringLiteral("addr") }, nullptr, &addresses);
    QString routes;
    ip({ QStringLiteral("route") }, nullptr, &routes);
    const int start = int(QCoreApplication::applicationPid() % 200);
    m_subnet = -1;
    for (int i = 0; i < 200 && m_subnet < 0; ++i) {
        const int candidate = 20 + (start + i) % 200;
        const QString net = QStringLiteral("10.%1.%2.").arg(ClientNet).arg(candidate);
        if (!addresses.contains(net) && !routes.contains(net))
            m_subnet = candidate;
    }
    if (m_subnet < 0) {
        *error = QStringLiteral("no free 10.%1.x.0/24 subnet").arg(ClientNet);
        return false;
    }

    m_replicas = replicas;
    const QString hubNs = hub();
    m_rootLink = QStringLiteral("mtp%1").arg(QCoreApplication::applicationPid());
    QStringList commands;
    auto run = [&](const QString &line) {
        return ip(line.split(QLatin1Char(' '), Qt::SkipEmptyParts), error);
    };
    if (!run(QStringLiteral("netns add %1").arg(hubNs)))
        return false;
    m_namespaces << hubNs;
    const QString clientNet = QStringLiteral("10.%1.%2").arg(ClientNet).arg(m_subnet);
    const QString raftNet = QStringLiteral("10.%1.%2").arg(RaftNet).arg(m_subnet);
    commands
        << QStringLiteral("-n %1 link set lo up").arg(hubNs)
        << QStringLiteral("-n %1 link add braft type bridge").arg(hubNs)
        << QStringLiteral("-n %1 link add bclient type bridge").arg(hubNs)
        << QStringLiteral("-n %1 link set braft up").arg(hubNs)
        << QStringLiteral("-n %1 link set bclient up").arg(hubNs)
        << QStringLiteral("link add %1 type veth peer name uplink netns %2").arg(m_rootLink, hubNs)
        << QStringLiteral("-n %1 link set uplink master bclient up").arg(hubNs)
        << QStringLiteral("addr add %1.254/24 dev %2").arg(clientNet, m_rootLink)
        << QStringLiteral("link set %1 up").arg(m_rootLink);
    for (const QString &command : std::as_const(commands)) {
        if (!run(command))
            return false;
    }
    for (int i = 1; i <= replicas; ++i) {
        const QString ns = namespaceOf(i);
        if (!run(QStringLiteral("netns add %1").arg(ns)))
            return false;
        m_namespaces << ns;
        const QStringList steps {
            QStringLiteral("-n %1 link set lo up").arg(ns),
            QStringLiteral("-n %1 link add raft type veth peer name r%2 netns %3")
                .arg(ns)
                .arg(i)
                .arg(hubNs),
            QStringLiteral("-n %1 link add client type veth peer name c%2 netns %3")
                .arg(ns)
                .arg(i)
                .arg(hubNs),
            QStringLiteral("-n %1 addr add %2.%3/24 dev raft").arg(ns, raftNet).arg(i),
            QStringLiteral("-n %1 addr add %2.%3/24 dev client").arg(ns, clientNet).arg(i),
            QStringLiteral("-n %1 link set raft up").arg(ns),
            QStringLiteral("-n %1 link set client up").arg(ns),
            QStringLiteral("-n %1 link set r%2 master braft up").arg(hubNs).arg(i),
            QStringLiteral("-n %1 link set c%2 master bclient up").arg(hubNs).arg(i),
        };
        for (const QString &step : steps) {
            if (!run(step))
                return false;
        }
    }
    return true;
}

bool NetnsTopology::setRaftLink(int replica, bool up, QString *error)
{
    return ip(
        { QStringLiteral("-n"), namespaceOf(replica), QStringLiteral("link"), QStringLiteral("set"),
            QStringLiteral("raft"), up ? QStringLiteral("up") : QStringLiteral("down") },
        error);
}

void NetnsTopology::destroy()
{
    // Deleting a namespace destroys its veth ends and with them their peers (our uplink too).
    for (const QString &ns : std::as_const(m_namespaces))
        ip({ QStringLiteral("netns"), QStringLiteral("delete"), ns });
    m_namespaces.clear();
    if (!m_rootLink.isEmpty()) {
        QString links;
        ip({ QStringLiteral("-o"), QStringLiteral("link") }, nullptr, &links);
        if (links.contains(m_rootLink + QLatin1Char('@'))
            || links.contains(m_rootLink + QLatin1Char(':')))
            ip({ QStringLiteral("link"), QStringLiteral("delete"), m_rootLink });
        m_rootLink.clear();
    }
    m_replicas = 0;
}

} // namespace metatopia::cluster::test
