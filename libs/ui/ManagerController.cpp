// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "ui/ManagerController.h"

#include "chat/ChatServerHost.h"
#include "net/PinStore.h"

#include <QDir>
#include <QFile>

namespace metatopia {

ManagerController::ManagerController(
    LocalWorldOptions options, QString examplesDir, QObject *parent)
    : QObject(parent)
    , m_world(std::make_unique<LocalWorld>(std::move(options)))
    , m_examplesDir(std::move(examplesDir))
{
    m_pins = std::make_unique<net::PinStore>(m_world->pinFile());
    m_monitor = std::make_unique<ReplicaMonitor>(*m_pins);
    m_deployer = std::make_unique<ScriptDeployer>(*m_monitor->model(), *m_pins);
    m_accounts = std::make_unique<AccountsModel>(
        ChatServerHost::databasePath(m_world->chatDataDir()), m_world->settingsFile());
    const QStringList files
        = QDir(m_examplesDir).entryList({ QStringLiteral("*.lua") }, QDir::Files, QDir::Name);
    for (const QString &file : files)
        m_exampleNames << file.chopped(4);

    ReplicaListModel *model = m_monitor->model();
    connect(model, &ReplicaListModel::summaryChanged, this, &ManagerController::summaryChanged);
    connect(model, &ReplicaListModel::hashCheckChanged, this, &ManagerController::summaryChanged);
    connect(m_world.get(), &LocalWorld::processStateChanged, this,
        [this, model](ManagedProcess *process) {
            model->setProcessState(model->rowOf(process->name()), process->stateName());
            emit processStatesChanged();
        });
    connect(m_world.get(), &LocalWorld::failed, this,
        [this](const QString &reason) { setErrorText(reason); });
    connect(m_world.get(), &LocalWorld::started, this, [this] {
        m_started = true;
        // Logins change who is temp admin; a few seconds' delay is fine for a day-based rule.
        m_accounts->refresh();
        m_accounts->setRefreshInterval(5000);
        if (m_world->options().seedExamples)
            startSeeding();
        emit startedChanged();
    });
}

// A new world is seeded once with some of the example scripts, so it is not empty.
void ManagerController::startSeeding()
{
    QStringList gateways;
    for (int id = 1; id <= m_world->replicaCount(); ++id)
        gateways << QStringLiteral("127.0.0.1:%1").arg(m_world->clientPort(id));
    const QDir dir(m_world->worldDir());
    m_seeder = std::make_unique<WorldSeeder>(dir.filePath(QStringLiteral("seeder-pins")), gateways,
        m_examplesDir, dir.filePath(QStringLiteral("seeded")));
    connect(m_seeder.get(), &WorldSeeder::failed, this,
        [this](const QString &error) { setErrorText(tr("Seeding the world: %1").arg(error)); });
    m_seeder->start();
}

ManagerController::~ManagerController()
{
    // The world's processes go first (their state changes must not reach the model any more),
    // then the monitor and the deployer, whose connections use the pins.
    m_seeder.reset();
    m_world->disconnect(this);
    m_world->stop();
    m_deployer.reset();
    m_monitor.reset();
}

bool ManagerController::start()
{
    QString error;
    if (!m_world->start(&error)) {
        setErrorText(error);
        return false;
    }
    QList<ReplicaEndpoint> endpoints;
    for (int id = 1; id <= m_world->replicaCount(); ++id) {
        endpoints << ReplicaEndpoint { QStringLiteral("sim-%1").arg(id),
            QStringLiteral("127.0.0.1"), m_world->clientPort(id) };
    }
    m_monitor->setReplicas(endpoints);
    for (ManagedProcess *process : m_world->processes()) {
        m_monitor->model()->setProcessState(
            m_monitor->model()->rowOf(process->name()), process->stateName());
    }
    m_monitor->start();
    emit worldChanged();
    emit processStatesChanged();
    return true;
}

void ManagerController::stop()
{
    m_monitor->stop();
    m_world->stop();
}

void ManagerController::killReplica(int replica)
{
    m_world->killReplica(replica);
}

void ManagerController::stopReplica(int replica)
{
    m_world->stopReplica(replica);
}

void ManagerController::startReplica(int replica)
{
    m_world->startReplica(replica);
}

void ManagerController::restartReplica(int replica)
{
    m_world->restartReplica(replica);
}

ProcessLog *ManagerController::logOf(int index) const
{
    const QList<ManagedProcess *> all = m_world->processes();
    return index >= 0 && index < all.size() ? all.at(index)->log() : nullptr;
}

QString ManagerController::exampleSource(const QString &name) const
{
    if (!m_exampleNames.contains(name))
        return {};
    QFile file(QDir(m_examplesDir).filePath(name + QStringLiteral(".lua")));
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return QString::fromUtf8(file.readAll());
}

QStringList ManagerController::processNames() const
{
    QStringList names;
    for (ManagedProcess *process : m_world->processes())
        names << process->name();
    return names;
}

QStringList ManagerController::processStates() const
{
    QStringList states;
    for (ManagedProcess *process : m_world->processes())
        states << process->stateName();
    return states;
}

void ManagerController::setErrorText(const QString &text)
{
    if (m_errorText == text)
        return;
    m_errorText = text;
    emit errorTextChanged();
}

QString ManagerController::summary() const
{
    const ReplicaListModel *model = m_monitor->model();
    QString text
        = QStringLiteral("%1 of %2 replicas alive").arg(model->aliveCount()).arg(model->count());
    const QString leader = model->leaderName();
    text += leader.isEmpty()
        ? QStringLiteral(" · no leader")
        : QStringLiteral(" · leader %1 · term %2").arg(leader).arg(model->term());
    if (model->mismatchCount() > 0 && !model->hashesAgree())
        text += QStringLiteral(" · HASHES DIFFER at tick %1").arg(model->mismatchTick());
    else if (model->checkedTick() > 0)
        text += QStringLiteral(" · hashes agree up to tick %1").arg(model->checkedTick());
    return text;
}

QStringList ManagerController::statusLines() const
{
    QStringList lines;
    const ReplicaListModel *model = m_monitor->model();
    for (int row = 0; row < model->count(); ++row) {
        const auto value
            = [&](const char *role) { return model->get(row, QString::fromLatin1(role)); };
        if (!value("alive").toBool()) {
            lines << QStringLiteral("%1 down (%2) %3")
                         .arg(value("name").toString(), value("processState").toString(),
                             value("error").toString());
            continue;
        }
        lines << QStringLiteral("%1 %2 term %3 tick %4 %5 ms %6 t/s hash %7 lag %8 clients %9 "
                                "divergences %10")
                     .arg(value("name").toString(), value("role").toString())
                     .arg(value("term").toLongLong())
                     .arg(value("tick").toLongLong())
                     .arg(value("tickTimeUs").toDouble() / 1000.0, 0, 'f', 2)
                     .arg(value("ticksPerSecond").toDouble(), 0, 'f', 1)
                     .arg(value("hash").toString())
                     .arg(value("lag").toLongLong())
                     .arg(value("clients").toLongLong())
                     .arg(value("divergences").toLongLong());
    }
    lines << summary();
    return lines;
}

QStringList ManagerController::connectionHelp() const
{
    QStringList lines;
    lines << QStringLiteral("world: %1").arg(m_world->worldDir());
    lines << QStringLiteral(
        "chat server: 127.0.0.1:%1  (metatopia-chat --host 127.0.0.1 --port %1)")
                 .arg(m_world->chatPort());
    QStringList gateways;
    for (int id = 1; id <= m_world->replicaCount(); ++id)
        gateways << QStringLiteral("sim-%1 127.0.0.1:%2").arg(id).arg(m_world->clientPort(id));
    lines << QStringLiteral("sim gateways: %1").arg(gateways.join(QStringLiteral(", ")));
    return lines;
}

} // namespace metatopia
