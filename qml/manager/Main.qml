// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
import QtQuick
import QtQuick.Controls
import QtQuick.Controls.Material
import QtQuick.Layouts
import Metatopia.Ui
import Metatopia.Common

// metatopia-manager's window: the local world's sim replicas (table and charts), each
// process's log, and the Lua script editor.
ApplicationWindow {
    id: window

    required property ManagerController controller

    width: 1280
    height: 800
    minimumWidth: 900
    minimumHeight: 560
    visible: true
    title: qsTr("Metatopia Manager — %1").arg(controller.worldDir)

    Material.theme: Material.Light
    Material.primary: Material.Indigo
    Material.accent: Material.Indigo

    header: ColumnLayout {
        spacing: 0
        ToolBar {
            Layout.fillWidth: true
            Layout.preferredHeight: 48
            Material.foreground: "white"
            background: Rectangle { color: Material.color(Material.Indigo) }
            RowLayout {
                anchors.fill: parent
                anchors.leftMargin: 16
                anchors.rightMargin: 16
                spacing: 16
                Label {
                    text: qsTr("Metatopia Manager")
                    font.pixelSize: 18
                    font.bold: true
                }
                Rectangle {
                    width: 10
                    height: 10
                    radius: 5
                    color: window.controller.replicas.leaderCount === 1 && window.controller.replicas.hashesAgree
                           ? Material.color(Material.LightGreen)
                           : window.controller.replicas.aliveCount > 0 ? Material.color(Material.Amber)
                                                                        : Material.color(Material.Red, Material.Shade200)
                }
                Label {
                    objectName: "summary"
                    text: window.controller.summary
                    elide: Text.ElideRight
                    Layout.fillWidth: true
                }
                Label {
                    objectName: "chatPort"
                    text: qsTr("chat on 127.0.0.1:%1").arg(window.controller.chatPort)
                    opacity: 0.85
                }
            }
        }
        ErrorBanner {
            Layout.fillWidth: true
            text: window.controller.errorText
            onDismissed: window.controller.errorText = ""
        }
        TabBar {
            id: tabs
            objectName: "tabs"
            Layout.fillWidth: true
            TabButton { objectName: "clusterTab"; text: qsTr("Cluster") }
            TabButton { objectName: "logsTab"; text: qsTr("Logs") }
            TabButton { objectName: "scriptsTab"; text: qsTr("Scripts") }
            TabButton { objectName: "accountsTab"; text: qsTr("Accounts") }
        }
    }

    StackLayout {
        anchors.fill: parent
        currentIndex: tabs.currentIndex

        ColumnLayout {
            spacing: 12
            ReplicaTable {
                controller: window.controller
                Layout.fillWidth: true
                Layout.topMargin: 12
                Layout.leftMargin: 12
                Layout.rightMargin: 12
                Layout.preferredHeight: 36 + 44 * Math.max(1, window.controller.replicas.count) + 4
            }
            RowLayout {
                Layout.fillWidth: true
                Layout.fillHeight: true
                Layout.margins: 12
                Layout.topMargin: 0
                spacing: 12
                TickChart {
                    objectName: "tickTimeChart"
                    model: window.controller.replicas
                    historyRole: "tickTimeHistory"
                    title: qsTr("Tick time")
                    unit: qsTr("ms")
                    scale: 0.001
                    decimals: 2
                    Layout.fillWidth: true
                    Layout.fillHeight: true
                }
                TickChart {
                    objectName: "rateChart"
                    model: window.controller.replicas
                    historyRole: "rateHistory"
                    title: qsTr("Ticks per second")
                    unit: qsTr("ticks/s")
                    decimals: 0
                    Layout.fillWidth: true
                    Layout.fillHeight: true
                }
            }
        }

        LogPage {
            controller: window.controller
        }

        ScriptPage {
            controller: window.controller
        }

        AccountsPage {
            controller: window.controller
        }
    }
}
