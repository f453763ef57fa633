// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include "ui/AccountsModel.h"
#include "ui/LocalWorld.h"
#include "ui/ProcessLog.h"
#include "ui/ReplicaListModel.h"
#include "ui/ReplicaMonitor.h"
#include "ui/ScriptDeployer.h"
#include "ui/WorldSeeder.h"

#include <QObject>
#include <QStringList>
#include <QtQmlIntegration>

#include <memory>

namespace metatopia {

namespace net {
class PinStore;
}

// metatopia-manager's state for its window (and its headless mode): a LocalWorld (chat server
// and sim replicas as child processes), a ReplicaMonitor polling the replicas into a
// ReplicaListModel, a ScriptDeployer for the script editor and an AccountsModel for the accounts
// and admins. The app creates it with its options and hands it to QML as a required property.
class ManagerController : public QObject
{
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("The app creates the ManagerController with its world options")
    Q_PROPERTY(ReplicaListModel *replicas READ replicas CONSTANT)
    Q_PROPERTY(ScriptDeployer *deployer READ deployer CONSTANT)
    Q_PROPERTY(AccountsModel *accounts READ accounts CONSTANT)
    Q_PROPERTY(QString worldDir READ worldDir CONSTANT)
    Q_PROPERTY(int chatPort READ chatPort NOTIFY worldChanged)
    Q_PROPERTY(int replicaCount READ replicaCount NOTIFY worldChanged)
    Q_PROPERTY(QStringList processNames READ processNames NOTIFY worldChanged)
    Q_PROPERTY(QStringList processStates READ processStates NOTIFY processStatesChanged)
    Q_PROPERTY(bool started READ started NOTIFY startedChanged)
    Q_PROPERTY(QString errorText READ errorText WRITE setErrorText NOTIFY errorTextChanged)
    Q_PROPERTY(QString summary READ summary NOTIFY summaryChanged)
    Q_PROPERTY(QStringList exampleNames READ exampleNames CONSTANT)
public:
    // examplesDir holds the example scripts (*.lua) the editor offers.
    ManagerController(LocalWorldOptions options, QString examplesDir, QObject *parent = nullptr);
    ~ManagerController() override;

    // Starts the world and the monitor; false (errorText) when the world cannot start.
    Q_INVOKABLE bool start();
    // Stops every process (SIGTERM), bounded.
    Q_INVOKABLE void stop();

    Q_INVOKABLE void killReplica(int replica);
    Q_INVOKABLE void stopReplica(int replica);
    Q_INVOKABLE void startReplica(int replica);
    Q_INVOKABLE void restartReplica(int replica);
    // The log of process index (0: chat, i: sim-i).
    Q_INVOKABLE metatopia::ProcessLog *logOf(int index) const;
    Q_INVOKABLE QString exampleSource(const QString &name) const;

    LocalWorld &world() { return *m_world; }
    ReplicaMonitor &monitor() { return *m_monitor; }
    ReplicaListModel *replicas() { return m_monitor->model(); }
    ScriptDeployer *deployer() { return m_deployer.get(); }
    AccountsModel *accounts() { return m_accounts.get(); }
    QString worldDir() const { return m_world->worldDir(); }
    int chatPort() const { return m_world->chatPort(); }
    int replicaCount() const { return m_world->replicaCount(); }
    QStringList processNames() const;
    QStringList processStates() const;
    bool started() const { return m_started; }
    QString errorText() const { return m_errorText; }
    void setErrorText(const QString &text);
    QString summary() const;
    QStringList exampleNames() const { return m_exampleNames; }

    // One line per replica (headless mode), e.g.
    // "sim-1 leader term 2 tick 1234 4.1 ms 45.0 t/s hash 9f.. lag 0 clients 1".
    QStringList statusLines() const;
    // How to reach the world: chat port, gateway ports.
    QStringList connectionHelp() const;

signals:
    void worldChanged();
    void processStatesChanged();
    void startedChanged();
    void errorTextChanged();
    void summaryChanged();

private:
    void startSeeding();

    std::unique_ptr<LocalWorld> m_world;
    std::unique_ptr<net::PinStore> m_pins;
    std::unique_ptr<ReplicaMonitor> m_monitor;
    std::unique_ptr<ScriptDeployer> m_deployer;
    // Fills a new world with the example scripts once it is up.
    std::unique_ptr<WorldSeeder> m_seeder;
    std::unique_ptr<AccountsModel> m_accounts;
    QString m_examplesDir;
    QStringList m_exampleNames;
    bool m_started = false;
    QString m_errorText;
};

} // namespace metatopia
