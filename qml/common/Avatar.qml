// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
import QtQuick
import QtQuick.Controls
import QtQuick.Controls.Material

// A round badge with a user's initial, in a colour derived from the name so that each person
// keeps the same colour everywhere.
Rectangle {
    id: root

    property string name
    property int size: 32

    function colorFor(name) {
        const palette = [Material.Red, Material.Pink, Material.Purple, Material.DeepPurple,
                         Material.Indigo, Material.Blue, Material.Cyan, Material.Teal,
                         Material.Green, Material.Orange, Material.DeepOrange, Material.Brown];
        let h = 0;
        for (let i = 0; i < name.length; ++i)
            h = (h * 31 + name.charCodeAt(i)) % 9973;
        return Material.color(palette[h % palette.length], Material.Shade600);
    }

    implicitWidth: size
    implicitHeight: size
    radius: size / 2
    color: colorFor(name)

    Label {
        anchors.centerIn: parent
        text: root.name.length > 0 ? root.name.charAt(0).toUpperCase() : "?"
        color: "white"
        font.bold: true
        font.pixelSize: root.size * 0.45
    }
}
