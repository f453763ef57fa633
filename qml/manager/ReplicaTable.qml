// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
import QtQuick
import QtQuick.Controls
import QtQuick.Controls.Material
import QtQuick.Layouts
import Metatopia.Ui

// One row per sim replica: role, raft term and commit, tick, tick time, rate, state hash, lag,
// and the buttons that kill (SIGKILL, to watch a failover) or restart its process.
Pane {
    id: root

    required property ManagerController controller

    padding: 0
    Material.elevation: 1

    // Column widths shared by the header and the rows.
    readonly property var widths: [70, 96, 70, 70, 90, 80, 70, 150, 50, 60, 50]
    readonly property var titles: [qsTr("Replica"), qsTr("Role"), qsTr("Process"), qsTr("Term"),
        qsTr("Tick"), qsTr("Tick time"), qsTr("Ticks/s"), qsTr("State hash"), qsTr("Lag"),
        qsTr("Clients"), qsTr("Div.")]

    ColumnLayout {
        anchors.fill: parent
        spacing: 0

        Rectangle {
            Layout.fillWidth: true
            implicitHeight: 36
            color: Material.color(Material.Grey, Material.Shade100)
            Row {
                anchors.verticalCenter: parent.verticalCenter
                x: 12
                spacing: 8
                Repeater {
                    model: root.titles.length
                    Label {
                        required property int index
                        width: root.widths[index]
                        text: root.titles[index]
                        font.bold: true
                        font.pixelSize: 13
                        color: Material.color(Material.Grey, Material.Shade800)
                    }
                }
            }
        }

        ListView {
            id: list
            objectName: "replicaList"
            Layout.fillWidth: true
            Layout.fillHeight: true
            clip: true
            model: root.controller.replicas
            boundsBehavior: Flickable.StopAtBounds

            delegate: Rectangle {
                id: row

                required property int index
                required property string name
                required property bool alive
                required property string processState
                required property string role
                required property var term
                required property var tick
                required property var tickTimeUs
                required property double ticksPerSecond
                required property string hash
                required property var lag
                required property var clients
                required property var divergences
                required property string error

                readonly property int replicaId: index + 1

                objectName: "replicaRow-" + name
                width: ListView.view.width
                height: 44
                color: index % 2 === 0 ? "white" : Material.color(Material.Grey, Material.Shade50)

                Row {
                    anchors.verticalCenter: parent.verticalCenter
                    x: 12
                    spacing: 8

                    Label { width: root.widths[0]; text: row.name; font.bold: true }
                    Item {
                        width: root.widths[1]
                        height: 24
                        RoleBadge {
                            objectName: "roleBadge-" + row.name
                            role: row.role
                            alive: row.alive
                        }
                    }
                    Label {
                        width: root.widths[2]
                        text: row.processState
                        color: row.processState === "running" ? Material.color(Material.Grey, Material.Shade800)
                                                              : Material.color(Material.Red, Material.Shade700)
                    }
                    Label { width: root.widths[3]; text: row.alive ? row.term : "–" }
                    Label { width: root.widths[4]; text: row.alive ? row.tick : "–"; font.family: "monospace" }
                    Label {
                        width: root.widths[5]
                        text: row.alive ? (row.tickTimeUs / 1000).toFixed(2) + " ms" : "–"
                    }
                    Label { width: root.widths[6]; text: row.alive ? row.ticksPerSecond.toFixed(1) : "–" }
                    // A replica that does not answer shows why instead of its hash.
                    Label {
                        objectName: "hash-" + row.name
                        width: root.widths[7]
                        text: row.alive ? row.hash : row.error.length > 0 ? row.error : "–"
                        font.family: row.alive ? "monospace" : Qt.application.font.family
                        color: row.alive ? Material.foreground : Material.color(Material.Grey)
                        elide: Text.ElideRight
                    }
                    Label { width: root.widths[8]; text: row.alive ? row.lag : "–" }
                    Label { width: root.widths[9]; text: row.alive ? row.clients : "–" }
                    Label {
                        width: root.widths[10]
                        text: row.alive ? row.divergences : "–"
                        color: row.divergences > 0 ? Material.color(Material.Red) : Material.foreground
                    }
                }

                Row {
                    anchors.right: parent.right
                    anchors.rightMargin: 8
                    anchors.verticalCenter: parent.verticalCenter
                    spacing: 4

                    Button {
                        objectName: "kill-" + row.name
                        text: qsTr("Kill")
                        flat: true
                        enabled: row.processState === "running" || row.processState === "starting"
                        Material.foreground: Material.Red
                        onClicked: root.controller.killReplica(row.replicaId)
                        ToolTip.visible: hovered
                        ToolTip.text: qsTr("SIGKILL the process: the others elect a new leader")
                    }
                    Button {
                        objectName: "restart-" + row.name
                        text: row.processState === "running" || row.processState === "starting"
                              || row.processState === "stopping" ? qsTr("Restart") : qsTr("Start")
                        flat: true
                        onClicked: root.controller.restartReplica(row.replicaId)
                        ToolTip.visible: hovered
                        ToolTip.text: qsTr("Stop cleanly if running, then start on the same data: it rejoins from its raft log")
                    }
                }
            }
        }
    }
}
