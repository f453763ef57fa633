// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
import QtQuick
import QtQuick.Controls
import QtQuick.Controls.Material
import QtQuick.Layouts
import Metatopia.Ui

// The selected object: its name, owner, floating text and position, a Touch button, and its
// script's source as the sim runs it (read-only: anyone may read any script), with a choice of
// earlier revisions.
Pane {
    id: root

    required property ScriptInspector inspector
    property string ownerName
    property string authorName
    property bool canTouch: true
    property int shownRevision: inspector.revision

    signal touchRequested()

    padding: 12

    Connections {
        target: root.inspector
        function onScriptChanged() { root.shownRevision = root.inspector.revision; }
    }

    ColumnLayout {
        anchors.fill: parent
        spacing: 8

        Label {
            visible: root.inspector.objectId === 0
            Layout.fillWidth: true
            wrapMode: Text.Wrap
            text: qsTr("Click an object in the world to inspect it and read its script.")
            opacity: 0.7
        }

        ColumnLayout {
            visible: root.inspector.objectId !== 0
            Layout.fillWidth: true
            spacing: 4

            RowLayout {
                Layout.fillWidth: true
                Label {
                    objectName: "inspectorName"
                    text: root.inspector.exists ? root.inspector.name : qsTr("(gone)")
                    font.pixelSize: 20
                    font.bold: true
                    elide: Text.ElideRight
                    Layout.fillWidth: true
                }
                Button {
                    objectName: "touchButton"
                    text: qsTr("Touch")
                    highlighted: true
                    enabled: root.inspector.exists && root.canTouch
                    onClicked: root.touchRequested()
                }
            }
            Label {
                text: qsTr("Owner: %1").arg(root.ownerName)
                opacity: 0.75
            }
            Label {
                text: qsTr("At %1, %2, %3 m").arg(root.inspector.position.x.toFixed(1))
                        .arg(root.inspector.position.y.toFixed(1)).arg(root.inspector.position.z.toFixed(1))
                opacity: 0.75
            }
            Label {
                objectName: "inspectorText"
                visible: root.inspector.text.length > 0
                Layout.fillWidth: true
                wrapMode: Text.Wrap
                text: "“" + root.inspector.text + "”"
                font.italic: true
            }
        }

        MenuSeparator { visible: root.inspector.objectId !== 0; Layout.fillWidth: true }

        RowLayout {
            visible: root.inspector.objectId !== 0
            Layout.fillWidth: true
            Label {
                text: root.inspector.loading ? qsTr("Loading the script…")
                      : root.inspector.errorText.length > 0 ? qsTr("Error: %1").arg(root.inspector.errorText)
                      : !root.inspector.hasScript ? qsTr("No script")
                      : qsTr("Script — revision %1 by %2").arg(root.shownRevision).arg(root.authorName)
                font.bold: true
                Layout.fillWidth: true
                elide: Text.ElideRight
            }
            ComboBox {
                objectName: "revisionBox"
                visible: root.inspector.hasScript && root.inspector.history.length > 0
                implicitWidth: 120
                model: {
                    const out = [];
                    out.push(root.inspector.revision);
                    for (let i = root.inspector.history.length - 1; i >= 0; --i)
                        out.push(root.inspector.history[i].revision);
                    return out;
                }
                displayText: qsTr("rev. %1").arg(currentText)
                onActivated: (index) => root.shownRevision = model[index]
            }
            ToolButton {
                text: "⟳"
                visible: root.inspector.objectId !== 0
                onClicked: root.inspector.refresh()
                ToolTip.visible: hovered
                ToolTip.text: qsTr("Read the script again")
            }
        }
        Label {
            visible: root.inspector.suspended || root.inspector.scriptError.length > 0
            Layout.fillWidth: true
            wrapMode: Text.Wrap
            color: Material.color(Material.Red)
            text: (root.inspector.suspended ? qsTr("Suspended. ") : "") + root.inspector.scriptError
        }

        ScrollView {
            visible: root.inspector.hasScript
            Layout.fillWidth: true
            Layout.fillHeight: true
            background: Rectangle { color: "#1f2430"; radius: 6 }
            TextArea {
                objectName: "scriptSource"
                readOnly: true
                selectByMouse: true
                wrapMode: TextEdit.NoWrap
                text: root.inspector.sourceOfRevision(root.shownRevision)
                font.family: "DejaVu Sans Mono"
                font.pixelSize: 13
                color: "#e6e6e6"
                selectionColor: "#3d5a99"
                padding: 10
                background: null
            }
        }
        Item { Layout.fillHeight: true; visible: !root.inspector.hasScript }
    }
}
