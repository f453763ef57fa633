// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
import QtQuick
import QtQuick.Controls
import QtQuick.Controls.Material
import QtQuick.Layouts

// One's own look: height, build and colours. Saved on this computer; the sim has no appearance
// yet, so others see the default look.
Pane {
    id: root

    required property var appearance // the Settings object holding the values

    padding: 12

    component Swatches: Flow {
        id: flow
        property string target
        property var colours: []
        Layout.fillWidth: true
        spacing: 6
        Repeater {
            model: flow.colours
            Rectangle {
                required property string modelData
                width: 28
                height: 28
                radius: 14
                color: modelData
                border.width: Qt.colorEqual(root.appearance[flow.target], modelData) ? 3 : 1
                border.color: Qt.colorEqual(root.appearance[flow.target], modelData) ? Material.accent : "#40000000"
                MouseArea {
                    anchors.fill: parent
                    cursorShape: Qt.PointingHandCursor
                    onClicked: root.appearance[flow.target] = parent.modelData
                }
            }
        }
    }

    ColumnLayout {
        anchors.fill: parent
        spacing: 6

        Label { text: qsTr("Appearance"); font.pixelSize: 20; font.bold: true }
        Label {
            Layout.fillWidth: true
            wrapMode: Text.Wrap
            opacity: 0.7
            text: qsTr("Saved on this computer. The sim does not share looks yet: others see you in the default look.")
        }
        Label { text: qsTr("Height: %1 m").arg(root.appearance.height.toFixed(2)) }
        Slider {
            objectName: "heightSlider"
            Layout.fillWidth: true
            from: 1.5; to: 2.1; stepSize: 0.01
            value: root.appearance.height
            onMoved: root.appearance.height = value
        }
        Label { text: qsTr("Build") }
        Slider {
            Layout.fillWidth: true
            from: 0.8; to: 1.3; stepSize: 0.01
            value: root.appearance.build
            onMoved: root.appearance.build = value
        }
        Label { text: qsTr("Skin") }
        Swatches { target: "skin"; colours: ["#f3d3bd", "#e0ac8a", "#c68863", "#9c6644", "#6b4226", "#3f2a1d"] }
        Label { text: qsTr("Hair") }
        Swatches { target: "hair"; colours: ["#1c1c1c", "#3b2a1e", "#7a4a24", "#c8a165", "#e6d8b0", "#b23a2a", "#8a8d91"] }
        Label { text: qsTr("Shirt") }
        Swatches { target: "shirt"; colours: ["#3f6fd1", "#d14f3f", "#3fa66b", "#e0b02f", "#7d4fd1", "#f2f2f2", "#2b2b2b", "#e07bb0"] }
        Label { text: qsTr("Trousers") }
        Swatches { target: "pants"; colours: ["#2f3540", "#3b4f7a", "#6b5a45", "#1f1f1f", "#8c8c8c", "#5c7043"] }
        Item { Layout.fillHeight: true }
        Button {
            text: qsTr("Reset to default")
            flat: true
            onClicked: {
                root.appearance.height = 1.8;
                root.appearance.build = 1.0;
                root.appearance.skin = "#e0ac8a";
                root.appearance.hair = "#3b2a1e";
                root.appearance.shirt = "#3f6fd1";
                root.appearance.pants = "#2f3540";
            }
        }
    }
}
