// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
import QtQuick
import QtQuick.Controls
import QtQuick.Controls.Material
import QtQuick.Layouts
import Metatopia.Ui

// A conversation: its messages (scrolling up to the top asks for older ones) and the input line.
// It follows new messages while the user is at the bottom and keeps its place while the user
// reads further up, also when a page of history is inserted above.
Pane {
    id: root

    property MessageListModel messages
    property string title
    property string subtitle
    property bool inputEnabled: true
    property bool showHeader: true
    property alias input: input

    signal sendRequested(string text)
    signal loadOlderRequested()

    padding: 0

    function maybeLoadOlder() {
        if (!messages || !messages.hasMoreHistory || messages.loadingHistory)
            return;
        // At the top, or everything fits and there is more to see.
        if (list.atYBeginning || list.contentHeight < list.height)
            root.loadOlderRequested();
    }

    ColumnLayout {
        anchors.fill: parent
        spacing: 0

        Pane {
            Layout.fillWidth: true
            visible: root.showHeader && root.title.length > 0
            padding: 12
            Material.elevation: 1
            z: 1
            ColumnLayout {
                anchors.left: parent.left
                anchors.right: parent.right
                spacing: 0
                Label {
                    objectName: "chatTitle"
                    text: root.title
                    font.pixelSize: 18
                    font.bold: true
                    elide: Text.ElideRight
                    Layout.fillWidth: true
                }
                Label {
                    text: root.subtitle
                    visible: text.length > 0
                    color: Material.hintTextColor
                    elide: Text.ElideRight
                    Layout.fillWidth: true
                }
            }
        }

        ListView {
            id: list
            objectName: "messageList"
            Layout.fillWidth: true
            Layout.fillHeight: true
            clip: true
            model: root.messages
            spacing: 0
            bottomMargin: 8
            // A short conversation sits at the bottom, next to the input, like in any chat.
            topMargin: Math.max(0, height - contentHeight - bottomMargin)
            // Set while the user reads the end of the conversation: new messages scroll in.
            property bool followEnd: true

            ScrollBar.vertical: ScrollBar { }

            header: Item {
                width: list.width
                height: 44
                BusyIndicator {
                    anchors.centerIn: parent
                    height: 36
                    width: 36
                    running: root.messages && root.messages.loadingHistory
                    visible: running
                }
                Button {
                    anchors.centerIn: parent
                    flat: true
                    text: qsTr("Load older messages")
                    visible: root.messages && root.messages.hasMoreHistory && !root.messages.loadingHistory
                    onClicked: root.loadOlderRequested()
                }
                Label {
                    anchors.centerIn: parent
                    visible: root.messages && !root.messages.hasMoreHistory && !root.messages.loadingHistory
                    text: root.messages && root.messages.count > 0
                          ? qsTr("This is the beginning of the conversation.")
                          : qsTr("No messages yet. Say hello!")
                    color: Material.hintTextColor
                }
            }

            delegate: MessageDelegate { }

            onCountChanged: {
                if (followEnd)
                    Qt.callLater(list.positionViewAtEnd);
                Qt.callLater(root.maybeLoadOlder);
            }
            onMovementEnded: followEnd = atYEnd
            onAtYBeginningChanged: if (atYBeginning) root.maybeLoadOlder()
            onContentYChanged: if (dragging || flicking) followEnd = atYEnd
            onHeightChanged: if (followEnd) Qt.callLater(list.positionViewAtEnd)
            onModelChanged: {
                followEnd = true;
                Qt.callLater(list.positionViewAtEnd);
                Qt.callLater(root.maybeLoadOlder);
            }
        }

        Rectangle {
            Layout.fillWidth: true
            height: 1
            color: Material.dividerColor
        }

        ChatInput {
            id: input
            Layout.fillWidth: true
            enabled: root.inputEnabled
            placeholder: root.title.length > 0 ? qsTr("Message %1").arg(root.title)
                                               : qsTr("Pick a conversation")
            onSendRequested: (text) => root.sendRequested(text)
        }
    }

    Connections {
        target: root.messages
        function onHasMoreHistoryChanged() { Qt.callLater(root.maybeLoadOlder); }
    }
}
