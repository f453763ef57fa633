// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "chat/ChatClient.h"

#include "chat/ChatProtocol.h"
#include "net/Connection.h"
#include "net/PinStore.h"
#include "net/Protocol.h"
#include "net/TlsIdentity.h"

#include <QCborArray>
#include <QDateTime>
#include <QDir>
#include <QHash>
#include <QPointer>
#include <QRandomGenerator>
#include <QTimer>

#include <map>
#include <set>

namespace metatopia {

namespace {

const QString kMethod = QStringLiteral("method");
const QString kName = QStringLiteral("name");

// What a request was for, so its reply can be routed.
struct PendingRequest
{
    QString type;
    QString target; // channel of join/leave/history, or the user of an auth request
    qint64 seq = 0; // say/im
};

struct Outgoing
{
    qint64 seq = 0;
    bool isPrivate = false;
    QString target; // "#channel" or user
    QString text;
    qint64 createdMs = 0;
    quint64 inFlightRequest = 0; // request id on the current connection, 0 if not sent on it
};

// Errors that say "later", not "never": the message stays queued and is sent again.
// Messages sent but not yet acknowledged on one connection. Bounded so that resending a long
// offline backlog stays within the server's per-connection rate limit instead of tripping it.
constexpr int MaxInFlight = 32;

bool isTransientError(const QString &text)
{
    return text.contains(QLatin1String("rate"), Qt::CaseInsensitive)
        || text.contains(QLatin1String("busy"), Qt::CaseInsensitive)
        || text.contains(QLatin1String("not logged in"), Qt::CaseInsensitive);
}

} // namespace

struct ChatClient::Private
{
    ChatClient *q;
    QString dataDir;
    net::PinStore pins;
    std::unique_ptr<net::Connection> conn;
    State state = State::Disconnected;

    QString host;
    quint16 port = 0;
    bool wantConnected = false;
    bool autoReconnect = true;
    int initialDelayMs = 500;
    int maxDelayMs = 30000;
    int attempt = 0;
    QTimer reconnectTimer;

    // Credentials waiting for a connection; the password is dropped once sent.
    QString pendingAuthMethod;
    QString pendingUser;
    QString pendingPassword;
    QString user;
    QString token;

    std::set<QString> channels; // joined (or to re-join after a reconnect)
    Presence presence = Presence::Online;
    std::map<quint64, PendingRequest> requests;
    std::map<qint64, Outgoing> outgoing; // by seq, which grows with sending order
    qint64 seqPrefix = 0;
    qint64 nextSeq = 1;
    QString sourceOffer;
    QString serverName;
    QTimer retryTimer; // resend after a transient refusal

    explicit Private(ChatClient *owner, QString dir)
        : q(owner)
        , dataDir(std::move(dir))
        , pins(QDir(dataDir).filePath(QStringLiteral("known-servers.txt")))
    {
        // The seq must not repeat for this account even across restarts of the app and between
        // two windows logged in as the same user: a random per-instance prefix (31 bits) in the
        // high half and a counter in the low half.
        seqPrefix = qint64(QRandomGenerator::system()->bounded(1u << 31)) << 32;
        reconnectTimer.setSingleShot(true);
        retryTimer.setSingleShot(true);
        retryTimer.setInterval(1000);
    }

    void setState(State s)
    {
        if (state == s)
            return;
        state = s;
        emit q->stateChanged(s);
    }

    bool loggedIn() const { return state == State::LoggedIn && conn && conn->isReady(); }

