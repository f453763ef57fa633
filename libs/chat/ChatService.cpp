// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "chat/ChatService.h"

#include "chat/ChatArchive.h"
#include "chat/ChatProtocol.h"
#include "net/Connection.h"
#include "net/Protocol.h"
#include "net/Server.h"
#include "store/AccountStore.h"
#include "store/Database.h"
#include "store/LoginThrottle.h"
#include "store/SessionStore.h"

#include <QCborArray>
#include <QDateTime>
#include <QLoggingCategory>
#include <QPointer>
#include <QTimer>

#include <map>
#include <set>

Q_LOGGING_CATEGORY(lcChat, "metatopia.chat")

namespace metatopia {

namespace {

const QString kMethod = QStringLiteral("method");
const QString kName = QStringLiteral("name");

using ConnSet = std::set<net::Connection *>;

struct UserState
{
    qint64 accountId = 0;
    ConnSet connections;
    Presence presence = Presence::Online;
    std::set<QString> contacts; // IM peers, told about presence changes
};

} // namespace

struct ChatService::Private
{
    ChatService *q;
    net::Server &server;
    ChatServiceOptions options;
    store::AccountStore accounts;
    store::SessionStore sessions;
    store::LoginThrottle throttle;
    ChatArchive archive;
    bool ready = false;
    QString error;
    const AvatarPositions *positions = nullptr;

    std::map<QString, UserState> users; // online users
    std::map<QString, std::map<net::Connection *, QString>> channels; // channel -> conn -> user
    std::map<net::Connection *, std::set<QString>> joinedBy; // conn -> channels

    static store::LoginThrottle::Policy throttlePolicy(const ChatServiceOptions &o)
    {
        store::LoginThrottle::Policy p;
        p.baseDelayMs = o.wrongPasswordDelayMs;
        p.maxDelayMs = std::max(o.wrongPasswordDelayMs, 30000);
        return p;
    }

    Private(ChatService *owner, net::Server &srv, store::Database &db, ChatServiceOptions opts)
        : q(owner)
        , server(srv)
        , options(opts)
        , accounts(db,
              opts.cheapPasswordHashing ? store::PasswordHashing::minimal()
                                        : store::PasswordHashing::interactive())
        , sessions(db)
        , throttle(throttlePolicy(opts))
        , archive(db)
    {
        flushTimer.setSingleShot(true);
        flushTimer.setInterval(0);
        QObject::connect(&flushTimer, &QTimer::timeout, q, [this] { flush(); });
        ready = archive.open();
        if (!ready)
            error = QStringLiteral("cannot prepare the chat tables: %1").arg(archive.errorString());
    }

    // ---- authentication ------------------------------------------------------------------

    void authenticate(net::Connection &conn, const QCborMap &request, net::AuthDone done)
    {
        const QString method = request.value(kMethod).toString();
        const QString name = request.value(kName).toString();
        const QString password = request.value(chat::key::password).toString();
        if (method == QLatin1String("token")) {
            resume(request.value(chat::key::token).toString(), std::move(done));
        } else if (method == QLatin1String("register")) {
            registerAccount(name, password, std::move(done));
        } else if (method == QLatin1String("password")) {
            passwordLogin(name, password, conn.peerAddress(), std::move(done));
        } else {
            net::AuthOutcome out;
            out.error = QStringLiteral("unknown auth method \"%1\"").arg(method);
            done(out);
        }
    }

    net::AuthOutcome success(const store::Account &account, QString token = {})
    {
        net::AuthOutcome out;
        if (token.isEmpty())
            token = sessions.create(account.id);
        if (token.isEmpty()) {
            out.error
                = QStringLiteral("could not create a session: %1").arg(sessions.errorString());
            return out;
        }
        out.ok = true;
        out.accountId = account.id;
        out.accountName = account.name;
        out.fields.insert(kName, account.name);
        out.fields.insert(chat::key::token, token);
        return out;
    }

    void resume(const QString &token, net::AuthDone done)
    {
        const auto session = token.isEmpty() ? std::nullopt : sessions.validate(token);
        const auto account = session ? accounts.findById(session->accountId) : std::nullopt;
        if (!account) {
            net::AuthOutcome out;
            out.error = QStringLiteral("session expired, please log in again");
            done(out);
            return;
        }
        accounts.recordLogin(account->id, QDateTime::currentDateTimeUtc());
        done(success(*account, token));
    }

