// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
import QtQuick
import QtQuick.Controls
import QtQuick.Controls.Material
import QtQuick.Layouts

// A loud warning: the server presented a different certificate than the one remembered on the
// first connection. That is what an attacker in the middle looks like, so the connection has
// been refused.
Dialog {
    id: root

    property string server
    property string oldFingerprint
    property string newFingerprint
    // Set by the owner (GraphicsInfo is attached to items only): no shadow under the software
    // scene graph, which cannot draw the shader effect.
    property bool softwareRendering: false

    modal: true
    Material.elevation: softwareRendering ? 0 : 24
    anchors.centerIn: Overlay.overlay
    width: Math.min(640, parent ? parent.width - 40 : 640)
    title: qsTr("⚠ The server's identity has changed")
    standardButtons: Dialog.Close

    ColumnLayout {
        anchors.fill: parent
        spacing: 10

        Label {
            Layout.fillWidth: true
            wrapMode: Text.Wrap
            text: qsTr("%1 presented a certificate that differs from the one it had when you first connected. Someone may be intercepting the connection, so it was refused and nothing was sent.").arg(root.server)
        }
        Label { text: qsTr("Remembered fingerprint:"); font.bold: true }
        Label {
            Layout.fillWidth: true
            text: root.oldFingerprint
            font.family: "monospace"
            font.pixelSize: 12
            wrapMode: Text.WrapAnywhere
        }
        Label { text: qsTr("Presented now:"); font.bold: true }
        Label {
            Layout.fillWidth: true
            text: root.newFingerprint
            font.family: "monospace"
            font.pixelSize: 12
            color: Material.color(Material.Red)
            wrapMode: Text.WrapAnywhere
        }
        Label {
            Layout.fillWidth: true
            wrapMode: Text.Wrap
            color: Material.hintTextColor
            text: qsTr("If the server's administrator confirms that the certificate was replaced, remove the server's line from known-servers.txt in this app's data folder and connect again.")
        }
    }
}
