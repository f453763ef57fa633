// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
import QtQuick
import QtQuick.Controls
import QtQuick.Controls.Material
import QtQuick.Layouts
import Metatopia.Ui

// The people one can see, online first. Clicking someone opens a private conversation.
Pane {
    id: root

    property PresenceListModel model

    signal userActivated(string user)

    padding: 0
    Material.background: Material.color(Material.Grey, Material.Shade100)

    ListView {
        id: list
        objectName: "presenceList"
        anchors.fill: parent
        clip: true
        model: root.model
        ScrollBar.vertical: ScrollBar { }

        header: Label {
            width: ListView.view.width
            text: root.model ? qsTr("PEOPLE — %1 ONLINE").arg(root.model.onlineCount) : ""
            font.pixelSize: 12
            font.bold: true
            color: Material.hintTextColor
            leftPadding: 16
            topPadding: 14
            bottomPadding: 4
        }

        delegate: ItemDelegate {
            id: person
            required property string user
            required property string presence
            required property string presenceText
            required property bool self

            objectName: "person-" + user
            width: ListView.view.width
            enabled: !self
            onClicked: root.userActivated(user)
            ToolTip.visible: hovered
            ToolTip.text: qsTr("%1 — %2. Click for a private conversation.").arg(user).arg(presenceText)

            contentItem: RowLayout {
                spacing: 10
                Item {
                    implicitWidth: 30
                    implicitHeight: 30
                    Avatar {
                        name: person.user
                        size: 28
                        opacity: person.presence === "offline" ? 0.4 : 1
                    }
                    PresenceDot {
                        anchors.right: parent.right
                        anchors.bottom: parent.bottom
                        presence: person.presence
                        width: 12
                        height: 12
                    }
                }
                ColumnLayout {
                    spacing: 0
                    Layout.fillWidth: true
                    Label {
                        text: person.self ? qsTr("%1 (you)").arg(person.user) : person.user
                        elide: Text.ElideRight
                        color: person.presence === "offline" ? Material.hintTextColor : Material.foreground
                        Layout.fillWidth: true
                    }
                    Label {
                        text: person.presenceText
                        font.pixelSize: 11
                        color: Material.hintTextColor
                    }
                }
            }
        }
    }
}