    void startConnection()
    {
        dropConnection();
        setState(State::Connecting);
        QDir().mkpath(dataDir);
        net::ClientOptions options;
        options.clientName = QStringLiteral("metatopia-chat");
        conn = net::Connection::connectToHost(host, port, pins, options);
        net::Connection *c = conn.get();
        QObject::connect(c, &net::Connection::ready, q, [this, c] {
            if (c == conn.get())
                onReady();
        });
        QObject::connect(c, &net::Connection::messageReceived, q, [this, c](const QCborMap &m) {
            if (c == conn.get())
                onMessage(m);
        });
        QObject::connect(c, &net::Connection::disconnected, q, [this, c] {
            if (c == conn.get())
                onDisconnected();
        });
        QObject::connect(c, &net::Connection::errorOccurred, q, [this, c](const QString &e) {
            if (c == conn.get())
                emit q->errorOccurred(e);
        });
        QObject::connect(c, &net::Connection::fingerprintChanged, q,
            [this, c](
                const QString &hostPort, const QByteArray &pinned, const QByteArray &presented) {
                if (c != conn.get())
                    return;
                // Retrying would only hammer the same certificate: stop until the
                // user decides.
                wantConnected = false;
                emit q->certificateChanged(hostPort, net::TlsIdentity::formatFingerprint(pinned),
                    net::TlsIdentity::formatFingerprint(presented));
            });
    }

    // Detaches the current connection without touching the state machine.
    void dropConnection()
    {
        requests.clear();
        for (auto &[seq, out] : outgoing)
            out.inFlightRequest = 0;
        if (!conn)
            return;
        net::Connection *c = conn.release();
        QObject::disconnect(c, nullptr, q, nullptr);
        c->abort();
        c->deleteLater();
    }

    void onReady()
    {
        const QCborMap welcome = conn->handshake();
        sourceOffer = welcome.value(QStringLiteral("source")).toString();
        serverName = welcome.value(QStringLiteral("server")).toString();
        setState(State::Connected);
        if (!pendingAuthMethod.isEmpty())
            sendPendingAuth();
        else if (!token.isEmpty())
            sendAuth(QStringLiteral("token"), user, {}, token);
    }

    void onDisconnected()
    {
        dropConnection();
        setState(State::Disconnected);
        if (wantConnected && autoReconnect)
            scheduleReconnect();
    }

    void scheduleReconnect()
    {
        // min(initial * 2^attempt, max); the shift is capped so it cannot overflow.
        const qint64 factor = qint64(1) << std::min(attempt, 20);
        const int delay = int(std::min<qint64>(qint64(initialDelayMs) * factor, maxDelayMs));
        ++attempt;
        emit q->reconnecting(attempt, delay);
        reconnectTimer.start(delay);
    }

    void sendPendingAuth()
    {
        const QString method = pendingAuthMethod;
        const QString name = pendingUser;
        const QString password = pendingPassword;
        pendingAuthMethod.clear();
        pendingPassword.clear();
        sendAuth(method, name, password, {});
    }

    void sendAuth(const QString &method, const QString &name, const QString &password,
        const QString &sessionToken)
    {
        QCborMap m = net::makeMessage(net::msg::auth);
        m.insert(kMethod, method);
        if (!name.isEmpty())
            m.insert(kName, name);
        if (!password.isEmpty())
            m.insert(chat::key::password, password);
        if (!sessionToken.isEmpty())
            m.insert(chat::key::token, sessionToken);
        const quint64 id = conn->request(m);
        if (id == 0) {
            emit q->errorOccurred(QStringLiteral("could not send the login request"));
            return;
        }
        requests[id] = PendingRequest { net::msg::auth, method, 0 };
    }

    quint64 request(const QString &type, QCborMap fields, PendingRequest pending)
    {
        if (!conn || !conn->isReady())
            return 0;
        fields.insert(net::key::type, type);
        const quint64 id = conn->request(fields);
        if (id != 0) {
            pending.type = type;
            requests[id] = std::move(pending);
        }
        return id;
    }

    void afterLogin()
    {
        attempt = 0;
        setState(State::LoggedIn);
        emit q->loggedIn(user);
        // Order matters: the server handles one connection's requests in order, so the joins
        // are done before the resent channel messages arrive.
        for (const QString &channel : channels)
            sendJoin(channel);
        if (presence != Presence::Online)
            sendPresence();
        pump();
    }

