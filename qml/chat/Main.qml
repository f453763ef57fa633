// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
import QtQuick
import QtQuick.Controls
import QtQuick.Controls.Material
import QtQuick.Layouts
import Metatopia.Ui
import Metatopia.Common

// The standalone chat app: a login page, then conversations | messages | people.
ApplicationWindow {
    id: window

    required property ChatController controller

    width: 1180
    height: 740
    minimumWidth: 720
    minimumHeight: 480
    visible: true
    title: {
        if (!controller.loggedIn)
            return qsTr("Metatopia Chat");
        const unread = controller.conversations.totalUnread;
        return (unread > 0 ? "(" + unread + ") " : "") + qsTr("Metatopia Chat — %1").arg(controller.userName);
    }

    Material.theme: Material.Light
    Material.primary: Material.Indigo
    Material.accent: Material.Indigo

    function send(text) {
        if (controller.sendMessage(text))
            chatView.input.clear();
    }

    header: ToolBar {
        visible: window.controller.loggedIn
        Material.foreground: "white"
        Material.background: Material.primary
        background: Rectangle { color: Material.color(Material.Indigo) }

        RowLayout {
            anchors.fill: parent
            anchors.leftMargin: 16
            anchors.rightMargin: 8
            spacing: 12

            Label {
                text: qsTr("Metatopia Chat")
                font.pixelSize: 18
                font.bold: true
            }
            Rectangle {
                width: 10
                height: 10
                radius: 5
                color: window.controller.connectionState === ChatController.LoggedIn
                       ? Material.color(Material.LightGreen)
                       : window.controller.reconnecting ? Material.color(Material.Amber)
                                                        : Material.color(Material.Red, Material.Shade200)
            }
            Label {
                objectName: "connectionText"
                text: window.controller.reconnecting ? qsTr("Reconnecting…")
                                                     : window.controller.connectionText
                opacity: 0.9
                elide: Text.ElideRight
                Layout.fillWidth: true
            }
            ToolButton {
                id: presenceButton
                objectName: "presenceButton"
                text: (window.controller.presence === "away" ? qsTr("Away") : qsTr("Online")) + "  ▾"
                onClicked: presenceMenu.open()
                ToolTip.visible: hovered
                ToolTip.text: qsTr("Your presence, as others see it")

                Menu {
                    id: presenceMenu
                    y: presenceButton.height
                    // GraphicsInfo is attached to items only; the button knows the backend.
                    Material.elevation: presenceButton.GraphicsInfo.api === GraphicsInfo.Software ? 0 : 8
                    // Not the tool bar's white: the menu is drawn on a light background.
                    Material.foreground: Material.color(Material.Grey, Material.Shade900)
                    MenuItem {
                        text: qsTr("Online")
                        onTriggered: window.controller.presence = "online"
                    }
                    MenuItem {
                        text: qsTr("Away")
                        onTriggered: window.controller.presence = "away"
                    }
                }
            }
            ToolButton {
                text: qsTr("Log out")
                onClicked: window.controller.logout()
            }
        }
    }

    ColumnLayout {
        anchors.fill: parent
        spacing: 0

        ErrorBanner {
            objectName: "errorBanner"
            Layout.fillWidth: true
            text: window.controller.errorText
            onDismissed: window.controller.errorText = ""
        }
        ConnectionBanner {
            objectName: "connectionBanner"
            Layout.fillWidth: true
            active: window.controller.reconnecting && window.controller.loggedIn
            attempt: window.controller.reconnectAttempt
            delayMs: window.controller.reconnectDelayMs
            unsent: window.controller.unsentCount
        }

        StackLayout {
            Layout.fillWidth: true
            Layout.fillHeight: true
            currentIndex: window.controller.loggedIn ? 1 : 0

            // Login page.
            Pane {
                Material.background: Material.color(Material.Indigo, Material.Shade50)

                LoginForm {
                    id: loginForm
                    objectName: "loginForm"
                    anchors.centerIn: parent
                    width: Math.min(440, parent.width - 40)
                    host: window.controller.host
                    port: String(window.controller.port)
                    user: window.controller.userName
                    busy: window.controller.busy
                    errorText: window.controller.loginError
                    statusText: window.controller.reconnecting
                                ? qsTr("Cannot reach the server; trying again (attempt %1)…").arg(window.controller.reconnectAttempt)
                                : window.controller.busy ? window.controller.connectionText : ""

                    function apply() {
                        window.controller.host = host;
                        window.controller.port = parseInt(port);
                        window.controller.userName = user;
                    }
                    onLoginRequested: {
                        apply();
                        window.controller.login(password);
                    }
                    onRegisterRequested: {
                        apply();
                        window.controller.registerAccount(password);
                    }
                    onCancelRequested: window.controller.cancelLogin()
                    Component.onCompleted: focusFirstEmpty()
                }
            }

            // Chat page.
            SplitView {
                id: split
                orientation: Qt.Horizontal

                ConversationList {
                    objectName: "conversations"
                    SplitView.preferredWidth: 250
                    SplitView.minimumWidth: 170
                    model: window.controller.conversations
                    availableChannels: window.controller.availableChannels
                    onConversationSelected: (name) => window.controller.currentConversation = name
                    onJoinRequested: (channel) => window.controller.joinChannel(channel)
                    onCloseRequested: (name) => window.controller.closeConversation(name)
                    onRefreshRequested: window.controller.refreshChannels()
                }

                ColumnLayout {
                    SplitView.fillWidth: true
                    SplitView.minimumWidth: 300
                    spacing: 0

                    // One tab per open conversation; private chats get a tab as soon as a
                    // message arrives or someone is clicked in the people list.
                    TabBar {
                        id: tabs
                        objectName: "conversationTabs"
                        Layout.fillWidth: true
                        visible: window.controller.conversations.count > 0

                        Repeater {
                            model: window.controller.conversations
                            TabButton {
                                required property string name
                                required property int unread
                                text: name + (unread > 0 ? "  (" + unread + ")" : "")
                                width: Math.max(110, implicitWidth)
                                font.bold: unread > 0
                                onClicked: window.controller.currentConversation = name
                            }
                        }

                        function sync() {
                            currentIndex = window.controller.conversations.indexOf(window.controller.currentConversation);
                        }
                        Component.onCompleted: sync()
                    }

                    ChatView {
                        id: chatView
                        objectName: "chatView"
                        Layout.fillWidth: true
                        Layout.fillHeight: true
                        messages: window.controller.messages
                        // The tabs already name the conversation.
                        showHeader: false
                        title: window.controller.currentConversation
                        subtitle: window.controller.currentConversation.startsWith("@")
                                  ? qsTr("Private conversation — %1").arg(window.controller.people.presenceNameOf(window.controller.currentConversation.substring(1)))
                                  : window.controller.currentConversation.length > 0 ? qsTr("Channel") : ""
                        inputEnabled: window.controller.currentConversation.length > 0
                        onSendRequested: (text) => window.send(text)
                        onLoadOlderRequested: window.controller.loadOlder()
                    }
                }

                PresenceList {
                    objectName: "people"
                    SplitView.preferredWidth: 220
                    SplitView.minimumWidth: 150
                    model: window.controller.people
                    onUserActivated: (user) => window.controller.openPrivate(user)
                }
            }
        }
    }

    Connections {
        target: window.controller
        function onCurrentConversationChanged() {
            Qt.callLater(tabs.sync);
            chatView.input.focusInput();
        }
        function onCertificateWarningChanged() {
            if (window.controller.certificateWarning)
                certificateDialog.open();
        }
    }
    Connections {
        target: window.controller.conversations
        function onCountChanged() { Qt.callLater(tabs.sync); }
    }

    CertificateDialog {
        id: certificateDialog
        objectName: "certificateDialog"
        server: window.controller.certificateServer
        oldFingerprint: window.controller.certificateOldFingerprint
        newFingerprint: window.controller.certificateNewFingerprint
        softwareRendering: window.contentItem.GraphicsInfo.api === GraphicsInfo.Software
        onClosed: window.controller.dismissCertificateWarning()
    }
}
