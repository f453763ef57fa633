// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
import QtQuick
import QtQuick.Controls
import QtQuick.Controls.Material
import QtQuick.Layouts

// One message as a bubble: others' on the left under their name, ours on the right. A run of
// messages from one sender shows the name and avatar once. Pending messages (not yet stored by
// the server) are faded and say so.
Item {
    id: root

    required property string from
    required property string text
    required property string timeText
    required property bool pending
    required property bool own
    required property bool firstOfGroup

    property real availableWidth: ListView.view ? ListView.view.width : 480

    width: availableWidth
    implicitHeight: row.implicitHeight + (firstOfGroup ? 10 : 3)

    Row {
        id: row
        anchors.bottom: parent.bottom
        anchors.left: root.own ? undefined : parent.left
        anchors.right: root.own ? parent.right : undefined
        anchors.leftMargin: 12
        anchors.rightMargin: 12
        spacing: 8
        layoutDirection: root.own ? Qt.RightToLeft : Qt.LeftToRight

        Item {
            width: 32
            height: 32
            visible: !root.own
            Avatar {
                id: avatar
                visible: root.firstOfGroup
                name: root.from
            }
        }

        Rectangle {
            id: bubble
            width: Math.min(Math.max(body.implicitWidth, nameLabel.visible ? nameLabel.implicitWidth : 0,
                                     timeLabel.implicitWidth),
                            root.availableWidth * 0.7) + 24
            height: column.implicitHeight + 14
            radius: 12
            color: root.own ? Material.color(Material.Indigo, Material.Shade500)
                            : Material.color(Material.Grey, Material.Shade200)
            opacity: root.pending ? 0.6 : 1.0

            Column {
                id: column
                x: 12
                y: 7
                width: bubble.width - 24
                spacing: 2

                RowLayout {
                    width: parent.width
                    visible: root.firstOfGroup && !root.own
                    spacing: 8
                    Label {
                        id: nameLabel
                        visible: root.firstOfGroup && !root.own
                        text: root.from
                        font.bold: true
                        color: avatar.color
                        elide: Text.ElideRight
                        Layout.fillWidth: true
                    }
                }
                Label {
                    id: body
                    width: parent.width
                    text: root.text
                    textFormat: Text.PlainText
                    wrapMode: Text.Wrap
                    color: root.own ? "white" : Material.foreground
                    font.pixelSize: 15
                }
                Label {
                    id: timeLabel
                    anchors.right: parent.right
                    text: root.pending ? qsTr("sending…") : root.timeText
                    font.pixelSize: 11
                    color: root.own ? Qt.rgba(1, 1, 1, 0.75) : Material.hintTextColor
                }
            }
        }
    }
}