    void registerAccount(const QString &name, const QString &password, net::AuthDone done)
    {
        accounts.registerAccountAsync(
            name, password, q, [this, name, done = std::move(done)](const auto &result) {
                if (!result.ok()) {
                    net::AuthOutcome out;
                    out.error = result.errorText;
                    done(out);
                    return;
                }
                qCInfo(lcChat) << "registered" << result.account.name;
                // Registering logs the new player in: it counts as a login for the temp-admin
                // rule (players seen within Y days), like a token login does.
                store::Account account = result.account;
                account.lastLogin = account.joined;
                accounts.recordLogin(account.id, account.lastLogin);
                done(success(account));
            });
    }

    void passwordLogin(
        const QString &name, const QString &password, const QString &address, net::AuthDone done)
    {
        accounts.loginAsync(
            name, password, q, [this, name, address, done = std::move(done)](const auto &result) {
                if (!result.ok()) {
                    net::AuthOutcome out;
                    out.error = result.errorText;
                    if (result.error == store::AccountStore::Error::WrongCredentials)
                        out.delayMs = throttle.recordFailure(name.toCaseFolded(), address);
                    done(out);
                    return;
                }
                throttle.recordSuccess(name.toCaseFolded(), address);
                done(success(result.account));
            });
    }

    // ---- sessions ------------------------------------------------------------------------

    void onAuthenticated(net::Connection *conn)
    {
        const QString name = conn->accountName();
        auto &u = users[name];
        const bool cameOnline = u.connections.empty();
        u.accountId = conn->accountId();
        u.connections.insert(conn);
        QObject::connect(conn, &net::Connection::messageReceived, q,
            [this, conn](const QCborMap &m) { handle(*conn, m); });
        QObject::connect(
            conn, &net::Connection::disconnected, q, [this, conn] { onDisconnected(conn); });
        qCInfo(lcChat).noquote() << name << "logged in from" << conn->peerAddress();
        if (cameOnline) {
            u.presence = Presence::Online;
            u.contacts = archive.contacts(u.accountId);
            broadcastPresence(name);
        }
        // Tell the newcomer who of its contacts is around.
        for (const QString &peer : u.contacts) {
            auto it = users.find(peer);
            if (it != users.end())
                conn->send(presenceMessage(peer, it->second.presence));
        }
    }

    void onDisconnected(net::Connection *conn)
    {
        const QString name = conn->accountName();
        auto it = users.find(name);
        if (it != users.end()) {
            it->second.connections.erase(conn);
            qCInfo(lcChat).noquote() << name << "disconnected";
            if (it->second.connections.empty()) {
                // Told while the user still shares its channels, so channel peers hear it.
                it->second.presence = Presence::Offline;
                broadcastPresence(name);
            }
        }
        const auto joined = joinedBy.find(conn);
        if (joined != joinedBy.end()) {
            const std::set<QString> chans = joined->second;
            for (const QString &channel : chans)
                leave(conn, channel);
            joinedBy.erase(conn);
        }
        it = users.find(name);
        if (it != users.end() && it->second.connections.empty())
            users.erase(it);
    }

    // ---- requests ------------------------------------------------------------------------

    void handle(net::Connection &conn, const QCborMap &m)
    {
        const QString type = net::messageType(m);
        if (type == chat::msg::say) {
            handleSay(conn, m);
            return;
        }
        if (type == chat::msg::im) {
            handleIm(conn, m);
            return;
        }
        flush();
        if (type == chat::msg::join)
            handleJoin(conn, m);
        else if (type == chat::msg::leave)
            handleLeave(conn, m);
        else if (type == chat::msg::channels)
            handleChannels(conn, m);
        else if (type == chat::msg::presence)
            handlePresence(conn, m);
        else if (type == chat::msg::history)
            handleHistory(conn, m);
        else if (type == chat::msg::local)
            handleLocal(conn, m);
        else if (type == net::msg::auth)
            conn.replyError(m, QStringLiteral("already logged in"));
        else if (net::requestId(m))
            conn.replyError(m, QStringLiteral("unknown request \"%1\"").arg(type));
        // Unknown pushes are ignored: newer clients may send hints an older server lacks.
    }

