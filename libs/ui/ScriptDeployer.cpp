// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "ui/ScriptDeployer.h"

#include "net/Connection.h"
#include "net/PinStore.h"
#include "script/ScriptVm.h"

#include <QRandomGenerator>
#include <QRegularExpression>
#include <QVariantMap>

#include <string>

namespace metatopia {

namespace {

constexpr int maxRedirects = 3;

class NoHost final : public ScriptHost
{
public:
    std::vector<ScriptValue> call(std::string_view function, std::span<const ScriptValue>) override
    {
        throw ScriptError { "no world here: " + std::string(function) };
    }
};

} // namespace

ScriptDeployer::ScriptDeployer(ReplicaListModel &replicas, net::PinStore &pins, QObject *parent)
    : QObject(parent)
    , m_replicas(replicas)
    , m_pins(pins)
    // The sim de-duplicates actions by (client, seq): a fresh client id per manager run keeps
    // this run's first deploy from being taken for the last run's.
    , m_clientId(QRandomGenerator::system()->generate64() >> 12)
{
    m_timeout.setSingleShot(true);
    connect(&m_timeout, &QTimer::timeout, this, [this] {
        finish(State::Failed,
            QStringLiteral("no acknowledgement within %1 s").arg(m_timeoutMs / 1000));
    });
}

ScriptDeployer::~ScriptDeployer() = default;

ScriptCheck ScriptDeployer::check(const QString &source)
{
    // Compile only: the script's top level would call world functions (listen, say) that only a
    // sim has. Lua's own load() compiles the text inside a VM configured like the sims'; the
    // source travels as a long string whose brackets cannot occur in it.
    const std::string text = source.toStdString();
    std::string level;
    while (text.find("]" + level + "]") != std::string::npos)
        level += '=';
    // The newline after the opening bracket is skipped by Lua, so line numbers stay the same.
    const std::string chunk = "local f, e = load([" + level + "[\n" + text + "]" + level
        + "], \"=script\")\nif not f then error(e, 0) end\n";
    ScriptVm vm(ScriptLimits {}, 1);
    NoHost host;
    const std::optional<std::string> error = vm.load(chunk, "check", host);
    if (!error)
        return { true, 0, QStringLiteral("compiles") };
    const QString message = QString::fromStdString(*error);
    static const QRegularExpression located(QStringLiteral("^script:(\\d+): (.*)$"),
        QRegularExpression::DotMatchesEverythingOption);
    const QRegularExpressionMatch match = located.match(message);
    if (match.hasMatch())
        return { false, match.captured(1).toInt(), match.captured(2) };
    return { false, 0, message };
}

QVariantMap ScriptDeployer::checkSource(const QString &source) const
{
    const ScriptCheck result = check(source);
    return { { QStringLiteral("ok"), result.ok }, { QStringLiteral("line"), result.line },
        { QStringLiteral("message"), result.message } };
}

void ScriptDeployer::deploy(
    const QString &source, const QString &name, int xMm, int yMm, int zMm, qint64 owner)
{
    dropConnection();
    m_ackTick = 0;
    const ScriptCheck checked = check(source);
    if (!checked.ok) {
        finish(State::Failed,
            QStringLiteral("not deployed: line %1: %2").arg(checked.line).arg(checked.message));
        return;
    }
    const auto leader = m_replicas.leader();
    if (!leader) {
        finish(State::Failed, QStringLiteral("no leader is known: is the cluster running?"));
        return;
    }
    m_action = QCborMap { { QStringLiteral("kind"), QStringLiteral("create") },
        { QStringLiteral("name"), name.isEmpty() ? QStringLiteral("script") : name },
        { QStringLiteral("text"), source }, { QStringLiteral("script"), source },
        { QStringLiteral("owner"), owner }, { QStringLiteral("x"), xMm },
        { QStringLiteral("y"), yMm }, { QStringLiteral("z"), zMm } };
    ++m_seq;
    m_redirects = 0;
    m_state = State::Sending;
    m_message = QStringLiteral("sending to %1 (%2:%3)")
                    .arg(leader->name, leader->host)
                    .arg(leader->port);
    emit stateChanged();
    m_timeout.start(m_timeoutMs);
    sendTo(leader->host, leader->port);
}

void ScriptDeployer::sendTo(const QString &host, quint16 port)
{
    dropConnection();
    net::ClientOptions options;
    options.clientName = QStringLiteral("metatopia-manager");
    m_connection = net::Connection::connectToHost(host, port, m_pins, options);
    net::Connection *connection = m_connection.get();
    connect(connection, &net::Connection::ready, this, [this, connection] {
        const bool sent = connection->send(QCborMap { { QStringLiteral("t"), QStringLiteral("action") },
            { QStringLiteral("client"), qint64(m_clientId) }, { QStringLiteral("seq"), qint64(m_seq) },
            { QStringLiteral("action"), m_action } });
        if (!sent)
            finish(State::Failed, QStringLiteral("the gateway refused the message"));
    });
    connect(connection, &net::Connection::messageReceived, this, &ScriptDeployer::onReply);
    connect(connection, &net::Connection::errorOccurred, this, [this](const QString &error) {
        if (m_state == State::Sending)
            finish(State::Failed, error);
    });
}

void ScriptDeployer::onReply(const QCborMap &reply)
{
    if (m_state != State::Sending)
        return;
    if (quint64(reply.value(QStringLiteral("client")).toInteger()) != m_clientId
        || quint64(reply.value(QStringLiteral("seq")).toInteger()) != m_seq)
        return;
    const QString type = reply.value(QStringLiteral("t")).toString();
    if (type == QLatin1String("ack")) {
        m_ackTick = reply.value(QStringLiteral("tick")).toInteger();
        finish(State::Acknowledged,
            m_ackTick > 0 ? QStringLiteral("acknowledged: created at tick %1").arg(m_ackTick)
                          : QStringLiteral("acknowledged (committed earlier)"));
    } else if (type == QLatin1String("notLeader")) {
        const QString leader = reply.value(QStringLiteral("leader")).toString();
        const int colon = int(leader.lastIndexOf(QLatin1Char(':')));
        if (leader.isEmpty() || colon <= 0 || ++m_redirects > maxRedirects) {
            finish(State::Failed, QStringLiteral("no leader: the cluster is electing one, try again"));
            return;
        }
        m_message = QStringLiteral("redirected to the leader at %1").arg(leader);
        emit stateChanged();
        sendTo(leader.left(colon), quint16(leader.mid(colon + 1).toUInt()));
    } else if (type == QLatin1String("invalid")) {
        finish(State::Failed,
            QStringLiteral("refused: %1").arg(reply.value(QStringLiteral("error")).toString()));
    } else if (type == QLatin1String("busy") || type == QLatin1String("unavailable")) {
        finish(State::Failed, QStringLiteral("the replica is %1, try again").arg(type));
    }
}

void ScriptDeployer::finish(State state, const QString &message)
{
    m_timeout.stop();
    dropConnection();
    m_state = state;
    m_message = message;
    emit stateChanged();
}

void ScriptDeployer::dropConnection()
{
    if (!m_connection)
        return;
    // May run inside one of its signals.
    net::Connection *connection = m_connection.release();
    connection->disconnect(this);
    connection->close();
    connection->deleteLater();
}

} // namespace metatopia
