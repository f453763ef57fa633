// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
import QtQuick
import QtQuick.Controls
import QtQuick.Controls.Material
import QtQuick.Layouts
import Metatopia.Ui

// The conversations: channels, then private chats, with unread badges and the last line; below,
// a field to join a channel and a menu of the channels the server has.
Pane {
    id: root

    property ConversationListModel model
    property var availableChannels: []

    signal conversationSelected(string name)
    signal joinRequested(string channel)
    signal closeRequested(string name)
    signal refreshRequested()

    padding: 0
    Material.background: Material.color(Material.Grey, Material.Shade100)

    ColumnLayout {
        anchors.fill: parent
        spacing: 0

        ListView {
            id: list
            objectName: "conversationList"
            Layout.fillWidth: true
            Layout.fillHeight: true
            clip: true
            model: root.model
            section.property: "section"
            section.delegate: Label {
                required property string section
                width: ListView.view.width
                text: section.toUpperCase()
                font.pixelSize: 12
                font.bold: true
                color: Material.hintTextColor
                leftPadding: 16
                topPadding: 14
                bottomPadding: 4
            }
            ScrollBar.vertical: ScrollBar { }

            delegate: ItemDelegate {
                id: item
                required property string name
                required property string title
                required property bool isPrivate
                required property int unread
                required property string lastFrom
                required property string lastText
                required property bool current

                objectName: "conversation-" + name
                width: ListView.view.width
                highlighted: current
                onClicked: root.conversationSelected(name)

                contentItem: RowLayout {
                    spacing: 10
                    Label {
                        text: item.isPrivate ? "@" : "#"
                        font.pixelSize: 18
                        font.bold: true
                        color: Material.color(item.isPrivate ? Material.Teal : Material.Indigo)
                        Layout.preferredWidth: 16
                        horizontalAlignment: Text.AlignHCenter
                    }
                    ColumnLayout {
                        spacing: 0
                        Layout.fillWidth: true
                        Label {
                            text: item.title
                            font.bold: item.unread > 0 || item.current
                            elide: Text.ElideRight
                            Layout.fillWidth: true
                        }
                        Label {
                            visible: item.lastText.length > 0
                            text: item.lastFrom + ": " + item.lastText
                            textFormat: Text.PlainText
                            font.pixelSize: 12
                            color: Material.hintTextColor
                            elide: Text.ElideRight
                            maximumLineCount: 1
                            Layout.fillWidth: true
                        }
                    }
                    Rectangle {
                        visible: item.unread > 0
                        radius: height / 2
                        color: Material.color(Material.Red)
                        implicitHeight: 20
                        implicitWidth: Math.max(20, badge.implicitWidth + 10)
                        Label {
                            id: badge
                            anchors.centerIn: parent
                            text: item.unread > 99 ? "99+" : item.unread
                            color: "white"
                            font.pixelSize: 11
                            font.bold: true
                        }
                    }
                    ToolButton {
                        visible: item.hovered || item.current
                        text: "✕"
                        font.pixelSize: 12
                        implicitWidth: 28
                        implicitHeight: 28
                        padding: 0
                        onClicked: root.closeRequested(item.name)
                        ToolTip.visible: hovered
                        ToolTip.text: item.isPrivate ? qsTr("Close") : qsTr("Leave channel")
                    }
                }
            }
        }

        Rectangle {
            Layout.fillWidth: true
            height: 1
            color: Material.dividerColor
        }

        RowLayout {
            Layout.fillWidth: true
            Layout.margins: 8
            spacing: 4

            TextField {
                id: joinField
                objectName: "joinField"
                Layout.fillWidth: true
                placeholderText: qsTr("Join channel…")
                selectByMouse: true
                onAccepted: join()
                function join() {
                    if (text.trim().length === 0)
                        return;
                    root.joinRequested(text.trim());
                    clear();
                }
            }
            ToolButton {
                objectName: "joinButton"
                text: "+"
                font.pixelSize: 20
                enabled: joinField.text.trim().length > 0
                onClicked: joinField.join()
                ToolTip.visible: hovered
                ToolTip.text: qsTr("Join")
            }
            ToolButton {
                objectName: "channelsButton"
                text: "☰"
                onClicked: {
                    root.refreshRequested();
                    channelMenu.open();
                }
                ToolTip.visible: hovered
                ToolTip.text: qsTr("Channels on this server")

                Popup {
                    id: channelMenu
                    objectName: "channelDirectory"
                    y: -height - 4
                    width: 220
                    height: Math.min(320, directory.contentHeight + topPadding + bottomPadding)
                    padding: 4
                    focus: true
                    // The shadow is a shader effect that the software scene graph cannot draw
                    // (GraphicsInfo is attached to items only, hence root's).
                    Material.elevation: root.GraphicsInfo.api === GraphicsInfo.Software ? 0 : 8

                    ListView {
                        id: directory
                        anchors.fill: parent
                        clip: true
                        model: root.availableChannels
                        header: Label {
                            text: root.availableChannels.length > 0 ? qsTr("Channels on this server")
                                                                    : qsTr("No channels yet")
                            color: Material.hintTextColor
                            font.pixelSize: 12
                            padding: 8
                        }
                        delegate: ItemDelegate {
                            required property string modelData
                            width: ListView.view.width
                            text: modelData
                            onClicked: {
                                root.joinRequested(modelData);
                                channelMenu.close();
                            }
                        }
                    }
                }
            }
        }
    }
}