    // Text checks shared by say, im and local. Empty string when fine.
    QString checkText(const QCborValue &text) const
    {
        if (!text.isString())
            return QStringLiteral("missing text");
        const QString s = text.toString();
        if (s.trimmed().isEmpty())
            return QStringLiteral("empty message");
        if (s.size() > options.maxMessageLength)
            return QStringLiteral("message too long (%1 characters, at most %2)")
                .arg(s.size())
                .arg(options.maxMessageLength);
        return {};
    }

    // The checks every stored message (say, im) passes first: its text, then whether it is a
    // resend already stored. False when the request has been answered here.
    bool acceptNewText(net::Connection &conn, const QCborMap &m, qint64 seq)
    {
        if (const QString error = checkText(m.value(chat::key::text)); !error.isEmpty()) {
            conn.replyError(m, error);
            return false;
        }
        return !replyIfDuplicate(conn, m, seq);
    }

    // A resent message already stored: acknowledge it again without delivering it twice.
    bool replyIfDuplicate(net::Connection &conn, const QCborMap &m, qint64 seq)
    {
        if (seq == 0)
            return false;
        const auto existing = archive.findSent(conn.accountId(), seq);
        if (!existing)
            return false;
        conn.reply(m, ackFields(*existing));
        return true;
    }

    static QCborMap ackFields(const ChatMessage &stored)
    {
        QCborMap f;
        f.insert(chat::key::seq, stored.clientSeq);
        f.insert(chat::key::mid, stored.id);
        f.insert(chat::key::ts, stored.timestampMs);
        return f;
    }

    static QCborMap pushOf(const ChatMessage &message)
    {
        QCborMap push = net::makeMessage(chat::msg::message);
        push.insert(chat::key::message, chat::encodeMessage(message));
        return push;
    }

    void handleSay(net::Connection &conn, const QCborMap &m)
    {
        const QString channel = m.value(chat::key::channel).toString();
        const qint64 seq = m.value(chat::key::seq).toInteger(0);
        if (!acceptNewText(conn, m, seq))
            return;
        auto ch = channels.find(channel);
        if (ch == channels.end() || !ch->second.count(&conn)) {
            conn.replyError(m, QStringLiteral("join %1 before speaking there").arg(channel));
            return;
        }
        ChatMessage msg;
        msg.channel = channel;
        msg.from = conn.accountName();
        msg.to = channel;
        msg.text = m.value(chat::key::text).toString();
        msg.clientSeq = seq;
        msg.timestampMs = QDateTime::currentMSecsSinceEpoch();
        enqueue(conn, m, msg, 0);
    }

    void handleIm(net::Connection &conn, const QCborMap &m)
    {
        QString to = m.value(chat::key::to).toString();
        if (to.startsWith(u'@'))
            to.remove(0, 1);
        const qint64 seq = m.value(chat::key::seq).toInteger(0);
        if (!acceptNewText(conn, m, seq))
            return;
        const auto recipient = accounts.find(to);
        if (!recipient) {
            conn.replyError(m, QStringLiteral("no user named \"%1\"").arg(to));
            return;
        }
        ChatMessage msg;
        msg.from = conn.accountName();
        msg.to = recipient->name;
        msg.text = m.value(chat::key::text).toString();
        msg.isPrivate = true;
        msg.clientSeq = seq;
        msg.timestampMs = QDateTime::currentMSecsSinceEpoch();
        enqueue(conn, m, msg, recipient->id);
    }

    // ---- group commit --------------------------------------------------------------------
    // Messages that arrive in one pass of the event loop are stored in one transaction (one
    // disk sync), then acknowledged and delivered. Any other request flushes first, so a
    // connection's replies keep the order of its requests.

    struct PendingWrite
    {
        QPointer<net::Connection> conn;
        QCborMap request;
        qsizetype item = -1; // index into the batch's archive items
    };
    QList<ChatArchive::Item> batchItems;
    std::vector<PendingWrite> batchWrites;
    std::map<std::pair<qint64, qint64>, qsizetype> batchSeqs; // (sender, seq) -> item
    QTimer flushTimer;

