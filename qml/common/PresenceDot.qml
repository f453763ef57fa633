// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
import QtQuick
import QtQuick.Controls.Material

// Green for online, amber for away, an empty ring for offline.
Rectangle {
    property string presence: "offline"

    implicitWidth: 10
    implicitHeight: 10
    radius: width / 2
    color: presence === "online" ? Material.color(Material.Green)
         : presence === "away" ? Material.color(Material.Amber) : "transparent"
    border.width: presence === "offline" ? 2 : 0
    border.color: Material.color(Material.Grey)
}
