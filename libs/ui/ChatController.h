// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

// libs/ui holds the C++ side of Metatopia's Qt Quick user interfaces: models and controllers
// exposed to QML through the Metatopia.Ui module (QML_ELEMENT). It is the only library that uses
// Qt Gui, Qml and Quick; the QML itself lives in qml/<area> modules, and the apps only wire a
// controller to a QML engine.

#include <QHash>
#include <QObject>
#include <QStringList>
#include <QtQmlIntegration>

#include "chat/ChatClient.h"
#include "ui/ConversationListModel.h"
#include "ui/MessageListModel.h"
#include "ui/PresenceListModel.h"

#include <memory>

namespace metatopia {

// What a chat view needs from a ChatClient, as properties: the connection and login state, the
// open conversations with their messages, the people and their presence, and the texts of error
// banners and warnings. Actions (login, join, send, scroll back) are invokable from QML. The
// controller owns its ChatClient; the app creates it with the client's data directory and hands
// it to QML as a required property, so there is no global state.
class ChatController : public QObject
{
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("The app creates the ChatController with its data directory")

    Q_PROPERTY(ConnectionState connectionState READ connectionState NOTIFY connectionStateChanged)
    Q_PROPERTY(QString connectionText READ connectionText NOTIFY connectionStateChanged)
    // Logged in, or reconnecting a session that was logged in: the chat page stays up.
    Q_PROPERTY(bool loggedIn READ loggedIn NOTIFY loggedInChanged)
    // A login or registration is on its way.
    Q_PROPERTY(bool busy READ busy NOTIFY busyChanged)
    Q_PROPERTY(QString host READ host WRITE setHost NOTIFY hostChanged)
    Q_PROPERTY(int port READ port WRITE setPort NOTIFY portChanged)
    // The name typed into the login form, then the name the server confirmed.
    Q_PROPERTY(QString userName READ userName WRITE setUserName NOTIFY userNameChanged)
    Q_PROPERTY(QString loginError READ loginError WRITE setLoginError NOTIFY loginErrorChanged)
    // The error banner's text; QML clears it by writing "".
    Q_PROPERTY(QString errorText READ errorText WRITE setErrorText NOTIFY errorTextChanged)
    Q_PROPERTY(QString currentConversation READ currentConversation WRITE setCurrentConversation
            NOTIFY currentConversationChanged)
    Q_PROPERTY(
        metatopia::MessageListModel *messages READ messages NOTIFY currentConversationChanged)
    Q_PROPERTY(metatopia::ConversationListModel *conversations READ conversations CONSTANT)
    Q_PROPERTY(metatopia::PresenceListModel *people READ people CONSTANT)
    // Channels the server has (from the last listChannels()).
    Q_PROPERTY(QStringList availableChannels READ availableChannels NOTIFY availableChannelsChanged)
    // Channels joined right after a login ("#general" by default).
    Q_PROPERTY(QStringList autoJoinChannels READ autoJoinChannels WRITE setAutoJoinChannels NOTIFY
            autoJoinChannelsChanged)
    // Our own presence: "online" or "away".
    Q_PROPERTY(QString presence READ presence WRITE setPresence NOTIFY presenceChanged)
    Q_PROPERTY(bool reconnecting READ reconnecting NOTIFY reconnectingChanged)
    Q_PROPERTY(int reconnectAttempt READ reconnectAttempt NOTIFY reconnectingChanged)
    Q_PROPERTY(int reconnectDelayMs READ reconnectDelayMs NOTIFY reconnectingChanged)
    // Messages sent but not yet acknowledged by the server (they are resent after a reconnect).
    Q_PROPERTY(int unsentCount READ unsentCount NOTIFY unsentCountChanged)
    // The server presented a certificate that differs from the pinned one: the connection was
    // refused. The dialog shows both fingerprints.
    Q_PROPERTY(bool certificateWarning READ certificateWarning NOTIFY certificateWarningChanged)
    Q_PROPERTY(QString certificateServer READ certificateServer NOTIFY certificateWarningChanged)
    Q_PROPERTY(QString certificateOldFingerprint READ certificateOldFingerprint NOTIFY
            certificateWarningChanged)
    Q_PROPERTY(QString certificateNewFingerprint READ certificateNewFingerprint NOTIFY
            certificateWarningChanged)
    // AGPL-3.0 §13: where the server's source can be had, from its handshake.
    Q_PROPERTY(QString serverSourceOffer READ serverSourceOffer NOTIFY connectionStateChanged)
    Q_PROPERTY(QString serverName READ serverName NOTIFY connectionStateChanged)

public:
    enum class ConnectionState
    {
        Disconnected,
        Connecting,
        Connected,
        LoggedIn
    };
    Q_ENUM(ConnectionState)

    explicit ChatController(const QString &dataDir, QObject *parent = nullptr);
    ~ChatController() override;

    ChatClient &client() { return *m_client; }

