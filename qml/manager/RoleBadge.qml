// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
import QtQuick
import QtQuick.Controls
import QtQuick.Controls.Material

// A replica's raft role as a coloured pill; "down" when it does not answer.
Rectangle {
    id: root

    property string role
    property bool alive

    readonly property string label: !alive ? qsTr("down") : role.length > 0 ? role : qsTr("unknown")

    implicitWidth: badgeText.implicitWidth + 20
    implicitHeight: 24
    radius: height / 2
    color: !alive ? Material.color(Material.Red, Material.Shade100)
                  : role === "leader" ? Material.color(Material.Green, Material.Shade600)
                  : role === "candidate" ? Material.color(Material.Amber, Material.Shade600)
                  : Material.color(Material.Indigo, Material.Shade100)

    Label {
        id: badgeText
        anchors.centerIn: parent
        text: root.label
        font.pixelSize: 12
        font.bold: true
        color: !root.alive ? Material.color(Material.Red, Material.Shade900)
                           : root.role === "leader" || root.role === "candidate" ? "white"
                           : Material.color(Material.Indigo, Material.Shade900)
    }
}
