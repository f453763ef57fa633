// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
import QtQuick
import QtQuick.Controls
import QtQuick.Controls.Material
import QtQuick.Layouts
import Metatopia.Ui
import Metatopia.Common

// The Lua script editor: start from an example, check it with the sims' own Lua (fixed-point
// numbers, sandbox), and deploy it as a new scripted object through the cluster's leader.
Pane {
    id: root

    required property ManagerController controller
    property var checkResult: null

    function check() {
        checkResult = controller.deployer.checkSource(editor.text);
        if (!checkResult.ok && checkResult.line > 0)
            root.goToLine(checkResult.line);
        return checkResult.ok;
    }

    function goToLine(line) {
        const lines = editor.text.split("\n");
        let position = 0;
        for (let i = 0; i < line - 1 && i < lines.length; ++i)
            position += lines[i].length + 1;
        editor.cursorPosition = position;
        editor.forceActiveFocus();
    }

    padding: 12

    RowLayout {
        anchors.fill: parent
        spacing: 12

        Pane {
            Layout.preferredWidth: 180
            Layout.fillHeight: true
            Material.elevation: 1
            padding: 0
            ColumnLayout {
                anchors.fill: parent
                spacing: 0
                Label {
                    text: qsTr("Examples")
                    font.bold: true
                    padding: 12
                }
                ListView {
                    objectName: "exampleList"
                    Layout.fillWidth: true
                    Layout.fillHeight: true
                    clip: true
                    model: root.controller.exampleNames
                    delegate: ItemDelegate {
                        required property string modelData
                        objectName: "example-" + modelData
                        width: ListView.view.width
                        text: modelData
                        onClicked: {
                            editor.text = root.controller.exampleSource(modelData);
                            nameField.text = modelData;
                            root.checkResult = null;
                        }
                    }
                }
            }
        }

        ColumnLayout {
            Layout.fillWidth: true
            Layout.fillHeight: true
            spacing: 8

            RowLayout {
                Layout.fillWidth: true
                spacing: 8
                TextField {
                    id: nameField
                    objectName: "scriptName"
                    placeholderText: qsTr("Object name")
                    text: "greeter"
                    Layout.preferredWidth: 220
                }
                Button {
                    objectName: "checkButton"
                    text: qsTr("Check")
                    onClicked: root.check()
                }
                PrimaryButton {
                    objectName: "deployButton"
                    text: qsTr("Deploy")
                    enabled: root.controller.replicas.leaderName.length > 0
                             && root.controller.deployer.state !== ScriptDeployer.Sending
                    onClicked: {
                        if (root.check())
                            root.controller.deployer.deploy(editor.text, nameField.text);
                    }
                }
                Label {
                    text: root.controller.replicas.leaderName.length > 0
                          ? qsTr("to the leader, %1").arg(root.controller.replicas.leaderName)
                          : qsTr("no leader yet")
                    opacity: 0.7
                }
                Item { Layout.fillWidth: true }
            }

            Pane {
                Layout.fillWidth: true
                Layout.fillHeight: true
                padding: 1
                background: Rectangle {
                    color: "white"
                    border.color: Material.color(Material.Grey, Material.Shade300)
                    radius: 2
                }
                ScrollView {
                    anchors.fill: parent
                    TextArea {
                        id: editor
                        objectName: "scriptEditor"
                        font.family: "monospace"
                        font.pixelSize: 13
                        wrapMode: TextEdit.NoWrap
                        selectByMouse: true
                        tabStopDistance: 16
                        text: root.controller.exampleSource("greeter")
                        onTextChanged: root.checkResult = null
                    }
                }
            }

            Label {
                objectName: "checkResult"
                Layout.fillWidth: true
                visible: root.checkResult !== null
                text: root.checkResult === null ? ""
                      : root.checkResult.ok ? qsTr("✓ Compiles")
                      : root.checkResult.line > 0 ? qsTr("✗ Line %1: %2").arg(root.checkResult.line).arg(root.checkResult.message)
                      : qsTr("✗ %1").arg(root.checkResult.message)
                color: root.checkResult !== null && root.checkResult.ok ? Material.color(Material.Green, Material.Shade700)
                                                                         : Material.color(Material.Red, Material.Shade700)
                wrapMode: Text.Wrap
            }
            Label {
                objectName: "deployResult"
                Layout.fillWidth: true
                visible: root.controller.deployer.state !== ScriptDeployer.Idle
                text: root.controller.deployer.message
                color: root.controller.deployer.state === ScriptDeployer.Failed ? Material.color(Material.Red, Material.Shade700)
                       : root.controller.deployer.state === ScriptDeployer.Acknowledged ? Material.color(Material.Green, Material.Shade700)
                       : Material.foreground
                wrapMode: Text.Wrap
            }
        }
    }
}
