// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "physics/PhysicsSimHost.h"

#include "net/Connection.h"
#include "net/PinStore.h"
#include "net/Protocol.h"
#include "net/Server.h"
#include "net/TlsIdentity.h"

#include <QCborArray>
#include <QDir>
#include <QLoggingCategory>
#include <QPointer>
#include <QTimer>

#include <map>
#include <optional>

Q_LOGGING_CATEGORY(lcPhysics, "metatopia.physics")

namespace metatopia::physics {

namespace {

const QString kRegion = QStringLiteral("region");
const QString kSize = QStringLiteral("size");
const QString kToken = QStringLiteral("token");

// Constant-time comparison, so the time of a refusal says nothing about the secret.
bool sameSecret(const QString &a, const QString &b)
{
    const QByteArray x = a.toUtf8();
    const QByteArray y = b.toUtf8();
    unsigned char diff = x.size() == y.size() ? 0 : 1;
    for (qsizetype i = 0; i < x.size(); ++i)
        diff |= static_cast<unsigned char>(x[i] ^ (i < y.size() ? y[i] : 0));
    return diff == 0;
}

net::ConnectionLimits physicsLimits()
{
    net::ConnectionLimits limits;
    // A step reply of a busy region carries thousands of transforms; neighbours send a batch a
    // tick; a main sim may catch up many ticks at once.
    limits.maxFrameSize = qint64(32) << 20;
    limits.maxWriteBuffer = qint64(128) << 20;
    limits.messagesPerSecond = 5000;
    limits.messageBurst = 10000;
    limits.bytesPerSecond = double(qint64(256) << 20);
    limits.byteBurst = double(qint64(512) << 20);
    return limits;
}

QString describe(RegionCoord r)
{
    return QStringLiteral("(%1,%2)").arg(r.x).arg(r.y);
}

} // namespace

struct PhysicsSimHost::OutLink
{
    QString host;
    quint16 port = 0;
    std::unique_ptr<net::Connection> connection;
    QTimer retry;
};

struct PhysicsSimHost::Private
{
    PhysicsSimConfig config;
    std::optional<net::TlsIdentity> identity;
    std::unique_ptr<net::PinStore> pins;
    std::unique_ptr<net::Server> server;
    std::unique_ptr<PhysicsRegion> region;