    // Sends queued messages, oldest first, while the in-flight window has room.
    void pump()
    {
        if (!loggedIn() || retryTimer.isActive())
            return;
        int inFlight = 0;
        for (const auto &[seq, out] : outgoing)
            inFlight += out.inFlightRequest != 0 ? 1 : 0;
        for (auto &[seq, out] : outgoing) {
            if (inFlight >= MaxInFlight)
                break;
            if (out.inFlightRequest == 0) {
                sendOutgoing(out);
                if (out.inFlightRequest != 0)
                    ++inFlight;
            }
        }
    }

    void sendJoin(const QString &channel)
    {
        QCborMap m;
        m.insert(chat::key::channel, channel);
        request(chat::msg::join, m, PendingRequest { {}, channel, 0 });
    }

    void sendPresence()
    {
        QCborMap m;
        m.insert(chat::key::state, presenceToString(presence));
        request(chat::msg::presence, m, {});
    }

    void sendOutgoing(Outgoing &out)
    {
        if (out.inFlightRequest != 0 || !loggedIn())
            return;
        QCborMap m;
        if (out.isPrivate)
            m.insert(chat::key::to, out.target);
        else
            m.insert(chat::key::channel, out.target);
        m.insert(chat::key::text, out.text);
        m.insert(chat::key::seq, out.seq);
        out.inFlightRequest = request(out.isPrivate ? chat::msg::im : chat::msg::say, m,
            PendingRequest { {}, out.target, out.seq });
    }

    qint64 queueMessage(bool isPrivate, const QString &target, const QString &text)
    {
        if (text.trimmed().isEmpty()) {
            emit q->errorOccurred(QStringLiteral("empty message not sent"));
            return 0;
        }
        if (text.size() > chat::MaxMessageLength) {
            emit q->errorOccurred(QStringLiteral("message too long (%1 characters, at most %2)")
                                      .arg(text.size())
                                      .arg(chat::MaxMessageLength));
            return 0;
        }
        const qint64 seq = seqPrefix | nextSeq++;
        Outgoing out;
        out.seq = seq;
        out.isPrivate = isPrivate;
        out.target = target;
        out.text = text;
        out.createdMs = QDateTime::currentMSecsSinceEpoch();
        outgoing[seq] = out;

        ChatMessage shown;
        shown.channel = isPrivate ? QLatin1Char('@') + target : target;
        shown.from = user;
        shown.to = target;
        shown.text = text;
        shown.timestampMs = out.createdMs;
        shown.isPrivate = isPrivate;
        shown.pending = true;
        shown.clientSeq = seq;
        emit q->messageReceived(shown);

        pump();
        return seq;
    }

    void onMessage(const QCborMap &m)
    {
        const QString type = net::messageType(m);
        const auto id = net::requestId(m);
        if (id) {
            auto it = requests.find(*id);
            if (it == requests.end())
                return; // a reply to something we no longer wait for
            PendingRequest pending = std::move(it->second);
            requests.erase(it);
            onReply(pending, m);
            return;
        }
        if (type == chat::msg::message) {
            if (auto msg = chat::decodeMessage(m.value(chat::key::message).toMap(), user))
                emit q->messageReceived(*msg);
        } else if (type == chat::msg::member) {
            const QString channel = m.value(chat::key::channel).toString();
            const QString who = m.value(chat::key::user).toString();
            if (m.value(chat::key::joined).toBool())
                emit q->memberJoined(channel, who);
            else
                emit q->memberLeft(channel, who);
        } else if (type == chat::msg::presence) {
            emit q->presenceChanged(m.value(chat::key::user).toString(),
                presenceFromString(m.value(chat::key::state).toString()));
        } else if (type == net::msg::error) {
            emit q->errorOccurred(net::errorText(m));
        }
    }