    void enqueue(
        net::Connection &conn, const QCborMap &request, const ChatMessage &msg, qint64 recipientId)
    {
        qsizetype item = -1;
        if (msg.clientSeq != 0) {
            // The same message twice in one batch (a resend racing its original).
            const auto it = batchSeqs.find({ conn.accountId(), msg.clientSeq });
            if (it != batchSeqs.end())
                item = it->second;
        }
        if (item < 0) {
            item = batchItems.size();
            batchItems.append(ChatArchive::Item { conn.accountId(), recipientId, msg });
            if (msg.clientSeq != 0)
                batchSeqs[{ conn.accountId(), msg.clientSeq }] = item;
        }
        batchWrites.push_back(PendingWrite { &conn, request, item });
        if (!flushTimer.isActive())
            flushTimer.start();
    }

    void flush()
    {
        flushTimer.stop();
        if (batchWrites.empty())
            return;
        QList<ChatArchive::Item> items = std::move(batchItems);
        std::vector<PendingWrite> writes = std::move(batchWrites);
        batchItems.clear();
        batchWrites.clear();
        batchSeqs.clear();
        if (!archive.append(items)) {
            qCWarning(lcChat) << "messages not stored:" << archive.errorString();
            for (const PendingWrite &w : writes) {
                if (w.conn)
                    w.conn->replyError(
                        w.request, QStringLiteral("server busy, message not stored"));
            }
            return;
        }
        std::vector<bool> delivered(size_t(items.size()), false);
        for (const PendingWrite &w : writes) {
            const ChatMessage &msg = items.at(w.item).message;
            if (w.conn)
                w.conn->reply(w.request, ackFields(msg));
            if (delivered[size_t(w.item)])
                continue;
            delivered[size_t(w.item)] = true;
            emit q->messageStored(msg.id);
            deliver(msg, w.conn.data());
        }
    }

    void deliver(const ChatMessage &msg, const net::Connection *sender)
    {
        const QCborMap push = pushOf(msg);
        if (!msg.isPrivate) {
            sendToChannel(msg.channel, push, sender);
            return;
        }
        // The recipient's connections and the sender's other ones (a second window).
        for (const QString &name : { msg.to, msg.from }) {
            auto it = users.find(name);
            if (it == users.end())
                continue;
            for (net::Connection *other : it->second.connections) {
                if (other != sender)
                    other->send(push);
            }
        }
        addContact(msg.from, msg.to);
        addContact(msg.to, msg.from);
    }

    void addContact(const QString &user, const QString &peer)
    {
        auto it = users.find(user);
        if (it == users.end() || user == peer)
            return;
        if (it->second.contacts.insert(peer).second) {
            // A new contact: tell the user where the peer stands right away.
            auto p = users.find(peer);
            const Presence presence = p == users.end() ? Presence::Offline : p->second.presence;
            for (net::Connection *c : it->second.connections)
                c->send(presenceMessage(peer, presence));
        }
    }

    void handleLocal(net::Connection &conn, const QCborMap &m)
    {
        const auto mode = LocalChat::modeFromName(m.value(chat::key::mode).toString());
        if (!mode) {
            conn.replyError(m, QStringLiteral("mode must be whisper, say or shout"));
            return;
        }
        if (const QString error = checkText(m.value(chat::key::text)); !error.isEmpty()) {
            conn.replyError(m, error);
            return;
        }
        if (!positions) {
            conn.replyError(m, QStringLiteral("local chat needs a sim: no avatar positions here"));
            return;
        }
        const QString from = conn.accountName();
        const QStringList hearers = LocalChat::hearers(*positions, from, *mode);
        ChatMessage msg;
        msg.channel = QStringLiteral("local");
        msg.from = from;
        msg.to = LocalChat::modeName(*mode);
        msg.text = m.value(chat::key::text).toString();
        msg.timestampMs = QDateTime::currentMSecsSinceEpoch();
        const QCborMap push = pushOf(msg);
        int heard = 0;
        for (const QString &h : hearers) {
            auto it = users.find(h);
            if (it == users.end())
                continue;
            ++heard;
            for (net::Connection *c : it->second.connections)
                c->send(push);
        }
        QCborMap f;
        f.insert(chat::key::seq, m.value(chat::key::seq).toInteger(0));
        f.insert(chat::key::heard, heard);
        conn.reply(m, f);
    }

