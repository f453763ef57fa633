// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
import QtQuick
import QtQuick.Controls
import QtQuick.Controls.Material
import QtQuick.Layouts
import Metatopia.Ui

// The last lines each process wrote (its stderr log and stdout), one process at a time; the view
// follows new lines while it is scrolled to the end.
Pane {
    id: root

    required property ManagerController controller
    property int current: 0

    padding: 0

    ColumnLayout {
        anchors.fill: parent
        spacing: 0

        TabBar {
            id: processTabs
            objectName: "logTabs"
            Layout.fillWidth: true
            currentIndex: root.current
            onCurrentIndexChanged: root.current = currentIndex
            Repeater {
                model: root.controller.processNames
                TabButton {
                    required property int index
                    required property string modelData
                    objectName: "logTab-" + modelData
                    text: modelData + "  ·  " + (root.controller.processStates[index] || "")
                    width: implicitWidth
                }
            }
        }

        ListView {
            id: lines
            objectName: "logView"
            Layout.fillWidth: true
            Layout.fillHeight: true
            clip: true
            model: root.controller.logOf(root.current)
            boundsBehavior: Flickable.StopAtBounds
            ScrollBar.vertical: ScrollBar { }
            property bool follow: true
            onMovementEnded: follow = atYEnd
            onCountChanged: if (follow) positionViewAtEnd()
            onModelChanged: { follow = true; positionViewAtEnd(); }

            delegate: Text {
                required property string line
                width: ListView.view.width
                leftPadding: 12
                rightPadding: 12
                text: line
                font.family: "monospace"
                font.pixelSize: 12
                wrapMode: Text.WrapAnywhere
                color: line.startsWith("[manager]") ? Material.color(Material.Indigo)
                                                    : line.indexOf("ERROR") >= 0 || line.indexOf("error") >= 0
                                                      ? Material.color(Material.Red, Material.Shade700) : "#212121"
            }
        }
    }
}