    void onReply(const PendingRequest &pending, const QCborMap &m)
    {
        const bool ok = net::isOk(m);
        const QString error = net::errorText(m);
        if (pending.type == net::msg::auth) {
            onAuthReply(pending.target, ok, error, m);
        } else if (pending.type == chat::msg::join) {
            if (!ok) {
                channels.erase(pending.target);
                emit q->errorOccurred(
                    QStringLiteral("cannot join %1: %2").arg(pending.target, error));
                return;
            }
            const QString channel = m.value(chat::key::channel).toString();
            QStringList members;
            for (const QCborValue &v : m.value(chat::key::members).toArray())
                members.append(v.toString());
            emit q->channelJoined(channel, members);
            emit q->historyReceived(channel,
                chat::decodeMessages(m.value(chat::key::messages).toArray(), user),
                m.value(chat::key::more).toBool());
        } else if (pending.type == chat::msg::leave) {
            if (ok)
                emit q->channelLeft(pending.target);
            else
                emit q->errorOccurred(error);
        } else if (pending.type == chat::msg::channels) {
            QStringList list;
            for (const QCborValue &v : m.value(chat::key::channels).toArray())
                list.append(v.toString());
            if (ok)
                emit q->channelListReceived(list);
            else
                emit q->errorOccurred(error);
        } else if (pending.type == chat::msg::say || pending.type == chat::msg::im) {
            onSendReply(pending.seq, ok, error, m);
        } else if (pending.type == chat::msg::history) {
            if (!ok) {
                emit q->errorOccurred(error);
                return;
            }
            emit q->historyReceived(m.value(chat::key::channel).toString(),
                chat::decodeMessages(m.value(chat::key::messages).toArray(), user),
                m.value(chat::key::more).toBool());
        } else if (pending.type == net::msg::source) {
            emit q->sourceReceived(m.value(chat::key::source).toString());
        } else if (!ok) {
            emit q->errorOccurred(error);
        }
    }

    void onAuthReply(const QString &method, bool ok, const QString &error, const QCborMap &m)
    {
        if (!ok) {
            if (method == QLatin1String("register")) {
                emit q->registrationFailed(error);
            } else {
                if (method == QLatin1String("token"))
                    token.clear(); // expired or revoked: a password login is needed
                emit q->loginFailed(error);
            }
            return;
        }
        user = m.value(kName).toString();
        token = m.value(chat::key::token).toString();
        if (method == QLatin1String("register"))
            emit q->registered(user);
        afterLogin();
    }

