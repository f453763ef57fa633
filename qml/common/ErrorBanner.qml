// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
import QtQuick
import QtQuick.Controls
import QtQuick.Controls.Material
import QtQuick.Layouts

// A strip across the top of a view that shows an error until the user closes it.
Pane {
    id: root

    property string text
    property color tint: Material.color(Material.Red, Material.Shade700)

    signal dismissed()

    visible: text.length > 0
    padding: 0
    leftPadding: 16
    Material.elevation: 2
    background: Rectangle { color: root.tint }

    RowLayout {
        anchors.left: parent.left
        anchors.right: parent.right
        spacing: 8

        Label {
            text: "⚠"
            color: "white"
            font.pixelSize: 18
        }
        Label {
            objectName: "errorBannerText"
            Layout.fillWidth: true
            text: root.text
            color: "white"
            wrapMode: Text.Wrap
        }
        ToolButton {
            text: "✕"
            Material.foreground: "white"
            onClicked: root.dismissed()
            ToolTip.visible: hovered
            ToolTip.text: qsTr("Dismiss")
        }
    }
}
