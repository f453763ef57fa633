// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
import QtQuick
import QtQuick.Controls
import QtQuick.Controls.Material
import QtQuick.Layouts

// Shown while a dropped connection is being re-established: nothing typed meanwhile is lost,
// it is sent once the connection is back.
Pane {
    id: root

    property bool active: false
    property int attempt: 0
    property int delayMs: 0
    property int unsent: 0

    visible: active
    padding: 6
    leftPadding: 16
    background: Rectangle { color: Material.color(Material.Amber, Material.Shade200) }

    RowLayout {
        anchors.left: parent.left
        anchors.right: parent.right
        spacing: 10

        BusyIndicator {
            running: root.active
            Layout.preferredWidth: 24
            Layout.preferredHeight: 24
            padding: 0
        }
        Label {
            objectName: "connectionBannerText"
            Layout.fillWidth: true
            color: "#3e2723"
            wrapMode: Text.Wrap
            text: {
                let s = qsTr("Connection lost. Reconnecting (attempt %1, next try after %2 s)…")
                            .arg(root.attempt).arg((root.delayMs / 1000).toFixed(1));
                if (root.unsent > 0)
                    s += " " + qsTr("%n unsent message(s) will be sent when the connection is back.", "", root.unsent);
                return s;
            }
        }
    }
}