    void onSendReply(qint64 seq, bool ok, const QString &error, const QCborMap &m)
    {
        auto it = outgoing.find(seq);
        if (it == outgoing.end())
            return;
        if (ok) {
            outgoing.erase(it);
            emit q->messageAcknowledged(seq, m.value(chat::key::mid).toInteger());
            pump();
            return;
        }
        it->second.inFlightRequest = 0;
        if (isTransientError(error)) {
            retryTimer.start();
            return;
        }
        outgoing.erase(it);
        emit q->messageRejected(seq, error);
        emit q->errorOccurred(QStringLiteral("message not delivered: %1").arg(error));
        pump();
    }
};

ChatClient::ChatClient(QString dataDir, QObject *parent)
    : QObject(parent)
    , d(std::make_unique<Private>(this, std::move(dataDir)))
{
    qRegisterMetaType<ChatMessage>();
    qRegisterMetaType<QList<ChatMessage>>();
    connect(&d->reconnectTimer, &QTimer::timeout, this, [this] {
        if (d->wantConnected)
            d->startConnection();
    });
    connect(&d->retryTimer, &QTimer::timeout, this, [this] { d->pump(); });
}

ChatClient::~ChatClient()
{
    d->wantConnected = false;
    d->dropConnection();
}

void ChatClient::connectToServer(const QString &host, quint16 port)
{
    d->host = host;
    d->port = port;
    d->wantConnected = true;
    d->attempt = 0;
    d->reconnectTimer.stop();
    d->startConnection();
}

void ChatClient::disconnectFromServer()
{
    d->wantConnected = false;
    d->reconnectTimer.stop();
    if (d->conn)
        d->conn->close(QStringLiteral("client disconnects"));
    d->dropConnection();
    d->setState(State::Disconnected);
}

void ChatClient::registerAccount(const QString &user, const QString &password)
{
    d->pendingAuthMethod = QStringLiteral("register");
    d->pendingUser = user;
    d->pendingPassword = password;
    if (d->conn && d->conn->isReady())
        d->sendPendingAuth();
}

void ChatClient::login(const QString &user, const QString &password)
{
    if (d->state == State::LoggedIn) {
        if (user == d->user) {
            emit loggedIn(d->user);
            return;
        }
        // Another account: start over on a fresh connection.
        logout();
    }
    d->pendingAuthMethod = QStringLiteral("password");
    d->pendingUser = user;
    d->pendingPassword = password;
    if (d->conn && d->conn->isReady())
        d->sendPendingAuth();
}

void ChatClient::logout()
{
    d->token.clear();
    d->user.clear();
    d->channels.clear();
    d->outgoing.clear();
    if (d->wantConnected)
        d->startConnection();
}

void ChatClient::joinChannel(const QString &channel)
{
    const QString name = chat::normalizeChannel(channel);
    d->channels.insert(name);
    if (d->loggedIn())
        d->sendJoin(name);
}

void ChatClient::leaveChannel(const QString &channel)
{
    const QString name = chat::normalizeChannel(channel);
    d->channels.erase(name);
    QCborMap m;
    m.insert(chat::key::channel, name);
    if (d->request(chat::msg::leave, m, PendingRequest { {}, name, 0 }) == 0)
        emit channelLeft(name);
}

void ChatClient::listChannels()
{
    if (d->request(chat::msg::channels, {}, {}) == 0)
        emit errorOccurred(QStringLiteral("not connected"));
}

qint64 ChatClient::sendToChannel(const QString &channel, const QString &text)
{
    return d->queueMessage(false, chat::normalizeChannel(channel), text);
}

qint64 ChatClient::sendPrivate(const QString &user, const QString &text)
{
    QString name = user;
    if (name.startsWith(u'@'))
        name.remove(0, 1);
    return d->queueMessage(true, name, text);
}

void ChatClient::sendLocal(const QString &mode, const QString &text)
{
    QCborMap m;
    m.insert(chat::key::mode, mode);
    m.insert(chat::key::text, text);
    if (d->request(chat::msg::local, m, {}) == 0)
        emit errorOccurred(QStringLiteral("not connected"));
}

void ChatClient::setPresence(Presence p)
{
    d->presence = p;
    if (d->loggedIn())
        d->sendPresence();
}

void ChatClient::requestHistory(const QString &channel, qint64 beforeId, int limit)
{
    QCborMap m;
    m.insert(chat::key::channel, channel);
    m.insert(chat::key::before, beforeId);
    m.insert(chat::key::limit, limit);
    if (d->request(chat::msg::history, m, PendingRequest { {}, channel, 0 }) == 0)
        emit errorOccurred(QStringLiteral("not connected"));
}

void ChatClient::requestSource()
{
    if (d->request(net::msg::source, {}, {}) == 0)
        emit errorOccurred(QStringLiteral("not connected"));
}

ChatClient::State ChatClient::state() const
{
    return d->state;
}

QString ChatClient::user() const
{
    return d->user;
}

QStringList ChatClient::joinedChannels() const
{
    return QStringList(d->channels.begin(), d->channels.end());
}

QList<ChatMessage> ChatClient::pendingMessages() const
{
    QList<ChatMessage> out;
    for (const auto &[seq, o] : d->outgoing) {
        ChatMessage m;
        m.channel = o.isPrivate ? QLatin1Char('@') + o.target : o.target;
        m.from = d->user;
        m.to = o.target;
        m.text = o.text;
        m.timestampMs = o.createdMs;
        m.isPrivate = o.isPrivate;
        m.pending = true;
        m.clientSeq = seq;
        out.append(m);
    }
    return out;
}

QString ChatClient::serverSourceOffer() const
{
    return d->sourceOffer;
}

QString ChatClient::serverName() const
{
    return d->serverName;
}

void ChatClient::setReconnectDelays(int initialMs, int maxMs)
{
    d->initialDelayMs = std::max(1, initialMs);
    d->maxDelayMs = std::max(d->initialDelayMs, maxMs);
}

void ChatClient::setAutoReconnect(bool enabled)
{
    d->autoReconnect = enabled;
}

} // namespace metatopia
