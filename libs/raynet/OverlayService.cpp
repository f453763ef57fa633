// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "raynet/OverlayService.h"

#include "net/Connection.h"
#include "net/PinStore.h"
#include "net/Protocol.h"
#include "net/Server.h"
#include "net/TlsIdentity.h"

#include <QCborArray>
#include <QCborValue>
#include <QCryptographicHash>
#include <QDir>
#include <QHostAddress>
#include <QLoggingCategory>
#include <QRandomGenerator>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>

Q_LOGGING_CATEGORY(lcRaynet, "metatopia.raynet")

namespace metatopia::raynet {

namespace {

const QString keyFrom = QStringLiteral("f");
const QString keyMessage = QStringLiteral("m");
const QString keyAddresses = QStringLiteral("a");
const QString keyNonce = QStringLiteral("n");
const QString keyPoint = QStringLiteral("p");

constexpr int kMaxAddresses = 4096; // address book entries (oldest forgotten first)
constexpr int kMaxPending = 256; // messages waiting for one link to connect
constexpr int kMaxBuffered = 64; // frames of an incoming connection waiting for its proof
constexpr int kMaxRejectsPerConnection = 20;
constexpr qint64 kMaxMessageBytes = 256 * 1024;
constexpr qint64 kRechallengeMs = 1000;
constexpr qsizetype kMaxChallenges = 4096;

// Every descriptor inside a message (the sender's own first).
template<typename F> void forEachDescriptor(const Message &m, F &&f)
{
    f(m.sender);
    std::visit(
        [&](const auto &b) {
            using T = std::decay_t<decltype(b)>;
            if constexpr (std::is_same_v<T, Hello> || std::is_same_v<T, Leave>) {
                for (const Descriptor &d : b.neighbours)
                    f(d);
            } else if constexpr (std::is_same_v<T, Shuffle>) {
                for (const Descriptor &d : b.entries)
                    f(d);
            } else if constexpr (std::is_same_v<T, Route> || std::is_same_v<T, RangeFlood>) {
                f(b.origin);
            } else if constexpr (std::is_same_v<T, RouteDone>) {
                for (const Descriptor &d : b.neighbours)
                    f(d);
                for (const Descriptor &d : b.sample)
                    f(d);
            }
        },
        m.body);
}

// Drops list entries whose address we no longer know (the receiver would reject the whole
// message otherwise). False if a descriptor that cannot be dropped (a route's origin) is unknown.
template<typename Known> bool dropUnknown(Message &m, Known &&known)
{
    bool ok = true;
    auto filter = [&](std::vector<Descriptor> &list) {
        std::erase_if(list, [&](const Descriptor &d) { return !known(d.id); });
    };
    std::visit(
        [&](auto &b) {
            using T = std::decay_t<decltype(b)>;
            if constexpr (std::is_same_v<T, Hello> || std::is_same_v<T, Leave>) {
                filter(b.neighbours);
            } else if constexpr (std::is_same_v<T, Shuffle>) {
                filter(b.entries);
            } else if constexpr (std::is_same_v<T, Route> || std::is_same_v<T, RangeFlood>) {
                ok = known(b.origin.id);
            } else if constexpr (std::is_same_v<T, RouteDone>) {
                filter(b.neighbours);
                filter(b.sample);
            }
        },
        m.body);
    return ok;
}

std::optional<QString> canonicalAddress(const QString &text, bool allowZeroPort = false)
{
    const auto parts = splitAddress(text, allowZeroPort);
    if (!parts)
        return std::nullopt;
    QString host = parts->first.toLower();
    QHostAddress ip;
    if (ip.setAddress(host)) {
        host = ip.toString();
        if (ip.protocol() == QAbstractSocket::IPv6Protocol)
            host = QLatin1Char('[') + host + QLatin1Char(']');
    }
    return host + QLatin1Char(':') + QString::number(parts->second);
}

QCborArray pointToCbor(const Point &p, int dims)
{
    QCborArray a;
    for (int i = 0; i < dims; ++i)
        a.append(p[std::size_t(i)]);
    return a;
}

// Drops a connection once control is back in the event loop: it may be on the call stack.
void abortLater(net::Connection *connection)
{
    if (!connection)
        return;
    QPointer<net::Connection> c = connection;
    QMetaObject::invokeMethod(
        connection,
        [c] {
            if (c)
                c->abort();
        },
        Qt::QueuedConnection);
}

} // namespace

PeerId peerIdForAddress(const QString &address)
{
    const QByteArray digest
        = QCryptographicHash::hash(address.toUtf8(), QCryptographicHash::Sha256);
    PeerId id = 0;
    for (int i = 0; i < 8; ++i)
        id = (id << 8) | PeerId(std::uint8_t(digest[i]));
    return id == 0 ? 1 : id;
}

std::optional<std::pair<QString, quint16>> splitAddress(const QString &address, bool allowZeroPort)
{
    const qsizetype colon = address.lastIndexOf(QLatin1Char(':'));
    if (colon <= 0 || address.size() > 300)
        return std::nullopt;
    QString host = address.left(colon);
    if (host.startsWith(QLatin1Char('[')) && host.endsWith(QLatin1Char(']')))
        host = host.mid(1, host.size() - 2);
    else if (host.contains(QLatin1Char(':')))
        return std::nullopt; // IPv6 without brackets is ambiguous
    bool ok = false;
    const uint port = address.mid(colon + 1).toUInt(&ok);
    if (!ok || port > 65535 || (port == 0 && !allowZeroPort) || host.isEmpty()
        || host.contains(QLatin1Char(' ')))
        return std::nullopt;
    return std::make_pair(host, quint16(port));
}

std::optional<Point> parsePoint(const QString &text, int *dimensions)
{
    const QStringList parts = text.split(QLatin1Char(','));
    if (parts.size() < 2 || parts.size() > kMaxDimensions)
        return std::nullopt;
    Point p {};
    for (qsizetype i = 0; i < parts.size(); ++i) {
        bool ok = false;
        p[std::size_t(i)] = parts[i].trimmed().toDouble(&ok);
        if (!ok || !std::isfinite(p[std::size_t(i)]))
            return std::nullopt;
    }
    if (dimensions)
        *dimensions = int(parts.size());
    return p;
}

struct OverlayService::Link
{
    std::unique_ptr<net::Connection> connection;
    bool ready = false;
    std::vector<Envelope> pending; // overlay messages waiting for the connection
    std::vector<QCborMap> pendingControl; // challenges, proofs, raw frames
    qint64 lastUsed = 0;
};

struct OverlayService::Inbound
{
    QPointer<net::Connection> connection;
    QString claimed; // the address this connection speaks for (once it said so)
    bool verified = false; // it returned the nonce we sent to that address
    std::vector<QCborMap> buffered;
    qint64 since = 0;
    qint64 lastChallenge = -1;
    int rejects = 0;
};

OverlayService::OverlayService(OverlayOptions options, QObject *parent)
    : QObject(parent)
    , m_options(std::move(options))
{
    m_clock.start();
    connect(&m_tick, &QTimer::timeout, this, &OverlayService::tick);
    connect(&m_adjacencyTimer, &QTimer::timeout, this, &OverlayService::refreshAdjacent);
}

OverlayService::~OverlayService()
{
    // Links first: their signals point at this object.
    for (auto &[address, l] : m_links)
        if (l.connection)
            l.connection->disconnect(this);
    m_links.clear();
    // The server closes its connections when it goes; their signals must not reach the
    // half-destroyed members (m_inbound goes before m_server otherwise).
    if (m_server) {
        for (net::Connection *c : m_server->connections())
            c->disconnect(this);
        m_server->disconnect(this);
    }
    m_server.reset();
    m_inbound.clear();
}

quint16 OverlayService::port() const
{
    return m_server ? m_server->serverPort() : 0;
}

bool OverlayService::start(QString *error)
{
    auto failWith = [&](const QString &text) {
        if (error)
            *error = text;
        return false;
    };
    if (m_started)
        return failWith(QStringLiteral("already started"));
    const auto listen = splitAddress(m_options.listenAddress, true);
    QHostAddress listenIp;
    if (!listen || !listenIp.setAddress(listen->first))
        return failWith(
            QStringLiteral("listen address \"%1\" is not ip:port").arg(m_options.listenAddress));
    const Space &space = m_options.node.space;
    if (!space.valid() || !space.contains(m_options.position))
        return failWith(QStringLiteral("position is outside the overlay's space [%1, %2]^%3")
                            .arg(space.lo)
                            .arg(space.hi)
                            .arg(space.dimensions));
    QString advertised = m_options.advertisedHost;
    if (advertised.isEmpty()) {
        if (listenIp == QHostAddress::AnyIPv4 || listenIp == QHostAddress::AnyIPv6
            || listenIp == QHostAddress::Any)
            return failWith(
                QStringLiteral("listening on every address: say which one peers should use"));
        advertised = listen->first;
    }

    QString tlsError;
    const auto identity = net::TlsIdentity::loadOrCreate(m_options.dataDir, &tlsError);
    if (!identity)
        return failWith(tlsError);
    net::ServerOptions serverOptions;
    serverOptions.info.name = QStringLiteral("metatopia-raynet");
    // Overlay peers gossip a few messages per second each; queries come in bursts.
    serverOptions.limits.messagesPerSecond = 2000;
    serverOptions.limits.messageBurst = 4000;
    serverOptions.limits.bytesPerSecond = double(8 << 20);
    serverOptions.limits.byteBurst = double(16 << 20);
    serverOptions.maxConnections = 1024;
    m_server = std::make_unique<net::Server>(serverOptions);
    if (!m_server->listen(listenIp, listen->second, *identity))
        return failWith(QStringLiteral("cannot listen on %1: %2")
                            .arg(m_options.listenAddress, m_server->errorString()));
    connect(m_server.get(), &net::Server::newConnection, this, &OverlayService::onNewConnection);

    const auto self = canonicalAddress(
        (advertised.contains(QLatin1Char(':')) && !advertised.startsWith(QLatin1Char('['))
                ? QLatin1Char('[') + advertised + QLatin1Char(']')
                : advertised)
        + QLatin1Char(':') + QString::number(m_server->serverPort()));
    if (!self)
        return failWith(QStringLiteral("\"%1\" is not a host name").arg(advertised));
    m_address = *self;
    m_id = peerIdForAddress(m_address);
    m_pins = std::make_unique<net::PinStore>(
        QDir(m_options.dataDir).filePath(QStringLiteral("raynet-pins.txt")));

    m_node = std::make_unique<Node>(
        m_options.node, m_id, m_options.position, QRandomGenerator::system()->generate64());
    m_node->onLookupDone = [this](const LookupResult &r) { onLookupDone(r); };
    m_node->onRangeHit = [this](std::uint64_t q, const Descriptor &d) { onRangeHit(q, d); };

    QStringList seeds;
    for (const QString &s : std::as_const(m_options.seeds)) {
        const auto seed = canonicalAddress(s.trimmed());
        if (!seed)
            return failWith(QStringLiteral("seed \"%1\" is not host:port").arg(s));
        if (*seed != m_address)
            seeds.append(*seed);
    }
    m_options.seeds = seeds;
    qCInfo(lcRaynet).noquote() << "raynet node" << m_address << "at"
                               << describe({ OverlayPeer { m_address, m_options.position } })
                               << (seeds.isEmpty() ? QStringLiteral("starts a new overlay")
                                                   : QStringLiteral("joins through ")
                                              + seeds.join(QLatin1Char(',')));
    m_started = true;
    if (seeds.isEmpty())
        m_node->bootstrapAlone();
    else
        joinThroughNextSeed();
    flush();
    m_tick.start(std::max(10, m_options.tickMs));
    if (m_options.adjacencyMs > 0)
        m_adjacencyTimer.start(m_options.adjacencyMs);
    return true;
}

void OverlayService::stop()
{
    if (!m_started)
        return;
    m_tick.stop();
    m_adjacencyTimer.stop();
    if (m_node && !m_node->hasLeft()) {
        m_node->leave();
        flush();
    }
    for (auto &[address, l] : m_links)
        if (l.connection && l.ready)
            l.connection->close(QStringLiteral("leaving the overlay"));
    m_started = false;
}

void OverlayService::joinThroughNextSeed()
{
    if (m_options.seeds.isEmpty() || !m_node)
        return;
    const QString seed = m_options.seeds[m_nextSeed++ % m_options.seeds.size()];
    const PeerId id = peerIdForAddress(seed);
    rememberAddress(id, seed);
    // Only the contact's id is used: the join route is addressed to it.
    m_node->join(Descriptor { id, 0, {} });
}

// ---- addresses -------------------------------------------------------------------------------

void OverlayService::rememberAddress(PeerId id, const QString &address)
{
    if (id == m_id)
        return;
    auto it = m_addresses.find(id);
    if (it != m_addresses.end())
        return; // the address is a function of the id: nothing to update
    m_addresses.insert(id, address);
    m_addressOrder.push_back(id);
    // Gossip (or a liar's phantoms) must not push out the peers the node relies on: those go
    // back to the end of the queue. Forgetting anyone else costs at most a failed send.
    for (std::size_t turns = 0;
         m_addressOrder.size() > std::size_t(kMaxAddresses) && turns < m_addressOrder.size();
         ++turns) {
        const PeerId oldest = m_addressOrder.front();
        m_addressOrder.pop_front();
        if (isInUse(oldest))
            m_addressOrder.push_back(oldest);
        else
            m_addresses.remove(oldest);
    }
}

bool OverlayService::isInUse(PeerId id) const
{
    if (!m_node)
        return false;
    if (m_node->neighbours().count(id))
        return true;
    const auto links = m_node->longLinks();
    const auto view = m_node->view();
    auto same = [id](const Descriptor &d) { return d.id == id; };
    return std::any_of(links.begin(), links.end(), same)
        || std::any_of(view.begin(), view.end(), same);
}

QString OverlayService::addressOf(PeerId id) const
{
    if (id == m_id)
        return m_address;
    return m_addresses.value(id);
}

OverlayPeer OverlayService::peerOf(const Descriptor &d) const
{
    return OverlayPeer { addressOf(d.id), d.coords };
}

QCborMap OverlayService::peerToCbor(const OverlayPeer &p) const
{
    QCborMap m;
    m.insert(keyAddresses, p.address);
    m.insert(keyPoint, pointToCbor(p.position, m_options.node.space.dimensions));
    return m;
}

QString OverlayService::describe(const QList<OverlayPeer> &peers) const
{
    QStringList out;
    for (const OverlayPeer &p : peers) {
        QStringList coords;
        for (int i = 0; i < m_options.node.space.dimensions; ++i)
            coords.append(QString::number(p.position[std::size_t(i)]));
        out.append(QStringLiteral("(%1) %2").arg(coords.join(QLatin1Char(',')), p.address));
    }
    return out.isEmpty() ? QStringLiteral("none") : out.join(QStringLiteral(", "));
}

QList<OverlayPeer> OverlayService::voronoiNeighbours() const
{
    QList<OverlayPeer> out;
    if (m_node)
        for (const auto &[id, n] : m_node->neighbours())
            out.append(peerOf(n.descriptor));
    return out;
}

std::optional<Point> OverlayService::pointFrom(const QCborValue &value) const
{
    const Space &space = m_options.node.space;
    const QCborArray a = value.toArray();
    if (!value.isArray() || a.size() != space.dimensions)
        return std::nullopt;
    Point p {};
    for (qsizetype i = 0; i < a.size(); ++i) {
        if (!a[i].isDouble() && !a[i].isInteger())
            return std::nullopt;
        p[std::size_t(i)] = a[i].toDouble();
    }
    if (!space.contains(p))
        return std::nullopt;
    return p;
}

// ---- sending ---------------------------------------------------------------------------------

void OverlayService::flush()
{
    if (m_flushing || !m_node)
        return;
    m_flushing = true;
    // A failed send makes the node re-route, which may fail again; bounded.
    for (int round = 0; round < 64; ++round) {
        std::vector<Envelope> out = m_node->takeOutbox();
        if (out.empty())
            break;
        std::vector<Envelope> failed;
        for (Envelope &env : out) {
            if (addressOf(env.to).isEmpty() || env.to == m_id)
                failed.push_back(std::move(env));
            else
                deliver(env);
        }
        for (const Envelope &env : failed) {
            ++m_counters.sendFailures;
            m_node->sendFailed(env.to, env.message);
        }
    }
    m_flushing = false;
    if (m_node->joined() != m_wasJoined) {
        m_wasJoined = m_node->joined();
        if (m_wasJoined)
            qCInfo(lcRaynet).noquote() << "raynet node" << m_address << "joined the overlay";
        emit joinedChanged(m_wasJoined);
    }
}

void OverlayService::deliver(const Envelope &env)
{
    Message message = env.message;
    const bool ok = dropUnknown(message, [this](PeerId id) { return !addressOf(id).isEmpty(); });
    if (!ok) {
        ++m_counters.droppedSends; // a forwarded route whose origin we forgot: rare, harmless
        return;
    }
    const QString address = addressOf(env.to);
    Link &l = link(address);
    l.lastUsed = m_clock.elapsed();
    if (!l.ready) {
        if (l.pending.size() >= std::size_t(kMaxPending)) {
            ++m_counters.droppedSends;
            return;
        }
        l.pending.push_back({ env.to, std::move(message) });
        return;
    }
    QCborMap frame;
    frame.insert(net::key::type, wire::message);
    frame.insert(keyFrom, m_address);
    frame.insert(keyMessage, encodeMessage(message));
    QCborArray addresses;
    QList<PeerId> seen;
    forEachDescriptor(message, [&](const Descriptor &d) {
        if (d.id != m_id && !seen.contains(d.id)) {
            seen.append(d.id);
            addresses.append(addressOf(d.id));
        }
    });
    frame.insert(keyAddresses, addresses);
    if (l.connection->send(frame)) {
        ++m_counters.framesOut;
    } else if (!l.connection->isReady()) {
        ++m_counters.sendFailures;
        m_node->sendFailed(env.to, env.message);
    } else {
        ++m_counters.droppedSends; // the peer does not read: do not queue without bound
    }
}

OverlayService::Link &OverlayService::link(const QString &address)
{
    if (auto it = m_links.find(address); it != m_links.end())
        return it->second;
    if (m_links.size() >= std::size_t(std::max(1, m_options.maxLinks))) {
        // Close the least recently used idle link.
        auto victim = m_links.end();
        for (auto it = m_links.begin(); it != m_links.end(); ++it)
            if (it->second.ready && it->second.pending.empty()
                && (victim == m_links.end() || it->second.lastUsed < victim->second.lastUsed))
                victim = it;
        if (victim != m_links.end()) {
            std::unique_ptr<net::Connection> c = std::move(victim->second.connection);
            m_links.erase(victim);
            c->disconnect(this);
            c->close();
            c.release()->deleteLater();
        }
    }
    const auto parts = splitAddress(address);
    Link &l = m_links[address];
    l.lastUsed = m_clock.elapsed();
    net::ClientOptions options;
    options.clientName = QStringLiteral("metatopia-raynet");
    options.timeoutMs = m_options.connectTimeoutMs;
    // splitAddress succeeded when the address was learned; keep a failing one harmless anyway.
    l.connection = net::Connection::connectToHost(parts ? parts->first : QStringLiteral("invalid."),
        parts ? parts->second : 1, *m_pins, options);
    net::Connection *c = l.connection.get();
    connect(c, &net::Connection::ready, this, [this, address, c] { onLinkReady(address, c); });
    connect(
        c, &net::Connection::disconnected, this, [this, address, c] { onLinkDown(address, c); });
    connect(c, &net::Connection::fingerprintChanged, this,
        [this, address](const QString &, const QByteArray &, const QByteArray &presented) {
            // Overlay nodes are known by address, not by certificate (a restarted node may
            // have a new one): accept the new certificate for the next attempt.
            qCWarning(lcRaynet).noquote()
                << "raynet peer" << address << "presents a new TLS certificate";
            if (const auto p = splitAddress(address))
                m_pins->pin(p->first, p->second, presented);
        });
    return l;
}

void OverlayService::onLinkReady(const QString &address, net::Connection *connection)
{
    auto it = m_links.find(address);
    if (it == m_links.end() || it->second.connection.get() != connection)
        return;
    Link &l = it->second;
    l.ready = true;
    std::vector<QCborMap> control = std::move(l.pendingControl);
    std::vector<Envelope> pending = std::move(l.pending);
    for (const QCborMap &frame : control)
        connection->send(frame);
    for (const Envelope &env : pending)
        deliver(env);
    flush();
}

void OverlayService::onLinkDown(const QString &address, net::Connection *connection)
{
    auto it = m_links.find(address);
    if (it == m_links.end() || it->second.connection.get() != connection)
        return;
    std::vector<Envelope> pending = std::move(it->second.pending);
    std::unique_ptr<net::Connection> c = std::move(it->second.connection);
    m_links.erase(it);
    c->disconnect(this);
    c.release()->deleteLater();
    if (!m_node)
        return;
    // Connection refused, timed out or reset: to the node this is a crashed peer.
    for (const Envelope &env : pending) {
        ++m_counters.sendFailures;
        m_node->sendFailed(env.to, env.message);
    }
    flush();
}

void OverlayService::sendControl(const QString &address, const QCborMap &frame)
{
    Link &l = link(address);
    l.lastUsed = m_clock.elapsed();
    if (l.ready)
        l.connection->send(frame);
    else if (l.pendingControl.size() < std::size_t(kMaxPending))
        l.pendingControl.push_back(frame);
}

void OverlayService::sendRawFrame(const QString &address, const QCborMap &frame)
{
    if (const auto a = canonicalAddress(address))
        sendControl(*a, frame);
}

// ---- receiving -------------------------------------------------------------------------------

void OverlayService::onNewConnection(net::Connection *connection)
{
    const quint64 key = connection->connectionId();
    Inbound in;
    in.connection = connection;
    in.since = m_clock.elapsed();
    m_inbound[key] = std::move(in);
    connect(connection, &net::Connection::messageReceived, this,
        [this, connection](const QCborMap &m) { onInbound(connection, m); });
    connect(
        connection, &net::Connection::disconnected, this, [this, key] { m_inbound.erase(key); });
}

void OverlayService::reject(Inbound *in, const QString &why)
{
    ++m_counters.rejectedFrames;
    m_counters.lastRejection = why;
    if (m_counters.rejectedFrames <= 10 || m_counters.rejectedFrames % 100 == 0)
        qCWarning(lcRaynet).noquote()
            << "raynet: rejected a frame from"
            << (in && in->connection ? in->connection->peerAddress() : QStringLiteral("?")) << "("
            << (in ? in->claimed : QString()) << "):" << why << "- total"
            << m_counters.rejectedFrames;
    if (in && ++in->rejects > kMaxRejectsPerConnection && in->connection) {
        // Deferred: the connection may be on the call stack.
        abortLater(in->connection);
    }
}

void OverlayService::onInbound(net::Connection *connection, const QCborMap &message)
{
    const QString type = net::messageType(message);
    auto it = m_inbound.find(connection->connectionId());
    if (it == m_inbound.end())
        return;
    Inbound &in = it->second;
    if (type == wire::message) {
        if (in.verified) {
            handleOverlayFrame(in, message);
            return;
        }
        const QCborValue from = message.value(keyFrom);
        if (!from.isString()) {
            reject(&in, QStringLiteral("overlay frame without sender address"));
            return;
        }
        claim(in, from.toString());
        if (in.claimed.isEmpty() || !in.connection)
            return;
        if (in.buffered.size() >= std::size_t(kMaxBuffered)) {
            ++m_counters.unverifiedFrames;
            return;
        }
        in.buffered.push_back(message);
        return;
    }
    if (type == wire::challenge) {
        handleChallenge(message);
        return;
    }
    if (type == wire::proof) {
        handleProof(in, message);
        return;
    }
    if (type == wire::neighbours || type == wire::lookup || type == wire::range) {
        handleRequest(connection, message);
        return;
    }
    reject(&in, QStringLiteral("unknown message type \"%1\"").arg(type.left(64)));
    connection->replyError(message, QStringLiteral("unknown message type"));
}

void OverlayService::claim(Inbound &in, const QString &text)
{
    const auto address = canonicalAddress(text);
    if (!address || *address == m_address) {
        reject(&in, QStringLiteral("bad sender address"));
        return;
    }
    if (!in.claimed.isEmpty()) {
        if (in.claimed != *address)
            reject(&in, QStringLiteral("a connection speaks for one address only"));
        return; // challenged already; housekeeping asks again if the proof does not come
    }
    // No check of the source IP: multi-homed and NATed nodes connect from other addresses than
    // the one they listen at. The nonce alone decides.
    in.claimed = *address;
    challenge(in);
}

void OverlayService::challenge(Inbound &in)
{
    // A fresh nonce for every attempt: the proof comes back over the claimed node's current link
    // to us and verifies the connection it arrives on, which is where its frames travel.
    const qint64 now = m_clock.elapsed();
    in.lastChallenge = now;
    if (m_challenges.size() >= kMaxChallenges)
        return; // a flood of claims: this connection times out unless it is retried later
    std::array<quint32, 4> words {};
    QRandomGenerator::system()->generate(words.begin(), words.end());
    const QByteArray nonce(reinterpret_cast<const char *>(words.data()), int(sizeof words));
    m_challenges.insert(nonce, Challenge { in.claimed, now });
    QCborMap frame;
    frame.insert(net::key::type, wire::challenge);
    frame.insert(keyFrom, m_address);
    frame.insert(keyNonce, nonce);
    sendControl(in.claimed, frame);
}

void OverlayService::handleChallenge(const QCborMap &frame)
{
    // Whoever asks: the proof goes to the asker's own address over our link to it, which is the
    // connection our overlay frames to it travel on.
    const auto from = canonicalAddress(frame.value(keyFrom).toString());
    const QByteArray nonce = frame.value(keyNonce).toByteArray();
    if (!from || *from == m_address || nonce.size() < 8 || nonce.size() > 64) {
        reject(nullptr, QStringLiteral("malformed challenge"));
        return;
    }
    QCborMap proof;
    proof.insert(net::key::type, wire::proof);
    proof.insert(keyFrom, m_address);
    proof.insert(keyNonce, nonce);
    sendControl(*from, proof);
}

void OverlayService::handleProof(Inbound &in, const QCborMap &frame)
{
    const auto from = canonicalAddress(frame.value(keyFrom).toString());
    const QByteArray nonce = frame.value(keyNonce).toByteArray();
    const auto challenge = m_challenges.constFind(nonce);
    if (!from || challenge == m_challenges.constEnd() || challenge->address != *from
        || (!in.claimed.isEmpty() && in.claimed != *from)) {
        reject(&in, QStringLiteral("proof does not match a challenge"));
        return;
    }
    m_challenges.erase(challenge);
    if (in.verified)
        return;
    in.claimed = *from;
    in.verified = true;
    std::vector<QCborMap> buffered = std::move(in.buffered);
    const quint64 key = in.connection ? in.connection->connectionId() : 0;
    for (const QCborMap &m : buffered) {
        // handleOverlayFrame may drop the connection's entry: look it up every time.
        auto it = m_inbound.find(key);
        if (it == m_inbound.end())
            return;
        handleOverlayFrame(it->second, m);
    }
}

void OverlayService::handleOverlayFrame(Inbound &in, const QCborMap &frame)
{
    if (!m_node)
        return;
    if (frame.value(keyFrom).toString() != in.claimed
        && canonicalAddress(frame.value(keyFrom).toString()) != in.claimed) {
        reject(&in, QStringLiteral("a connection speaks for one address only"));
        return;
    }
    const QCborValue bytes = frame.value(keyMessage);
    if (!bytes.isByteArray() || bytes.toByteArray().size() > kMaxMessageBytes) {
        reject(&in, QStringLiteral("no message bytes"));
        return;
    }
    QString error;
    const auto message
        = decodeMessage(bytes.toByteArray(), &error, m_options.node.limits.maxListEntries);
    if (!message) {
        reject(&in, QStringLiteral("undecodable message: %1").arg(error));
        return;
    }
    const PeerId from = peerIdForAddress(in.claimed);
    const Rejection r
        = validateMessage(*message, from, m_options.node.space, m_options.node.limits);
    if (r != Rejection::None) {
        reject(&in, QStringLiteral("invalid message: %1").arg(QLatin1String(rejectionName(r))));
        return;
    }
    // Every descriptor must come with the address its id was derived from.
    const QCborArray table = frame.value(keyAddresses).toArray();
    if (table.size() > 4 * qsizetype(m_options.node.limits.maxListEntries) + 4) {
        reject(&in, QStringLiteral("address table too long"));
        return;
    }
    QHash<PeerId, QString> addresses;
    for (const QCborValue &v : table) {
        const auto a = canonicalAddress(v.toString());
        if (!v.isString() || !a) {
            reject(&in, QStringLiteral("bad address in table"));
            return;
        }
        addresses.insert(peerIdForAddress(*a), *a);
    }
    bool complete = true;
    forEachDescriptor(*message, [&](const Descriptor &d) {
        if (d.id != from && d.id != m_id && !addresses.contains(d.id))
            complete = false;
    });
    if (!complete) {
        reject(&in, QStringLiteral("descriptor without a matching address"));
        return;
    }
    rememberAddress(from, in.claimed);
    forEachDescriptor(*message, [&](const Descriptor &d) {
        if (d.id != from && d.id != m_id)
            rememberAddress(d.id, addresses.value(d.id));
    });
    ++m_counters.framesIn;
    m_node->receive(from, *message);
    flush();
}

// ---- timers ----------------------------------------------------------------------------------

void OverlayService::tick()
{
    if (!m_node)
        return;
    m_node->tick();
    if (m_node->waitingForContact())
        joinThroughNextSeed();
    housekeeping();
    flush();
}

void OverlayService::housekeeping()
{
    const qint64 now = m_clock.elapsed();
    for (auto &[key, in] : m_inbound) {
        if (in.verified || in.claimed.isEmpty() || !in.connection)
            continue;
        if (now - in.since > m_options.verifyTimeoutMs) {
            // Never proved the address it speaks for: an impostor or an unreachable node.
            ++m_counters.impostors;
            m_counters.unverifiedFrames += in.buffered.size();
            in.buffered.clear();
            qCWarning(lcRaynet).noquote()
                << "raynet: closing a connection from" << in.connection->peerAddress()
                << "that never proved it is" << in.claimed;
            abortLater(in.connection);
            in.connection = nullptr;
        } else if (now - in.lastChallenge > kRechallengeMs) {
            challenge(in); // the proof may have gone over a link that closed meanwhile: ask again
        }
    }
    for (auto it = m_challenges.begin(); it != m_challenges.end();) {
        if (now - it->time > 2 * qint64(m_options.verifyTimeoutMs))
            it = m_challenges.erase(it);
        else
            ++it;
    }
}

void OverlayService::refreshAdjacent()
{
    if (!m_node)
        return;
    // The hits of the previous query are complete by now (one period later).
    if (m_adjacencyQuery != 0) {
        QList<OverlayPeer> found;
        if (auto it = m_ranges.find(m_adjacencyQuery); it != m_ranges.end()) {
            for (const auto &[id, peer] : it->second.hits)
                if (id != m_id)
                    found.append(peer);
            m_ranges.erase(it);
        }
        std::sort(found.begin(), found.end(), [](const OverlayPeer &a, const OverlayPeer &b) {
            return a.position != b.position ? a.position < b.position : a.address < b.address;
        });
        if (found != m_adjacent && m_node->joined()) {
            m_adjacent = found;
            qCInfo(lcRaynet).noquote()
                << "raynet: adjacent regions of"
                << describe({ OverlayPeer { m_address, m_options.position } })
                << "now:" << describe(m_adjacent);
            emit adjacentChanged(m_adjacent);
        }
        m_adjacencyQuery = 0;
    }
    if (!m_node->joined())
        return;
    const Space &space = m_options.node.space;
    Point lo {};
    Point hi {};
    for (int i = 0; i < space.dimensions; ++i) {
        lo[std::size_t(i)]
            = std::max(space.lo, m_options.position[std::size_t(i)] - m_options.adjacencyStep);
        hi[std::size_t(i)]
            = std::min(space.hi, m_options.position[std::size_t(i)] + m_options.adjacencyStep);
    }
    const Region region = Region::box(lo, hi);
    m_adjacencyQuery = m_node->rangeQuery(region);
    m_ranges[m_adjacencyQuery].region = region;
    flush();
}

void OverlayService::onRangeHit(std::uint64_t queryId, const Descriptor &node)
{
    auto it = m_ranges.find(queryId);
    if (it == m_ranges.end() || node.id == m_id)
        return; // unknown (or finished) query; our own hit is added by whoever asked
    if (!it->second.region.contains(node.coords)) {
        reject(nullptr, QStringLiteral("range hit from outside the region"));
        return;
    }
    if (it->second.hits.size() < 4096)
        it->second.hits[node.id] = peerOf(node);
}

void OverlayService::onLookupDone(const LookupResult &result)
{
    auto it = m_lookups.find(result.queryId);
    if (it == m_lookups.end()) {
        if (m_inLookupCall)
            m_earlyLookups[result.queryId] = result; // we are responsible ourselves
        return;
    }
    auto done = std::move(it->second.done);
    m_lookups.erase(it);
    done(peerOf(result.responsible), int(result.hops));
}

void OverlayService::lookup(const Point &target,
    std::function<void(std::optional<OverlayPeer>, int hops)> done, int timeoutMs)
{
    if (!m_node || !m_options.node.space.contains(target)) {
        done(std::nullopt, 0);
        return;
    }
    m_inLookupCall = true;
    const std::uint64_t q = m_node->lookup(target);
    m_inLookupCall = false;
    if (auto early = m_earlyLookups.find(q); early != m_earlyLookups.end()) {
        const LookupResult r = early->second;
        m_earlyLookups.erase(early);
        flush();
        done(peerOf(r.responsible), int(r.hops));
        return;
    }
    m_lookups[q] = PendingLookup { std::move(done) };
    QTimer::singleShot(timeoutMs, this, [this, q] {
        auto it = m_lookups.find(q);
        if (it == m_lookups.end())
            return;
        auto cb = std::move(it->second.done);
        m_lookups.erase(it);
        cb(std::nullopt, 0);
    });
    flush();
}

void OverlayService::rangeQuery(
    const Region &region, int waitMs, std::function<void(QList<OverlayPeer>)> done)
{
    if (!m_node || !region.valid(m_options.node.space)) {
        done({});
        return;
    }
    const std::uint64_t q = m_node->rangeQuery(region);
    m_ranges[q].region = region;
    flush();
    QTimer::singleShot(std::clamp(waitMs, 10, 30000), this, [this, q, region, done] {
        QList<OverlayPeer> out;
        if (region.contains(m_options.position))
            out.append(OverlayPeer { m_address, m_options.position });
        if (auto it = m_ranges.find(q); it != m_ranges.end()) {
            for (const auto &[id, peer] : it->second.hits)
                out.append(peer);
            m_ranges.erase(it);
        }
        done(out);
    });
}

// ---- queries ---------------------------------------------------------------------------------

QCborMap OverlayService::statusReply() const
{
    QCborMap m;
    m.insert(QStringLiteral("self"), peerToCbor(OverlayPeer { m_address, m_options.position }));
    m.insert(QStringLiteral("joined"), joined());
    QCborArray adjacent;
    for (const OverlayPeer &p : m_adjacent)
        adjacent.append(peerToCbor(p));
    m.insert(QStringLiteral("adjacent"), adjacent);
    QCborArray voronoi;
    for (const OverlayPeer &p : voronoiNeighbours())
        voronoi.append(peerToCbor(p));
    m.insert(QStringLiteral("voronoi"), voronoi);
    QCborArray links;
    if (m_node)
        for (const Descriptor &d : m_node->longLinks())
            links.append(peerToCbor(peerOf(d)));
    m.insert(QStringLiteral("long"), links);
    QCborMap c;
    c.insert(QStringLiteral("framesIn"), qint64(m_counters.framesIn));
    c.insert(QStringLiteral("framesOut"), qint64(m_counters.framesOut));
    c.insert(QStringLiteral("rejectedFrames"), qint64(m_counters.rejectedFrames));
    c.insert(QStringLiteral("unverifiedFrames"), qint64(m_counters.unverifiedFrames));
    c.insert(QStringLiteral("impostors"), qint64(m_counters.impostors));
    c.insert(QStringLiteral("sendFailures"), qint64(m_counters.sendFailures));
    c.insert(QStringLiteral("droppedSends"), qint64(m_counters.droppedSends));
    c.insert(QStringLiteral("links"), qint64(m_links.size()));
    if (m_node) {
        c.insert(QStringLiteral("nodeRejected"), qint64(m_node->stats().rejectedMessages));
        c.insert(
            QStringLiteral("nodeRejectedDescriptors"), qint64(m_node->stats().rejectedDescriptors));
        c.insert(QStringLiteral("blacklisted"), qint64(m_node->stats().blacklisted));
    }
    m.insert(QStringLiteral("counters"), c);
    return m;
}

void OverlayService::handleRequest(net::Connection *connection, const QCborMap &request)
{
    const QString type = net::messageType(request);
    QPointer<net::Connection> c = connection;
    if (type == wire::neighbours) {
        connection->reply(request, statusReply());
        return;
    }
    if (type == wire::lookup) {
        const auto target = pointFrom(request.value(keyPoint));
        if (!target) {
            connection->replyError(request, QStringLiteral("\"p\" must be a point in the space"));
            return;
        }
        lookup(*target, [this, c, request](std::optional<OverlayPeer> peer, int hops) {
            if (!c)
                return;
            if (!peer) {
                c->replyError(request, QStringLiteral("lookup timed out"));
                return;
            }
            QCborMap fields = peerToCbor(*peer);
            fields.insert(QStringLiteral("hops"), hops);
            c->reply(request, fields);
        });
        return;
    }
    // Range: a box {lo, hi} or a ball {c, r}; answered after "wait" ms (default 1000).
    Region region;
    if (request.contains(QStringLiteral("lo"))) {
        const auto lo = pointFrom(request.value(QStringLiteral("lo")));
        const auto hi = pointFrom(request.value(QStringLiteral("hi")));
        if (lo && hi)
            region = Region::box(*lo, *hi);
        else
            region.radius = -1.0;
    } else {
        const auto centre = pointFrom(request.value(QStringLiteral("c")));
        const double r = request.value(QStringLiteral("r")).toDouble(-1.0);
        region = centre ? Region::ball(*centre, r) : Region::ball({}, -1.0);
    }
    if (!region.valid(m_options.node.space)) {
        connection->replyError(request, QStringLiteral("not a region of the space"));
        return;
    }
    const int wait = int(request.value(QStringLiteral("wait")).toInteger(1000));
    rangeQuery(region, wait, [this, c, request](const QList<OverlayPeer> &peers) {
        if (!c)
            return;
        QCborArray nodes;
        for (const OverlayPeer &p : peers)
            nodes.append(peerToCbor(p));
        QCborMap fields;
        fields.insert(QStringLiteral("nodes"), nodes);
        c->reply(request, fields);
    });
}

} // namespace metatopia::raynet
