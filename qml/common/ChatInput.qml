// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
import QtQuick
import QtQuick.Controls
import QtQuick.Controls.Material
import QtQuick.Layouts

// The line a message is typed into. Enter sends; the text stays until the owner calls clear(),
// so a message that could not be sent is not lost.
Pane {
    id: root

    property alias text: field.text
    property string placeholder: qsTr("Message")
    property int maximumLength: 2000

    signal sendRequested(string text)

    function clear() { field.clear(); }
    function focusInput() { field.forceActiveFocus(); }

    padding: 8
    Material.elevation: 0

    RowLayout {
        anchors.left: parent.left
        anchors.right: parent.right
        spacing: 8

        TextField {
            id: field
            objectName: "messageInput"
            Layout.fillWidth: true
            placeholderText: root.placeholder
            maximumLength: root.maximumLength
            selectByMouse: true
            onAccepted: if (text.trim().length > 0) root.sendRequested(text)
        }
        RoundButton {
            id: sendButton
            objectName: "sendButton"
            text: "➤"
            highlighted: true
            enabled: field.text.trim().length > 0
            onClicked: root.sendRequested(field.text)
            // See PrimaryButton: no shader effects under the software scene graph.
            Component.onCompleted: if (GraphicsInfo.api === GraphicsInfo.Software) background.layer.enabled = false
            ToolTip.visible: hovered
            ToolTip.text: qsTr("Send (Enter)")
        }
    }
}
