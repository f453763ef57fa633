// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

// The RayNet overlay over TCP/TLS (libs/net): OverlayService runs one Node in a server process.
// It listens on a port, opens connections to peers on demand (a bounded cache of outgoing
// links), drives the node's gossip from a QTimer, and answers queries from tools and sims
// (neighbours, route to a point, range query). A sim's region sits at a point of the space; the
// service keeps the set of nodes in the adjacent grid cells up to date with periodic range
// queries, which is how a sim finds the sims next to it without configured neighbours.
//
// On the wire a node is "host:port"; its PeerId is derived from that address (SHA-256), so a
// descriptor cannot point at another node's address. Every overlay frame carries the sender's
// address and the addresses of all descriptors inside. Links are one-way: A's messages to B
// travel over A's outgoing connection to B. Before B believes that an incoming connection speaks
// for address A, it sends a random nonce to A over its own outgoing link; only the process that
// really listens at A learns the nonce and returns it over the incoming connection. Unverified,
// malformed or inconsistent frames are rejected and counted; the process keeps serving.

#include "raynet/Node.h"

#include <QCborMap>
#include <QElapsedTimer>
#include <QHash>
#include <QList>
#include <QObject>
#include <QPointer>
#include <QString>
#include <QStringList>
#include <QTimer>

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <vector>

namespace metatopia::net {
class Connection;
class PinStore;
class Server;
} // namespace metatopia::net

namespace metatopia::raynet {

// PeerId of the node listening at "host:port": the first 8 bytes of SHA-256, never 0.
PeerId peerIdForAddress(const QString &address);
// Splits "host:port" (IPv6 hosts in brackets); nullopt unless the port is 1..65535 (or 0 when
// allowZeroPort) and the host is not empty.
std::optional<std::pair<QString, quint16>> splitAddress(
    const QString &address, bool allowZeroPort = false);
// "x,y[,z...]" -> point with as many axes (2..kMaxDimensions).
std::optional<Point> parsePoint(const QString &text, int *dimensions = nullptr);

// Wire vocabulary of the overlay port.
namespace wire {
inline const QString message = QStringLiteral("raynet"); // {f, m: CBOR Message, a: [addresses]}
inline const QString challenge = QStringLiteral("raynet.challenge"); // {f, n}
inline const QString proof = QStringLiteral("raynet.proof"); // {f, n}
// Requests (with "id"), answered on the same connection:
inline const QString neighbours = QStringLiteral("raynet.neighbours"); // -> self, adjacent, ...
inline const QString lookup = QStringLiteral("raynet.lookup"); // {p} -> {a, p, hops}
inline const QString range = QStringLiteral("raynet.range"); // {lo, hi} | {c, r}, wait -> nodes
} // namespace wire

struct OverlayOptions
{
    QString listenAddress = QStringLiteral("127.0.0.1:0"); // port 0 picks a free one
    // Host other nodes reach us at (default: the listen host; required for 0.0.0.0 / ::).
    QString advertisedHost;
    QStringList seeds; // "host:port" of nodes already in the overlay (none: start a new one)
    Point position {}; // our point in the space (a sim: its region)
    NodeConfig node; // node.space must contain position
    QString dataDir; // TLS identity (shared with the server's other roles) and peer pins
    int tickMs = 1000; // gossip period
    int maxLinks = 64; // outgoing connections kept open (least recently used ones are closed)
    int connectTimeoutMs = 3000;
    int verifyTimeoutMs = 10000; // an incoming connection must prove its address within this
    // Adjacent regions: every node within +-adjacencyStep of position on every axis (the 8
    // neighbouring cells of a 2-D grid with step 1, 26 in 3-D), refreshed every adjacencyMs.
    double adjacencyStep = 1.0;
    int adjacencyMs = 1000; // <= 0: do not track
};

struct OverlayPeer
{
    QString address;
    Point position {};
    friend bool operator==(const OverlayPeer &, const OverlayPeer &) = default;
};

class OverlayService : public QObject
{
    Q_OBJECT
public:
    struct Counters
    {
        quint64 framesIn = 0; // overlay messages handed to the node
        quint64 framesOut = 0;
        quint64 rejectedFrames = 0; // malformed, inconsistent addresses, invalid messages
        quint64 unverifiedFrames = 0; // dropped: the connection never proved its address
        quint64 impostors = 0; // incoming connections closed unverified
        quint64 sendFailures = 0; // reported to the node as crashes
        quint64 droppedSends = 0; // queue or write buffer full
        QString lastRejection;
    };