    ConnectionState connectionState() const;
    QString connectionText() const;
    bool loggedIn() const { return m_loggedIn; }
    bool busy() const { return m_busy; }
    QString host() const { return m_host; }
    void setHost(const QString &host);
    int port() const { return m_port; }
    void setPort(int port);
    QString userName() const { return m_userName; }
    void setUserName(const QString &name);
    QString loginError() const { return m_loginError; }
    void setLoginError(const QString &text);
    QString errorText() const { return m_errorText; }
    void setErrorText(const QString &text);
    QString currentConversation() const { return m_conversations.current(); }
    void setCurrentConversation(const QString &name);
    MessageListModel *messages();
    ConversationListModel *conversations() { return &m_conversations; }
    PresenceListModel *people() { return &m_people; }
    QStringList availableChannels() const { return m_availableChannels; }
    QStringList autoJoinChannels() const { return m_autoJoinChannels; }
    void setAutoJoinChannels(const QStringList &channels);
    QString presence() const { return m_presence; }
    void setPresence(const QString &presence);
    bool reconnecting() const { return m_reconnecting; }
    int reconnectAttempt() const { return m_reconnectAttempt; }
    int reconnectDelayMs() const { return m_reconnectDelayMs; }
    int unsentCount() const;
    bool certificateWarning() const { return !m_certificateServer.isEmpty(); }
    QString certificateServer() const { return m_certificateServer; }
    QString certificateOldFingerprint() const { return m_certificateOld; }
    QString certificateNewFingerprint() const { return m_certificateNew; }
    QString serverSourceOffer() const;
    QString serverName() const;

    // Connects to host:port if needed and logs in (or registers, which also logs in).
    Q_INVOKABLE void login(const QString &password);
    Q_INVOKABLE void registerAccount(const QString &password);
    Q_INVOKABLE void logout();
    // Stops a login that is still connecting (for instance to a server that is down).
    Q_INVOKABLE void cancelLogin();
    // Accepts "name" or "#name".
    Q_INVOKABLE void joinChannel(const QString &channel);
    Q_INVOKABLE void leaveChannel(const QString &channel);
    Q_INVOKABLE void refreshChannels();
    // Opens (and selects) the private conversation with user.
    Q_INVOKABLE void openPrivate(const QString &user);
    // Closes a conversation: leaves a channel, forgets a private chat's tab.
    Q_INVOKABLE void closeConversation(const QString &name);
    // Sends to the current conversation. Understands /join #x, /leave, /msg user text, /away,
    // /back. Returns false (and sets errorText) if nothing was sent.
    Q_INVOKABLE bool sendMessage(const QString &text);
    // Asks for the page of history before the current conversation's oldest message, once.
    Q_INVOKABLE void loadOlder();
    Q_INVOKABLE void dismissCertificateWarning();
    // The model of any conversation (created empty if needed), for views showing several.
    Q_INVOKABLE metatopia::MessageListModel *messagesFor(const QString &conversation);

    static QString channelKey(const QString &nameOrKey);

signals:
    void connectionStateChanged();
    void loggedInChanged();
    void busyChanged();
    void hostChanged();
    void portChanged();
    void userNameChanged();
    void loginErrorChanged();
    void errorTextChanged();
    void currentConversationChanged();
    void availableChannelsChanged();
    void autoJoinChannelsChanged();
    void presenceChanged();
    void reconnectingChanged();
    void unsentCountChanged();
    void certificateWarningChanged();
    // A message from someone else arrived (for notifications).
    void messageArrived(const QString &conversation, const QString &from, const QString &text);

private:
    void connectClientSignals();
    void ensureConnected();
    void authenticate(const QString &password, bool registering);
    void setBusy(bool busy);
    void setLoggedIn(bool loggedIn);
    void setReconnecting(bool reconnecting, int attempt, int delayMs);
    void onLoggedIn(const QString &user);
    void onMessage(const ChatMessage &msg);
    void onChannelJoined(const QString &channel, const QStringList &members);
    void onChannelLeft(const QString &channel);
    void onHistory(const QString &channel, const QList<ChatMessage> &messages, bool more);
    void removeConversation(const QString &name);
    void resetSession();
    bool runCommand(const QString &text);

    std::unique_ptr<ChatClient> m_client;
    ConversationListModel m_conversations;
    PresenceListModel m_people;
    // One model per conversation, children of this controller.
    QHash<QString, MessageListModel *> m_messages;
    // Shown when no conversation is selected.
    MessageListModel m_noMessages;

    QString m_host = QStringLiteral("127.0.0.1");
    int m_port = 7777;
    QString m_userName;
    QString m_loginError;
    QString m_errorText;
    QStringList m_availableChannels;
    QStringList m_autoJoinChannels { QStringLiteral("#general") };
    QString m_presence = QStringLiteral("online");
    // host:port the client was last told to connect to.
    QString m_connectedTo;
    bool m_loggedIn = false;
    bool m_busy = false;
    bool m_autoJoinDone = false;
    bool m_reconnecting = false;
    int m_reconnectAttempt = 0;
    int m_reconnectDelayMs = 0;
    QString m_certificateServer;
    QString m_certificateOld;
    QString m_certificateNew;
};

} // namespace metatopia
