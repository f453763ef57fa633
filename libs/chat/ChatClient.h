// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

// libs/chat is Metatopia's chat: the server-side ChatService (accounts, channels, private
// messages, presence, durable history, local chat by distance) and the client-side ChatClient
// that the chat app and the 3D client drive. ChatClient speaks the chat protocol over libs/net's
// framed CBOR/TLS connection and hides the network's unreliability from the UI: it reconnects
// with exponential backoff, resumes its session with a token, re-joins its channels and resends
// every message the server has not acknowledged yet. Each outgoing message carries a clientSeq;
// the server stores it under (account, clientSeq) and answers a resend with the original ack, so
// nothing is lost and nothing is shown twice.

#include <QList>
#include <QMetaType>
#include <QObject>
#include <QString>
#include <QStringList>

#include <memory>

namespace metatopia {

enum class Presence
{
    Offline,
    Online,
    Away
};

QString presenceToString(Presence p);
// Unknown strings map to Offline.
Presence presenceFromString(const QString &s);

struct ChatMessage
{
    qint64 id = 0; // server-assigned, increasing; 0 while pending
    QString channel; // "#name" for channels, "@user" for IM peers (the other party)
    QString from;
    QString to; // channel name or recipient user
    QString text;
    qint64 timestampMs = 0; // server time (ms since epoch); client time while pending
    bool isPrivate = false;
    bool pending = false; // sent by us, not yet acknowledged by the server
    qint64 clientSeq = 0; // the sender's sequence number (0 if not ours)
};

class ChatClient : public QObject
{
    Q_OBJECT
public:
    enum class State
    {
        Disconnected,
        Connecting,
        Connected,
        LoggedIn
    };
    Q_ENUM(State)

    // dataDir holds the certificate pin store (trust on first use).
    explicit ChatClient(QString dataDir, QObject *parent = nullptr);
    ~ChatClient() override;

    void connectToServer(const QString &host, quint16 port);
    // Stops for good: no reconnect until connectToServer is called again.
    void disconnectFromServer();

    // Both may be called before the connection is up: they are sent once it is. A successful
    // registration also logs in (registered() then loggedIn()). After a login the client keeps
    // only the session token, which it uses to log in again after a reconnect.
    void registerAccount(const QString &user, const QString &password);
    void login(const QString &user, const QString &password);
    // Forgets the session; the connection stays up.
    void logout();

    void joinChannel(const QString &channel);
    void leaveChannel(const QString &channel);
    void listChannels();

    // Queued while offline and resent after reconnecting until acknowledged. Returns clientSeq
    // (0 when refused at once: empty or too long, see errorOccurred). The message is emitted at
    // once through messageReceived() with pending = true and id = 0; messageAcknowledged()
    // later gives its server id. Sending to a channel requires having joined it.
    qint64 sendToChannel(const QString &channel, const QString &text);
    qint64 sendPrivate(const QString &user, const QString &text);

    // Local chat by distance; mode is "whisper", "say" or "shout". Heard by avatars in range
    // (positions come from the sim); arrives as messageReceived with channel "local" and to =
    // the mode. Not stored and not resent.
    void sendLocal(const QString &mode, const QString &text);

    void setPresence(Presence p);
    // beforeId = 0 means "the newest".
    void requestHistory(const QString &channel, qint64 beforeId, int limit);
    // Asks the server where its source code can be had (AGPL §13); answered by sourceReceived.
    void requestSource();

    State state() const;
    QString user() const;
    QStringList joinedChannels() const;
    // Messages sent but not yet acknowledged, oldest first.
    QList<ChatMessage> pendingMessages() const;
    // The server's version-handshake offer (AGPL §13) once connected.
    QString serverSourceOffer() const;
    QString serverName() const;

    // Reconnect delays: min(initial * 2^attempt, max), no jitter so tests are deterministic.
    void setReconnectDelays(int initialMs, int maxMs);
    // When false, a dropped connection stays dropped (default true).
    void setAutoReconnect(bool enabled);

signals:
    void stateChanged(metatopia::ChatClient::State state);
    void loggedIn(const QString &user);
    void loginFailed(const QString &reason);
    void registered(const QString &user);
    void registrationFailed(const QString &reason);
    void channelJoined(const QString &channel, const QStringList &members);
    void channelLeft(const QString &channel);
    void channelListReceived(const QStringList &channels);
    // A member joined or left a channel we are in.
    void memberJoined(const QString &channel, const QString &user);
    void memberLeft(const QString &channel, const QString &user);
    // Channel or private, live; also our own messages once, at send time, with pending = true.
    void messageReceived(const metatopia::ChatMessage &msg);
    void messageAcknowledged(qint64 clientSeq, qint64 id); // stored on the server
    void messageRejected(qint64 clientSeq, const QString &reason); // e.g. too long: not resent
    void historyReceived(
        const QString &channel, const QList<metatopia::ChatMessage> &messages, bool more);
    void presenceChanged(const QString &user, metatopia::Presence p);
    void errorOccurred(const QString &text); // for error banners
    // The server's certificate differs from the pinned one: the connection is refused.
    void certificateChanged(const QString &host, const QString &oldFp, const QString &newFp);
    void reconnecting(int attempt, int delayMs);
    void sourceReceived(const QString &offer);

private:
    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace metatopia

Q_DECLARE_METATYPE(metatopia::ChatMessage)
