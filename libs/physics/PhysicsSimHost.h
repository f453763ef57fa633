// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

// PhysicsSimHost: the physics role of metatopia-server as one object. It serves a PhysicsRegion
// over libs/net (TLS, framed CBOR): the main sim (PhysicsLink) sends "physics.step" requests;
// the physics sims of adjacent regions connect to each other ("physics.hello", then
// "physics.border" batches of ghosts and hand-off messages). It connects out to the neighbours
// it is configured with and keeps reconnecting; neighbours that connect in are welcome too.
//
// A neighbour link is up while at least one connection to that region has said hello. Any such
// connection dropping counts as a link drop for the region (messages in flight on it are lost),
// so PhysicsRegion's hand-off rule sees every loss; a message that cannot be queued (the peer
// does not read) drops its connection for the same reason.

#include "physics/PhysicsRegion.h"

#include <QCborMap>
#include <QHostAddress>
#include <QObject>
#include <QString>
#include <QStringList>

#include <memory>
#include <optional>

namespace metatopia::net {
class Connection;
}

namespace metatopia::physics {

struct PhysicsSimConfig
{
    QString dataDir; // TLS identity and the neighbours' pinned certificates; created if missing
    QHostAddress listenAddress = QHostAddress::LocalHost;
    quint16 port = 0; // 0: ephemeral
    QString name = QStringLiteral("metatopia-physics");
    QString sourceOffer; // AGPL §13; default: the chat role's offer text
    RegionCoord region;
    PhysicsConfig physics;
    QStringList neighbours; // host:port of adjacent regions' physics sims
    int reconnectMs = 500;
    // Shared secret of the main sim and the neighbours. When set, "physics.step",
    // "physics.hello" (both ways) and "physics.bodies" must carry it as "token"; without it
    // anyone who reaches the port could move bodies or inject hand-offs (then keep the port on
    // loopback or a private network).
    QString token;
};

class PhysicsSimHost : public QObject
{
    Q_OBJECT
public:
    explicit PhysicsSimHost(PhysicsSimConfig config, QObject *parent = nullptr);
    ~PhysicsSimHost() override;

    // Listens and starts connecting to the neighbours. False with *error set when that fails.
    bool start(QString *error);
    void stop();

    quint16 port() const;
    QString fingerprint() const;
    // "LISTENING <address>:<port> fingerprint=<AB:CD:...> region=<x>,<y>", printed on stdout.
    QString listeningLine() const;
    PhysicsRegion &region(); // valid once start() succeeded
    const PhysicsSimConfig &config() const;

    // Parses "host:port,host:port"; nullopt with *error for a malformed entry.
    static std::optional<QStringList> parseNeighbours(const QString &text, QString *error);
    // Parses "x,y".
    static std::optional<RegionCoord> parseRegion(const QString &text, QString *error);

Q_SIGNALS:
    void neighbourLinkChanged(int x, int y, bool up);
    void stepped(quint64 tick);

private:
    struct OutLink;
    struct Private;
    void connectOut(OutLink &link);
    void attach(net::Connection *connection);
    void addLink(net::Connection &connection, RegionCoord neighbour);
    void connectionGone(net::Connection &connection);
    void flush();
    void handleMessage(net::Connection &connection, const QCborMap &message);

    std::unique_ptr<Private> d;
};

} // namespace metatopia::physics