    QStringList membersOf(const QString &channel) const
    {
        std::set<QString> names;
        auto ch = channels.find(channel);
        if (ch != channels.end()) {
            for (const auto &[c, user] : ch->second)
                names.insert(user);
        }
        return QStringList(names.begin(), names.end());
    }

    bool userInChannel(const QString &channel, const QString &user) const
    {
        auto ch = channels.find(channel);
        if (ch == channels.end())
            return false;
        for (const auto &[c, name] : ch->second) {
            if (name == user)
                return true;
        }
        return false;
    }

    void sendToChannel(
        const QString &channel, const QCborMap &message, const net::Connection *except)
    {
        auto ch = channels.find(channel);
        if (ch == channels.end())
            return;
        for (const auto &[c, user] : ch->second) {
            if (c != except)
                c->send(message);
        }
    }

    static QCborMap memberMessage(const QString &channel, const QString &user, bool joined)
    {
        QCborMap m = net::makeMessage(chat::msg::member);
        m.insert(chat::key::channel, channel);
        m.insert(chat::key::user, user);
        m.insert(chat::key::joined, joined);
        return m;
    }

    void handleJoin(net::Connection &conn, const QCborMap &m)
    {
        const QString channel = chat::normalizeChannel(m.value(chat::key::channel).toString());
        if (!chat::isValidChannelName(channel)) {
            conn.replyError(m, QStringLiteral("invalid channel name \"%1\"").arg(channel));
            return;
        }
        const QString user = conn.accountName();
        auto &mine = joinedBy[&conn];
        if (!mine.count(channel) && int(mine.size()) >= chat::MaxChannelsPerConnection) {
            conn.replyError(m,
                QStringLiteral("too many channels (at most %1 per connection)")
                    .arg(chat::MaxChannelsPerConnection));
            return;
        }
        const bool newMember = !userInChannel(channel, user);
        channels[channel][&conn] = user;
        joinedBy[&conn].insert(channel);
        if (newMember)
            sendToChannel(channel, memberMessage(channel, user, true), &conn);

        bool more = false;
        const QList<ChatMessage> history
            = archive.channelHistory(channel, 0, options.historyOnJoin, &more);
        QCborMap f;
        f.insert(chat::key::channel, channel);
        QCborArray members;
        for (const QString &name : membersOf(channel))
            members.append(name);
        f.insert(chat::key::members, members);
        f.insert(chat::key::messages, chat::encodeMessages(history));
        f.insert(chat::key::more, more);
        conn.reply(m, f);
        // Presence of the members (they are online; some may be away).
        for (const QString &name : membersOf(channel)) {
            auto it = users.find(name);
            if (it != users.end() && it->second.presence != Presence::Online)
                conn.send(presenceMessage(name, it->second.presence));
        }
    }

    void leave(net::Connection *conn, const QString &channel)
    {
        auto ch = channels.find(channel);
        if (ch == channels.end())
            return;
        const auto it = ch->second.find(conn);
        if (it == ch->second.end())
            return;
        const QString user = it->second;
        ch->second.erase(it);
        auto j = joinedBy.find(conn);
        if (j != joinedBy.end())
            j->second.erase(channel);
        if (!userInChannel(channel, user))
            sendToChannel(channel, memberMessage(channel, user, false), nullptr);
        if (ch->second.empty())
            channels.erase(ch);
    }

    void handleLeave(net::Connection &conn, const QCborMap &m)
    {
        const QString channel = chat::normalizeChannel(m.value(chat::key::channel).toString());
        leave(&conn, channel);
        QCborMap f;
        f.insert(chat::key::channel, channel);
        conn.reply(m, f);
    }

    void handleChannels(net::Connection &conn, const QCborMap &m)
    {
        std::set<QString> names;
        for (const auto &[name, members] : channels)
            names.insert(name);
        for (const QString &name : archive.channelNames())
            names.insert(name);
        QCborArray list;
        for (const QString &name : names)
            list.append(name);
        QCborMap f;
        f.insert(chat::key::channels, list);
        conn.reply(m, f);
    }

    static QCborMap presenceMessage(const QString &user, Presence p)
    {
        QCborMap m = net::makeMessage(chat::msg::presence);
        m.insert(chat::key::user, user);
        m.insert(chat::key::state, presenceToString(p));
        return m;
    }