    explicit OverlayService(OverlayOptions options, QObject *parent = nullptr);
    ~OverlayService() override;

    // Listens, then joins through the seeds (or starts a new overlay without any).
    bool start(QString *error = nullptr);
    // Polite leave (neighbours repair at once) and close.
    void stop();

    QString address() const { return m_address; }
    PeerId id() const { return m_id; }
    quint16 port() const;
    const Node &node() const { return *m_node; }
    bool joined() const { return m_node && m_node->joined(); }
    QList<OverlayPeer> adjacent() const { return m_adjacent; }
    QList<OverlayPeer> voronoiNeighbours() const;
    const Counters &counters() const { return m_counters; }
    // Number of open outgoing links (bounded by maxLinks).
    int linkCount() const { return int(m_links.size()); }
    QString describe(const QList<OverlayPeer> &peers) const;

    // Asynchronous queries from this process (the sim role); `done` gets nullopt on timeout.
    void lookup(const Point &target, std::function<void(std::optional<OverlayPeer>, int hops)> done,
        int timeoutMs = 5000);
    void rangeQuery(const Region &region, int waitMs, std::function<void(QList<OverlayPeer>)> done);

    // Sends frame as it is over the outgoing link to address: diagnostics and hostile-input
    // tests. Overlay traffic goes through the node.
    void sendRawFrame(const QString &address, const QCborMap &frame);

Q_SIGNALS:
    void adjacentChanged(const QList<metatopia::raynet::OverlayPeer> &adjacent);
    void joinedChanged(bool joined);

private:
    struct Link;
    struct Inbound;
    void onNewConnection(net::Connection *connection);
    void onInbound(net::Connection *connection, const QCborMap &message);
    void handleOverlayFrame(Inbound &in, const QCborMap &frame);
    void handleChallenge(const QCborMap &frame);
    void handleProof(Inbound &in, const QCborMap &frame);
    void handleRequest(net::Connection *connection, const QCborMap &request);
    void reject(Inbound *in, const QString &why);
    void claim(Inbound &in, const QString &address);
    void challenge(Inbound &in);
    void tick();
    void refreshAdjacent();
    void housekeeping();
    void flush();
    void deliver(const Envelope &env);
    Link &link(const QString &address);
    void sendControl(const QString &address, const QCborMap &frame);
    void onLinkReady(const QString &address, net::Connection *connection);
    void onLinkDown(const QString &address, net::Connection *connection);
    void rememberAddress(PeerId id, const QString &address);
    QString addressOf(PeerId id) const;
    bool isInUse(PeerId id) const; // a neighbour, long link or view entry of the node
    OverlayPeer peerOf(const Descriptor &d) const;
    QCborMap peerToCbor(const OverlayPeer &p) const;
    QCborMap statusReply() const;
    std::optional<Point> pointFrom(const QCborValue &value) const;
    void onLookupDone(const LookupResult &result);
    void onRangeHit(std::uint64_t queryId, const Descriptor &node);
    void joinThroughNextSeed();

    OverlayOptions m_options;
    QString m_address;
    PeerId m_id = 0;
    std::unique_ptr<Node> m_node;
    std::unique_ptr<net::Server> m_server;
    std::unique_ptr<net::PinStore> m_pins;
    QTimer m_tick;
    QTimer m_adjacencyTimer;
    QElapsedTimer m_clock;
    Counters m_counters;
    bool m_started = false;
    bool m_wasJoined = false;
    int m_nextSeed = 0;
    bool m_flushing = false;
    bool m_inLookupCall = false;

    // Addresses of every peer the node may talk to (bounded; oldest forgotten first).
    QHash<PeerId, QString> m_addresses;
    std::deque<PeerId> m_addressOrder;

    std::map<QString, Link> m_links;
    std::map<quint64, Inbound> m_inbound; // by connection id
    struct Challenge
    {
        QString address; // the address the nonce was sent to
        qint64 time = 0;
    };
    QHash<QByteArray, Challenge> m_challenges; // by nonce

    struct PendingLookup
    {
        std::function<void(std::optional<OverlayPeer>, int)> done;
        qint64 deadline = 0;
    };
    std::map<std::uint64_t, PendingLookup> m_lookups;
    std::map<std::uint64_t, LookupResult> m_earlyLookups; // answered before lookup() returned
    struct PendingRange
    {
        Region region;
        std::map<PeerId, OverlayPeer> hits;
    };
    std::map<std::uint64_t, PendingRange> m_ranges;
    std::uint64_t m_adjacencyQuery = 0;
    QList<OverlayPeer> m_adjacent;
};

} // namespace metatopia::raynet