    std::vector<std::unique_ptr<OutLink>> outLinks;
    // Connections (either direction) that said hello, per neighbour region, oldest first.
    std::map<RegionCoord, QList<QPointer<net::Connection>>> links;
    std::map<quint64, RegionCoord> linkOf; // connection id -> region
    bool running = false;
};

PhysicsSimHost::PhysicsSimHost(PhysicsSimConfig config, QObject *parent)
    : QObject(parent)
    , d(std::make_unique<Private>())
{
    d->config = std::move(config);
    if (d->config.sourceOffer.isEmpty())
        d->config.sourceOffer = QStringLiteral(
            "This server runs Metatopia, free software under the GNU AGPL-3.0-or-later. You may "
            "get its complete corresponding source from the operator of this server (AGPL-3.0 "
            "section 13).");
}

PhysicsSimHost::~PhysicsSimHost()
{
    stop();
}

std::optional<QStringList> PhysicsSimHost::parseNeighbours(const QString &text, QString *error)
{
    QStringList out;
    for (const QString &part : text.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        const QString entry = part.trimmed();
        const qsizetype colon = entry.lastIndexOf(QLatin1Char(':'));
        bool ok = false;
        const uint port = colon > 0 ? entry.mid(colon + 1).toUInt(&ok) : 0;
        if (colon <= 0 || !ok || port == 0 || port > 65535) {
            if (error)
                *error = QStringLiteral("\"%1\" is not host:port").arg(entry);
            return std::nullopt;
        }
        out.append(entry);
    }
    return out;
}

std::optional<RegionCoord> PhysicsSimHost::parseRegion(const QString &text, QString *error)
{
    const QStringList parts = text.split(QLatin1Char(','));
    bool okX = false;
    bool okY = false;
    const int x = parts.size() == 2 ? parts[0].trimmed().toInt(&okX) : 0;
    const int y = parts.size() == 2 ? parts[1].trimmed().toInt(&okY) : 0;
    if (!okX || !okY) {
        if (error)
            *error = QStringLiteral("\"%1\" is not x,y").arg(text);
        return std::nullopt;
    }
    return RegionCoord { x, y };
}

bool PhysicsSimHost::start(QString *error)
{
    stop();
    const auto failWith = [&](const QString &text) {
        if (error)
            *error = text;
        stop();
        return false;
    };
    if (d->config.dataDir.isEmpty())
        return failWith(QStringLiteral("no data dir given"));
    if (!QDir().mkpath(d->config.dataDir))
        return failWith(QStringLiteral("cannot create the data dir %1").arg(d->config.dataDir));
    const PhysicsConfig &pc = d->config.physics;
    if (pc.regionSize <= Fixed::zero() || pc.ticksPerSecond <= 0 || pc.substeps <= 0
        || pc.borderMargin < Fixed::zero() || pc.borderMargin * Fixed::fromInt(2) > pc.regionSize)
        return failWith(QStringLiteral("invalid physics configuration"));
    QString identityError;
    d->identity = net::TlsIdentity::loadOrCreate(d->config.dataDir, &identityError);
    if (!d->identity)
        return failWith(QStringLiteral("TLS identity: %1").arg(identityError));
    d->pins = std::make_unique<net::PinStore>(
        QDir(d->config.dataDir).filePath(QStringLiteral("physics-pins.txt")));
    d->region = std::make_unique<PhysicsRegion>(d->config.region, d->config.physics);

    net::ServerOptions options;
    options.info.name = d->config.name;
    options.info.sourceOffer = d->config.sourceOffer;
    options.limits = physicsLimits();
    d->server = std::make_unique<net::Server>(options);
    connect(d->server.get(), &net::Server::newConnection, this,
        [this](net::Connection *c) { attach(c); });
    if (!d->server->listen(d->config.listenAddress, d->config.port, *d->identity))
        return failWith(d->server->errorString());
    d->running = true;
    for (const QString &address : std::as_const(d->config.neighbours)) {
        auto link = std::make_unique<OutLink>();
        const qsizetype colon = address.lastIndexOf(QLatin1Char(':'));
        link->host = address.left(colon);
        link->port = quint16(address.mid(colon + 1).toUInt());
        link->retry.setSingleShot(true);
        link->retry.setInterval(d->config.reconnectMs);
        OutLink *raw = link.get();
        connect(&link->retry, &QTimer::timeout, this, [this, raw] { connectOut(*raw); });
        d->outLinks.push_back(std::move(link));
        connectOut(*raw);
    }
    qCInfo(lcPhysics).noquote() << "physics sim of region" << describe(d->config.region)
                                << "listening on port" << port() << "neighbours:"
                                << (d->config.neighbours.isEmpty()
                                           ? QStringLiteral("none configured")
                                           : d->config.neighbours.join(QLatin1Char(',')));
    return true;
}

void PhysicsSimHost::stop()
{
    d->running = false;
    for (auto &link : d->outLinks) {
        link->retry.stop();
        if (link->connection) {
            link->connection->disconnect(this);
            link->connection->abort();
        }
    }
    d->outLinks.clear();
    d->links.clear();
    d->linkOf.clear();
    if (d->server) {
        d->server->disconnect(this);
        d->server->close();
    }
    d->server.reset();
}

void PhysicsSimHost::connectOut(OutLink &link)
{
    if (!d->running)
        return;
    net::ClientOptions options;
    options.clientName = d->config.name;
    options.limits = physicsLimits();
    link.connection = net::Connection::connectToHost(link.host, link.port, *d->pins, options);
    net::Connection *c = link.connection.get();
    OutLink *raw = &link;
    connect(c, &net::Connection::ready, this, [this, c] {
        QCborMap hello;
        hello.insert(kRegion, encode(d->config.region));
        hello.insert(kSize, qint64(d->config.physics.regionSize.raw()));
        if (!d->config.token.isEmpty())
            hello.insert(kToken, d->config.token);
        c->request(net::makeMessage(msg::hello, hello));
    });
    connect(c, &net::Connection::fingerprintChanged, this,
        [this, raw](const QString &hostPort, const QByteArray &, const QByteArray &presented) {
            // Neighbours are known by their configured address; a restarted one may come with a
            // new certificate. Accept it for the next attempt, loudly.
            qCWarning(lcPhysics).noquote()
                << "neighbour" << hostPort << "presents a new TLS certificate; accepting it";
            d->pins->pin(raw->host, raw->port, presented);
        });
    connect(c, &net::Connection::messageReceived, this,
        [this, c](const QCborMap &message) { handleMessage(*c, message); });
    connect(c, &net::Connection::disconnected, this, [this, raw, c] {
        connectionGone(*c);
        if (raw->connection.get() == c)
            raw->connection.release()->deleteLater();
        if (d->running)
            raw->retry.start();
    });
}

void PhysicsSimHost::attach(net::Connection *c)
{
    connect(c, &net::Connection::messageReceived, this,
        [this, c](const QCborMap &message) { handleMessage(*c, message); });
    connect(c, &net::Connection::disconnected, this, [this, c] { connectionGone(*c); });
}

void PhysicsSimHost::addLink(net::Connection &c, RegionCoord neighbour)
{
    auto &list = d->links[neighbour];
    if (list.contains(QPointer<net::Connection>(&c)))
        return;
    list.append(QPointer<net::Connection>(&c));
    d->linkOf[c.connectionId()] = neighbour;
    if (list.size() == 1) {
        qCInfo(lcPhysics).noquote() << "neighbour" << describe(neighbour) << "linked";
        d->region->setNeighbourLink(neighbour, true);
        emit neighbourLinkChanged(neighbour.x, neighbour.y, true);
    }
    flush();
}

void PhysicsSimHost::connectionGone(net::Connection &c)
{
    const auto it = d->linkOf.find(c.connectionId());
    if (it == d->linkOf.end() || !d->region)
        return;
    const RegionCoord neighbour = it->second;
    d->linkOf.erase(it);
    auto &list = d->links[neighbour];
    list.removeAll(QPointer<net::Connection>(&c));
    list.removeAll(QPointer<net::Connection>());
    // Whatever was in flight on this connection is lost: the region must hear of a drop even if
    // another connection to the same neighbour survives (it then comes straight back up).
    d->region->setNeighbourLink(neighbour, false);
    if (list.isEmpty()) {
        qCInfo(lcPhysics).noquote() << "neighbour" << describe(neighbour) << "lost";
        d->links.erase(neighbour);
        emit neighbourLinkChanged(neighbour.x, neighbour.y, false);
    } else {
        d->region->setNeighbourLink(neighbour, true);
    }
    flush();
}

void PhysicsSimHost::flush()
{
    if (!d->region)
        return;
    for (auto &[to, batch] : d->region->takeOutgoing()) {
        const auto it = d->links.find(to);
        if (it == d->links.end() || it->second.isEmpty() || !it->second.front())
            continue;
        net::Connection *c = it->second.front();
        if (!c->send(net::makeMessage(msg::border, encode(batch)))) {
            // Never lose a message silently: drop the connection so that both regions see a
            // link drop and their hand-off rule recovers.
            qCWarning(lcPhysics).noquote()
                << "neighbour" << describe(to) << "does not keep up; dropping the connection";
            c->abort();
        }
    }
}

void PhysicsSimHost::handleMessage(net::Connection &c, const QCborMap &message)
{
    if (!d->region)
        return;
    const QString type = net::messageType(message);
    const bool isReply = message.contains(net::key::ok) || message.contains(net::key::error);
    if (!d->config.token.isEmpty()
        && (type == msg::step || type == msg::hello || type == msg::bodies)
        && !(isReply && !net::isOk(message))
        && !sameSecret(message.value(kToken).toString(), d->config.token)) {
        if (isReply) {
            qCWarning(lcPhysics).noquote()
                << "neighbour at" << c.peerAddress() << "answered without the right token";
            c.close(QStringLiteral("wrong or missing token"));
        } else {
            c.replyError(message, QStringLiteral("%1: wrong or missing token").arg(type));
        }
        return;
    }
    if (type == msg::step) {
        const auto request = decodeStepRequest(message);
        if (!request) {
            c.replyError(message, QStringLiteral("physics.step: %1").arg(request.error()));
            return;
        }
        const auto reply = d->region->step(*request);
        if (!reply) {
            c.replyError(message, QStringLiteral("physics.step: %1").arg(reply.error()));
            return;
        }
        if (!c.reply(message, encode(*reply)))
            qCWarning(lcPhysics) << "step reply refused (the main sim does not read)";
        flush();
        emit stepped(reply->tick);
        return;
    }
    if (type == msg::border) {
        const auto linked = d->linkOf.find(c.connectionId());
        if (linked == d->linkOf.end()) {
            c.replyError(message, QStringLiteral("physics.border before physics.hello"));
            return;
        }
        const auto batch = decodeNeighbourBatch(message);
        if (!batch) {
            c.replyError(message, QStringLiteral("physics.border: %1").arg(batch.error()));
            return;
        }
        if (batch->from != linked->second) {
            c.replyError(
                message, QStringLiteral("physics.border: from a region other than hello's"));
            return;
        }
        d->region->receive(*batch);
        flush();
        return;
    }
    if (type == msg::hello) {
        if (isReply && !net::isOk(message)) {
            qCWarning(lcPhysics).noquote()
                << "neighbour refused our hello:" << net::errorText(message);
            return;
        }
        const auto region = decodeRegion(message.value(kRegion));
        const QCborValue size = message.value(kSize);
        QString problem;
        if (!region)
            problem = region.error();
        else if (!isAdjacent(d->config.region, *region))
            problem = QStringLiteral("region %1 is not adjacent to %2")
                          .arg(describe(*region), describe(d->config.region));
        else if (!size.isInteger() || size.toInteger() != d->config.physics.regionSize.raw())
            problem = QStringLiteral("region size differs");
        if (!problem.isEmpty()) {
            if (isReply) {
                qCWarning(lcPhysics).noquote() << "neighbour at" << c.peerAddress() << problem;
                c.close(problem);
            } else {
                c.replyError(message, QStringLiteral("physics.hello: %1").arg(problem));
            }
            return;
        }
        if (!isReply) {
            QCborMap fields;
            fields.insert(kRegion, encode(d->config.region));
            fields.insert(kSize, qint64(d->config.physics.regionSize.raw()));
            if (!d->config.token.isEmpty())
                fields.insert(kToken, d->config.token);
            c.reply(message, fields);
        }
        addLink(c, *region);
        return;
    }
    if (type == msg::bodies) {
        QCborArray owned;
        QCborArray ghosts;
        for (const auto role : { PhysicsRegion::Role::Owned, PhysicsRegion::Role::Offering,
                 PhysicsRegion::Role::Ghost, PhysicsRegion::Role::Incoming }) {
            for (BodyId id : d->region->ids(role)) {
                const auto info = d->region->body(id);
                QCborMap body;
                body.insert(QStringLiteral("body"), encode(info->desc));
                body.insert(QStringLiteral("state"), encode(info->state));
                if (role == PhysicsRegion::Role::Owned || role == PhysicsRegion::Role::Offering)
                    owned.append(body);
                else
                    ghosts.append(body);
            }
        }
        QCborArray transit;
        for (BodyId id : d->region->inTransit())
            transit.append(qint64(id));
        QCborArray links;
        for (const auto &entry : d->links)
            links.append(encode(entry.first));
        QCborMap fields;
        fields.insert(QStringLiteral("tick"), qint64(d->region->tick()));
        fields.insert(QStringLiteral("links"), links);
        fields.insert(QStringLiteral("owned"), owned);
        fields.insert(QStringLiteral("ghosts"), ghosts);
        fields.insert(QStringLiteral("transit"), transit);
        c.reply(message, fields);
        return;
    }
    if (isReply)
        return; // a reply to something we did not ask (e.g. an error for a border batch)
    c.replyError(message, QStringLiteral("unknown message type \"%1\"").arg(type));
}

quint16 PhysicsSimHost::port() const
{
    return d->server ? d->server->serverPort() : 0;
}

QString PhysicsSimHost::fingerprint() const
{
    return d->identity ? d->identity->fingerprintText() : QString();
}

QString PhysicsSimHost::listeningLine() const
{
    return QStringLiteral("LISTENING %1:%2 fingerprint=%3 region=%4,%5")
        .arg(d->server ? d->server->serverAddress().toString() : QString())
        .arg(port())
        .arg(fingerprint())
        .arg(d->config.region.x)
        .arg(d->config.region.y);
}

PhysicsRegion &PhysicsSimHost::region()
{
    return *d->region;
}

const PhysicsSimConfig &PhysicsSimHost::config() const
{
    return d->config;
}

} // namespace metatopia::physics
