// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "ui/ChatController.h"

#include <algorithm>

namespace metatopia {

namespace {

constexpr int historyPageSize = 50;

QString hostKey(const QString &host, int port)
{
    return host + QLatin1Char(':') + QString::number(port);
}

} // namespace

ChatController::ChatController(const QString &dataDir, QObject *parent)
    : QObject(parent)
    , m_client(std::make_unique<ChatClient>(dataDir))
{
    connectClientSignals();
}

ChatController::~ChatController()
{
    // The client's signals must not reach a half-destroyed controller.
    m_client->disconnect(this);
}

void ChatController::connectClientSignals()
{
    ChatClient *c = m_client.get();
    connect(c, &ChatClient::stateChanged, this, [this](ChatClient::State state) {
        if (state == ChatClient::State::LoggedIn)
            setReconnecting(false, 0, 0);
        emit connectionStateChanged();
    });
    connect(c, &ChatClient::loggedIn, this, &ChatController::onLoggedIn);
    connect(c, &ChatClient::loginFailed, this, [this](const QString &reason) {
        setBusy(false);
        setLoginError(reason);
        if (m_loggedIn) {
            // The session token was refused after a reconnect: back to the login page.
            resetSession();
        }
    });
    connect(c, &ChatClient::registrationFailed, this, [this](const QString &reason) {
        setBusy(false);
        setLoginError(reason);
    });
    connect(c, &ChatClient::channelJoined, this, &ChatController::onChannelJoined);
    connect(c, &ChatClient::channelLeft, this, &ChatController::onChannelLeft);
    connect(c, &ChatClient::channelListReceived, this, [this](const QStringList &channels) {
        QStringList sorted = channels;
        sorted.sort(Qt::CaseInsensitive);
        if (sorted == m_availableChannels)
            return;
        m_availableChannels = sorted;
        emit availableChannelsChanged();
    });
    connect(c, &ChatClient::memberJoined, this,
        [this](const QString &, const QString &user) { m_people.addOnline(user); });
    connect(c, &ChatClient::messageReceived, this, &ChatController::onMessage);
    connect(c, &ChatClient::messageAcknowledged, this, [this](qint64 clientSeq, qint64 id) {
        for (MessageListModel *model : std::as_const(m_messages)) {
            if (model->acknowledge(clientSeq, id))
                break;
        }
        emit unsentCountChanged();
    });
    connect(c, &ChatClient::messageRejected, this, [this](qint64 clientSeq, const QString &) {
        // errorOccurred carries the reason to the banner.
        for (MessageListModel *model : std::as_const(m_messages)) {
            if (!model->reject(clientSeq).isNull())
                break;
        }
        emit unsentCountChanged();
    });
    connect(c, &ChatClient::historyReceived, this, &ChatController::onHistory);
    connect(c, &ChatClient::presenceChanged, this,
        [this](const QString &user, Presence p) { m_people.setPresence(user, p); });
    connect(c, &ChatClient::errorOccurred, this, &ChatController::setErrorText);
    connect(c, &ChatClient::certificateChanged, this,
        [this](const QString &server, const QString &oldFp, const QString &newFp) {
            m_certificateServer = server;
            m_certificateOld = oldFp;
            m_certificateNew = newFp;
            setBusy(false);
            setReconnecting(false, 0, 0);
            setLoginError(tr("The server's certificate has changed: connection refused."));
            emit certificateWarningChanged();
        });
    connect(c, &ChatClient::reconnecting, this,
        [this](int attempt, int delayMs) { setReconnecting(true, attempt, delayMs); });
}

ChatController::ConnectionState ChatController::connectionState() const
{
    switch (m_client->state()) {
    case ChatClient::State::Disconnected:
        return ConnectionState::Disconnected;
    case ChatClient::State::Connecting:
        return ConnectionState::Connecting;
    case ChatClient::State::Connected:
        return ConnectionState::Connected;
    case ChatClient::State::LoggedIn:
        return ConnectionState::LoggedIn;
    }
    return ConnectionState::Disconnected;
}

QString ChatController::connectionText() const
{
    switch (connectionState()) {
    case ConnectionState::Disconnected:
        return tr("Disconnected");
    case ConnectionState::Connecting:
        return tr("Connecting to %1…").arg(hostKey(m_host, m_port));
    case ConnectionState::Connected:
        return tr("Connected to %1").arg(hostKey(m_host, m_port));
    case ConnectionState::LoggedIn:
        return tr("Online as %1").arg(m_client->user());
    }
    return {};
}

void ChatController::setHost(const QString &host)
{
    const QString trimmed = host.trimmed();
    if (trimmed == m_host)
        return;
    m_host = trimmed;
    emit hostChanged();
}

void ChatController::setPort(int port)
{
    if (port == m_port)
        return;
    m_port = port;
    emit portChanged();
}

void ChatController::setUserName(const QString &name)
{
    const QString trimmed = name.trimmed();
    if (trimmed == m_userName)
        return;
    m_userName = trimmed;
    emit userNameChanged();
}

void ChatController::setLoginError(const QString &text)
{
    if (text == m_loginError)
        return;
    m_loginError = text;
    emit loginErrorChanged();
}

void ChatController::setErrorText(const QString &text)
{
    if (text == m_errorText)
        return;
    m_errorText = text;
    emit errorTextChanged();
}

void ChatController::setCurrentConversation(const QString &name)
{
    if (name == m_conversations.current())
        return;
    if (!name.isEmpty())
        m_conversations.add(name);
    m_conversations.setCurrent(name);
    emit currentConversationChanged();
}

MessageListModel *ChatController::messages()
{
    const QString current = m_conversations.current();
    return current.isEmpty() ? &m_noMessages : messagesFor(current);
}

MessageListModel *ChatController::messagesFor(const QString &conversation)
{
    if (MessageListModel *model = m_messages.value(conversation))
        return model;
    auto *model = new MessageListModel(this);
    model->setConversation(conversation);
    model->setSelfUser(m_client->user());
    m_messages.insert(conversation, model);
    return model;
}

void ChatController::setAutoJoinChannels(const QStringList &channels)
{
    QStringList keys;
    for (const QString &channel : channels) {
        const QString key = channelKey(channel);
        if (!key.isEmpty() && !keys.contains(key))
            keys.append(key);
    }
    if (keys == m_autoJoinChannels)
        return;
    m_autoJoinChannels = keys;
    emit autoJoinChannelsChanged();
}

void ChatController::setPresence(const QString &presence)
{
    const Presence p = PresenceListModel::presenceFromName(presence);
    if (p == Presence::Offline) {
        setErrorText(tr("Presence can be \"online\" or \"away\"."));
        return;
    }
    const QString name = PresenceListModel::presenceName(p);
    if (name == m_presence)
        return;
    m_presence = name;
    m_client->setPresence(p);
    if (!m_client->user().isEmpty())
        m_people.setPresence(m_client->user(), p);
    emit presenceChanged();
}

int ChatController::unsentCount() const
{
    return int(m_client->pendingMessages().size());
}

QString ChatController::serverSourceOffer() const
{
    return m_client->serverSourceOffer();
}

QString ChatController::serverName() const
{
    return m_client->serverName();
}

void ChatController::ensureConnected()
{
    const QString target = hostKey(m_host, m_port);
    if (target == m_connectedTo && m_client->state() != ChatClient::State::Disconnected)
        return;
    if (m_port <= 0 || m_port > 65535) {
        setLoginError(tr("The port must be between 1 and 65535."));
        return;
    }
    m_connectedTo = target;
    m_client->connectToServer(m_host, quint16(m_port));
}

void ChatController::login(const QString &password)
{
    authenticate(password, false);
}

void ChatController::registerAccount(const QString &password)
{
    authenticate(password, true);
}

void ChatController::authenticate(const QString &password, bool registering)
{
    if (m_userName.isEmpty() || password.isEmpty()) {
        setLoginError(registering ? tr("Choose a user name and a password.")
                                  : tr("Enter a user name and a password."));
        return;
    }
    if (m_host.isEmpty()) {
        setLoginError(tr("Enter the server's address."));
        return;
    }
    setLoginError({});
    dismissCertificateWarning();
    setBusy(true);
    ensureConnected();
    if (registering)
        m_client->registerAccount(m_userName, password);
    else
        m_client->login(m_userName, password);
}

void ChatController::logout()
{
    m_client->logout();
    resetSession();
}

void ChatController::cancelLogin()
{
    if (m_loggedIn)
        return;
    m_client->disconnectFromServer();
    m_connectedTo.clear();
    setBusy(false);
    setReconnecting(false, 0, 0);
    emit connectionStateChanged();
}

void ChatController::resetSession()
{
    setBusy(false);
    setReconnecting(false, 0, 0);
    m_conversations.setCurrent({});
    m_conversations.clear();
    m_people.clear();
    // QML may still hold the current model until the view rebinds.
    for (MessageListModel *model : std::as_const(m_messages))
        model->deleteLater();
    m_messages.clear();
    m_autoJoinDone = false;
    emit currentConversationChanged();
    setLoggedIn(false);
}

void ChatController::joinChannel(const QString &channel)
{
    const QString key = channelKey(channel);
    if (key.isEmpty()) {
        setErrorText(tr("\"%1\" is not a channel name.").arg(channel));
        return;
    }
    m_client->joinChannel(key);
}

void ChatController::leaveChannel(const QString &channel)
{
    const QString key = channelKey(channel);
    if (!key.isEmpty())
        m_client->leaveChannel(key);
}

void ChatController::refreshChannels()
{
    m_client->listChannels();
}

void ChatController::openPrivate(const QString &user)
{
    const QString name = user.startsWith(u'@') ? user.mid(1) : user.trimmed();
    if (name.isEmpty() || name == m_client->user())
        return;
    const QString key = QLatin1Char('@') + name;
    const bool isNew = m_conversations.indexOf(key) < 0;
    m_conversations.add(key);
    MessageListModel *model = messagesFor(key);
    if (isNew && model->count() == 0 && m_client->state() == ChatClient::State::LoggedIn) {
        model->setLoadingHistory(true);
        m_client->requestHistory(key, 0, historyPageSize);
    }
    setCurrentConversation(key);
}

void ChatController::closeConversation(const QString &name)
{
    if (ConversationListModel::isChannelName(name))
        leaveChannel(name);
    else
        removeConversation(name);
}

bool ChatController::sendMessage(const QString &text)
{
    const QString trimmed = text.trimmed();
    if (trimmed.isEmpty())
        return false;
    if (trimmed.startsWith(u'/') && !trimmed.startsWith(QLatin1String("//")))
        return runCommand(trimmed);
    // "//text" sends "/text".
    const QString body = trimmed.startsWith(QLatin1String("//")) ? trimmed.mid(1) : trimmed;
    const QString current = m_conversations.current();
    qint64 seq = 0;
    if (ConversationListModel::isChannelName(current))
        seq = m_client->sendToChannel(current, body);
    else if (ConversationListModel::isPrivateName(current))
        seq = m_client->sendPrivate(current.mid(1), body);
    else
        setErrorText(tr("Pick a channel or a person to talk to first."));
    return seq != 0;
}

bool ChatController::runCommand(const QString &text)
{
    const QString command = text.section(u' ', 0, 0).toLower();
    const QString rest = text.section(u' ', 1).trimmed();
    if (command == u"/join" && !rest.isEmpty()) {
        joinChannel(rest);
        return true;
    }
    if (command == u"/leave" || command == u"/part") {
        const QString target = rest.isEmpty() ? m_conversations.current() : channelKey(rest);
        if (!ConversationListModel::isChannelName(target)) {
            setErrorText(tr("/leave needs a channel."));
            return false;
        }
        leaveChannel(target);
        return true;
    }
    if (command == u"/msg" || command == u"/query") {
        const QString user = rest.section(u' ', 0, 0);
        const QString body = rest.section(u' ', 1).trimmed();
        if (user.isEmpty()) {
            setErrorText(tr("Usage: /msg <user> [text]"));
            return false;
        }
        openPrivate(user);
        return body.isEmpty() || sendMessage(body);
    }
    if (command == u"/away" || command == u"/back") {
        setPresence(command == u"/away" ? QStringLiteral("away") : QStringLiteral("online"));
        return true;
    }
    setErrorText(tr("Unknown command %1 (try /join, /leave, /msg, /away, /back; // sends a "
                    "line starting with /).")
                     .arg(command));
    return false;
}

void ChatController::loadOlder()
{
    const QString current = m_conversations.current();
    if (current.isEmpty() || m_client->state() != ChatClient::State::LoggedIn)
        return;
    MessageListModel *model = messagesFor(current);
    if (!model->hasMoreHistory() || model->loadingHistory())
        return;
    model->setLoadingHistory(true);
    m_client->requestHistory(current, model->oldestId(), historyPageSize);
}

void ChatController::dismissCertificateWarning()
{
    if (m_certificateServer.isEmpty())
        return;
    m_certificateServer.clear();
    m_certificateOld.clear();
    m_certificateNew.clear();
    emit certificateWarningChanged();
}

QString ChatController::channelKey(const QString &nameOrKey)
{
    const QString trimmed = nameOrKey.trimmed();
    if (trimmed.isEmpty() || trimmed.startsWith(u'@') || trimmed.contains(u' '))
        return {};
    const QString key = trimmed.startsWith(u'#') ? trimmed : QLatin1Char('#') + trimmed;
    return key.size() > 1 ? key : QString();
}

void ChatController::setBusy(bool busy)
{
    if (busy == m_busy)
        return;
    m_busy = busy;
    emit busyChanged();
}

void ChatController::setLoggedIn(bool loggedIn)
{
    if (loggedIn == m_loggedIn)
        return;
    m_loggedIn = loggedIn;
    emit loggedInChanged();
}

void ChatController::setReconnecting(bool reconnecting, int attempt, int delayMs)
{
    if (reconnecting == m_reconnecting && attempt == m_reconnectAttempt
        && delayMs == m_reconnectDelayMs)
        return;
    m_reconnecting = reconnecting;
    m_reconnectAttempt = attempt;
    m_reconnectDelayMs = delayMs;
    emit reconnectingChanged();
}

void ChatController::onLoggedIn(const QString &user)
{
    setBusy(false);
    setLoginError({});
    if (user != m_userName) {
        m_userName = user;
        emit userNameChanged();
    }
    m_people.setSelfUser(user);
    m_people.setPresence(user, PresenceListModel::presenceFromName(m_presence));
    for (MessageListModel *model : std::as_const(m_messages))
        model->setSelfUser(user);
    // After a reconnect the client re-joins its channels itself; the first login joins the
    // configured ones.
    if (!m_autoJoinDone) {
        m_autoJoinDone = true;
        const QStringList joined = m_client->joinedChannels();
        for (const QString &channel : std::as_const(m_autoJoinChannels)) {
            if (!joined.contains(channel))
                m_client->joinChannel(channel);
        }
    }
    m_client->listChannels();
    setLoggedIn(true);
    emit connectionStateChanged();
}

void ChatController::onMessage(const ChatMessage &msg)
{
    const QString key = msg.channel;
    if (!ConversationListModel::isChannelName(key) && !ConversationListModel::isPrivateName(key))
        return; // local chat belongs to the 3D client's views
    MessageListModel *model = messagesFor(key);
    const bool added = model->addMessage(msg);
    const bool fromOthers = msg.from != m_client->user();
    m_conversations.noteMessage(
        key, msg.from, msg.text, msg.timestampMs, added && fromOthers && !msg.pending);
    if (msg.pending)
        emit unsentCountChanged();
    if (fromOthers)
        m_people.addOnline(msg.from);
    if (added && fromOthers)
        emit messageArrived(key, msg.from, msg.text);
    if (m_conversations.current().isEmpty())
        setCurrentConversation(key);
}

void ChatController::onChannelJoined(const QString &channel, const QStringList &members)
{
    const bool isNew = m_conversations.indexOf(channel) < 0;
    m_conversations.add(channel);
    messagesFor(channel);
    for (const QString &member : members)
        m_people.addOnline(member);
    if (!m_availableChannels.contains(channel)) {
        m_availableChannels.append(channel);
        m_availableChannels.sort(Qt::CaseInsensitive);
        emit availableChannelsChanged();
    }
    // A channel the user asked for becomes the current one; re-joins after a reconnect do not
    // move the view.
    if (isNew || m_conversations.current().isEmpty())
        setCurrentConversation(channel);
}

void ChatController::onChannelLeft(const QString &channel)
{
    removeConversation(channel);
}

void ChatController::onHistory(
    const QString &channel, const QList<ChatMessage> &messages, bool more)
{
    if (m_conversations.indexOf(channel) < 0)
        return; // left meanwhile
    messagesFor(channel)->addHistory(messages, more);
    if (!messages.isEmpty()) {
        const auto newest = std::max_element(messages.cbegin(), messages.cend(),
            [](const ChatMessage &a, const ChatMessage &b) { return a.id < b.id; });
        m_conversations.noteMessage(
            channel, newest->from, newest->text, newest->timestampMs, false);
    }
}

void ChatController::removeConversation(const QString &name)
{
    const int row = m_conversations.indexOf(name);
    if (row < 0)
        return;
    const bool wasCurrent = m_conversations.current() == name;
    if (wasCurrent) {
        // Move to a neighbour before the model goes away.
        const QString next = m_conversations.nameAt(row + 1).isEmpty()
            ? m_conversations.nameAt(row - 1)
            : m_conversations.nameAt(row + 1);
        m_conversations.setCurrent(next);
        emit currentConversationChanged();
    }
    m_conversations.remove(name);
    if (MessageListModel *model = m_messages.take(name))
        model->deleteLater(); // QML may still hold it until the view rebinds
}

} // namespace metatopia