    // To everyone sharing a channel with user and to the user's IM contacts, once per
    // connection.
    void broadcastPresence(const QString &user)
    {
        auto u = users.find(user);
        if (u == users.end())
            return;
        const QCborMap message = presenceMessage(user, u->second.presence);
        std::set<net::Connection *> targets;
        for (const auto &[name, members] : channels) {
            bool shared = false;
            for (const auto &[c, member] : members) {
                if (member == user) {
                    shared = true;
                    break;
                }
            }
            if (!shared)
                continue;
            for (const auto &[c, member] : members) {
                if (member != user)
                    targets.insert(c);
            }
        }
        for (const QString &peer : u->second.contacts) {
            auto p = users.find(peer);
            if (p == users.end())
                continue;
            for (net::Connection *c : p->second.connections)
                targets.insert(c);
        }
        for (net::Connection *c : targets)
            c->send(message);
    }

    void handlePresence(net::Connection &conn, const QCborMap &m)
    {
        const QString state = m.value(chat::key::state).toString();
        if (state != QLatin1String("online") && state != QLatin1String("away")
            && state != QLatin1String("offline")) {
            conn.replyError(m, QStringLiteral("presence must be online, away or offline"));
            return;
        }
        auto u = users.find(conn.accountName());
        if (u == users.end()) {
            conn.replyError(m, QStringLiteral("not logged in"));
            return;
        }
        const Presence p = presenceFromString(state);
        QCborMap f;
        f.insert(chat::key::state, state);
        conn.reply(m, f);
        if (u->second.presence != p) {
            u->second.presence = p;
            broadcastPresence(conn.accountName());
        }
    }

    void handleHistory(net::Connection &conn, const QCborMap &m)
    {
        const QString channel = m.value(chat::key::channel).toString();
        const qint64 before = m.value(chat::key::before).toInteger(0);
        const int limit = int(
            std::clamp<qint64>(m.value(chat::key::limit).toInteger(50), 1, chat::MaxHistoryPage));
        bool more = false;
        QList<ChatMessage> messages;
        if (channel.startsWith(u'@')) {
            const auto peer = accounts.find(channel.mid(1));
            if (!peer) {
                conn.replyError(m, QStringLiteral("no user named \"%1\"").arg(channel.mid(1)));
                return;
            }
            messages = archive.privateHistory(conn.accountName(), peer->name, before, limit, &more);
        } else {
            const QString name = chat::normalizeChannel(channel);
            if (!chat::isValidChannelName(name)) {
                conn.replyError(m, QStringLiteral("invalid channel name \"%1\"").arg(channel));
                return;
            }
            messages = archive.channelHistory(name, before, limit, &more);
        }
        QCborMap f;
        f.insert(chat::key::channel, channel);
        f.insert(chat::key::messages, chat::encodeMessages(messages));
        f.insert(chat::key::more, more);
        conn.reply(m, f);
    }
};

ChatService::ChatService(
    net::Server &server, store::Database &database, ChatServiceOptions options, QObject *parent)
    : QObject(parent)
    , d(std::make_unique<Private>(this, server, database, options))
{
    server.setAuthenticator(
        [this](net::Connection &conn, const QCborMap &request, net::AuthDone done) {
            d->authenticate(conn, request, std::move(done));
        });
    connect(&server, &net::Server::connectionAuthenticated, this,
        [this](net::Connection *conn) { d->onAuthenticated(conn); });
}

ChatService::~ChatService()
{
    // Accepted messages are stored even if their senders can no longer be told.
    d->flush();
    d->server.setAuthenticator({});
}

bool ChatService::isReady() const
{
    return d->ready;
}

QString ChatService::errorString() const
{
    return d->error;
}

void ChatService::setAvatarPositions(const AvatarPositions *positions)
{
    d->positions = positions;
}

QStringList ChatService::channelMembers(const QString &channel) const
{
    return d->membersOf(chat::normalizeChannel(channel));
}

QStringList ChatService::activeChannels() const
{
    QStringList out;
    for (const auto &[name, members] : d->channels)
        out.append(name);
    return out;
}

Presence ChatService::presenceOf(const QString &user) const
{
    auto it = d->users.find(user);
    return it == d->users.end() ? Presence::Offline : it->second.presence;
}

int ChatService::onlineUserCount() const
{
    return int(d->users.size());
}

} // namespace metatopia
