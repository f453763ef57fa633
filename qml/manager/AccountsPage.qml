// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
import QtQuick
import QtQuick.Controls
import QtQuick.Controls.Material
import QtQuick.Layouts
import Metatopia.Ui
import Metatopia.Common

// The world's accounts and admins: who joined when and was last seen when, admin rights to
// grant or revoke, and the temp-admin rule (X, Y) with whoever stands in for an absent admin.
Item {
    id: root

    required property ManagerController controller
    readonly property AccountsModel accounts: controller.accounts

    readonly property var widths: [180, 110, 170, 170]
    readonly property var titles: [qsTr("Account"), qsTr("Rank"), qsTr("Joined"), qsTr("Last login")]

    ColumnLayout {
        anchors.fill: parent
        anchors.margins: 12
        spacing: 12

        ErrorBanner {
            Layout.fillWidth: true
            text: root.accounts.errorText
            onDismissed: root.accounts.refresh()
        }

        Pane {
            Layout.fillWidth: true
            Material.elevation: 1
            ColumnLayout {
                anchors.fill: parent
                spacing: 8
                Label {
                    objectName: "adminSummary"
                    Layout.fillWidth: true
                    text: root.accounts.summary
                    wrapMode: Text.WordWrap
                }
                RowLayout {
                    spacing: 8
                    Label { text: qsTr("Temp admin when no admin logged in for") }
                    SpinBox {
                        objectName: "adminAbsentDays"
                        from: 1
                        to: 3650
                        editable: true
                        value: root.accounts.adminAbsentDays
                        onValueModified: root.accounts.adminAbsentDays = value
                    }
                    Label { text: qsTr("days; chosen among players seen in the last") }
                    SpinBox {
                        objectName: "activeDays"
                        from: 1
                        to: 3650
                        editable: true
                        value: root.accounts.activeDays
                        onValueModified: root.accounts.activeDays = value
                    }
                    Label { text: qsTr("days") }
                }
            }
        }

        Pane {
            Layout.fillWidth: true
            Layout.fillHeight: true
            padding: 0
            Material.elevation: 1

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
                    objectName: "accountList"
                    Layout.fillWidth: true
                    Layout.fillHeight: true
                    clip: true
                    model: root.accounts
                    boundsBehavior: Flickable.StopAtBounds

                    delegate: Rectangle {
                        id: row

                        required property int index
                        required property var accountId
                        required property string name
                        required property string rank
                        required property string joined
                        required property string lastLogin
                        required property bool isAdmin
                        required property bool isTempAdmin

                        objectName: "accountRow-" + name
                        width: ListView.view.width
                        height: 44
                        color: index % 2 === 0 ? "white" : Material.color(Material.Grey, Material.Shade50)

                        Row {
                            anchors.verticalCenter: parent.verticalCenter
                            x: 12
                            spacing: 8
                            Label {
                                width: root.widths[0]
                                height: 24
                                verticalAlignment: Text.AlignVCenter
                                text: row.name
                                font.bold: true
                                elide: Text.ElideRight
                            }
                            Item {
                                width: root.widths[1]
                                height: 24
                                Rectangle {
                                    objectName: "rank-" + row.name
                                    readonly property string label: row.rank
                                    implicitWidth: rankText.implicitWidth + 20
                                    implicitHeight: 24
                                    width: implicitWidth
                                    height: implicitHeight
                                    radius: height / 2
                                    color: row.isAdmin ? Material.color(Material.Green, Material.Shade600)
                                         : row.isTempAdmin ? Material.color(Material.Amber, Material.Shade600)
                                         : Material.color(Material.Grey, Material.Shade200)
                                    Label {
                                        id: rankText
                                        anchors.centerIn: parent
                                        text: row.rank
                                        font.pixelSize: 12
                                        font.bold: true
                                        color: row.isAdmin || row.isTempAdmin ? "white"
                                                                              : Material.color(Material.Grey, Material.Shade800)
                                    }
                                }
                            }
                            Label { width: root.widths[2]; height: 24; verticalAlignment: Text.AlignVCenter; text: row.joined }
                            Label { width: root.widths[3]; height: 24; verticalAlignment: Text.AlignVCenter; text: row.lastLogin }
                        }

                        Button {
                            objectName: (row.isAdmin ? "revoke-" : "grant-") + row.name
                            anchors.right: parent.right
                            anchors.rightMargin: 8
                            anchors.verticalCenter: parent.verticalCenter
                            flat: true
                            text: row.isAdmin ? qsTr("Revoke admin") : qsTr("Make admin")
                            onClicked: root.accounts.setAdmin(row.accountId, !row.isAdmin)
                        }
                    }

                    Label {
                        anchors.centerIn: parent
                        visible: parent.count === 0
                        text: qsTr("No accounts yet. People register from the client or the chat app.")
                        color: Material.color(Material.Grey)
                    }
                }
            }
        }
    }
}
