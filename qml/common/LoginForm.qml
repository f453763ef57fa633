// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
import QtQuick
import QtQuick.Controls
import QtQuick.Controls.Material
import QtQuick.Layouts

// Server address, user name and password, with "Log in" and "Create account". The owner reads
// the fields and answers with busy and errorText.
Pane {
    id: root

    property alias host: hostField.text
    property alias port: portField.text
    property alias user: userField.text
    property alias password: passwordField.text
    property string errorText
    property string statusText
    property bool busy: false

    signal loginRequested()
    signal registerRequested()
    signal cancelRequested()

    function focusFirstEmpty() {
        if (userField.text.length === 0)
            userField.forceActiveFocus();
        else
            passwordField.forceActiveFocus();
    }

    padding: 28
    // The shadow is a shader effect that the software scene graph cannot draw.
    Material.elevation: GraphicsInfo.api === GraphicsInfo.Software ? 0 : 6
    Material.background: Material.theme === Material.Dark ? Material.color(Material.Grey, Material.Shade900) : "white"

    ColumnLayout {
        anchors.fill: parent
        spacing: 10

        Label {
            text: qsTr("Metatopia Chat")
            font.pixelSize: 28
            font.bold: true
            color: Material.primary
            Layout.alignment: Qt.AlignHCenter
        }
        Label {
            text: qsTr("Log in to a Metatopia server, or create an account on it.")
            color: Material.hintTextColor
            wrapMode: Text.Wrap
            horizontalAlignment: Text.AlignHCenter
            Layout.fillWidth: true
            Layout.bottomMargin: 8
        }

        RowLayout {
            spacing: 8
            Layout.fillWidth: true
            TextField {
                id: hostField
                objectName: "hostField"
                Layout.fillWidth: true
                placeholderText: qsTr("Server")
                selectByMouse: true
                enabled: !root.busy
            }
            TextField {
                id: portField
                objectName: "portField"
                Layout.preferredWidth: 90
                placeholderText: qsTr("Port")
                inputMethodHints: Qt.ImhDigitsOnly
                validator: IntValidator { bottom: 1; top: 65535 }
                selectByMouse: true
                enabled: !root.busy
            }
        }
        TextField {
            id: userField
            objectName: "userField"
            Layout.fillWidth: true
            placeholderText: qsTr("User name")
            selectByMouse: true
            enabled: !root.busy
            onAccepted: passwordField.forceActiveFocus()
        }
        TextField {
            id: passwordField
            objectName: "passwordField"
            Layout.fillWidth: true
            placeholderText: qsTr("Password (at least 8 characters)")
            echoMode: TextInput.Password
            enabled: !root.busy
            onAccepted: root.loginRequested()
        }

        Label {
            objectName: "loginError"
            visible: root.errorText.length > 0
            text: root.errorText
            color: Material.color(Material.Red)
            wrapMode: Text.Wrap
            Layout.fillWidth: true
        }
        Label {
            visible: root.statusText.length > 0 && root.errorText.length === 0
            text: root.statusText
            color: Material.hintTextColor
            wrapMode: Text.Wrap
            Layout.fillWidth: true
        }

        RowLayout {
            spacing: 8
            Layout.fillWidth: true
            Layout.topMargin: 6
            BusyIndicator {
                running: root.busy
                visible: running
                Layout.preferredHeight: 36
                Layout.preferredWidth: 36
            }
            Item { Layout.fillWidth: true }
            Button {
                objectName: "cancelButton"
                text: qsTr("Cancel")
                flat: true
                visible: root.busy
                onClicked: root.cancelRequested()
            }
            Button {
                objectName: "registerButton"
                text: qsTr("Create account")
                flat: true
                enabled: !root.busy
                onClicked: root.registerRequested()
            }
            PrimaryButton {
                objectName: "loginButton"
                text: qsTr("Log in")
                enabled: !root.busy
                onClicked: root.loginRequested()
            }
        }
    }
}
