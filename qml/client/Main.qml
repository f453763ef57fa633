// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
import QtQuick
import QtQuick.Controls
import QtQuick.Controls.Material
import QtQuick.Layouts
import Qt.labs.settings
import Metatopia.Ui
import Metatopia.Common

// The 3D client: the region is shown from the start (the login form floats over it); after
// logging in to the world's chat service, one's avatar enters the region under the account's
// name. Beside the view: chat (#local is also said in the sim, where scripts hear it, and below
// it what the avatar hears in the sim: scripts' answers), people, the inspector and one's
// appearance.
ApplicationWindow {
    id: window

    required property ChatController controller
    required property WorldSession session

    width: 1400
    height: 860
    minimumWidth: 900
    minimumHeight: 560
    visible: true
    title: controller.loggedIn ? qsTr("Metatopia — %1").arg(controller.userName) : qsTr("Metatopia")

    Material.theme: Material.Light
    Material.primary: Material.Indigo
    Material.accent: Material.Indigo

    AvatarController {
        id: avatar
        objectName: "avatarController"
        session: window.session
    }
    ScriptInspector {
        id: inspector
        objectName: "inspector"
        session: window.session
    }
    Settings {
        id: appearance
        category: "appearance"
        property real height: 1.8
        property real build: 1.0
        property string skin: "#e0ac8a"
        property string hair: "#3b2a1e"
        property string shirt: "#3f6fd1"
        property string pants: "#2f3540"
    }

    function enterIfReady() {
        if (controller.loggedIn && session.state === WorldSession.Live && !avatar.inWorld)
            avatar.enter(controller.userName);
    }
    function send(text) {
        const conversation = controller.currentConversation;
        if (!controller.sendMessage(text))
            return;
        chatView.input.clear();
        // Local chat is heard by the region's scripts too (channel 0).
        if (conversation === "#local" && avatar.inWorld && !text.startsWith("/"))
            session.say(avatar.avatarId, text, 0);
    }
    function nameOfAccount(account) {
        if (account === 0)
            return qsTr("the world");
        if (avatar.inWorld && account === avatar.account)
            return avatar.name + qsTr(" (you)");
        const name = session.avatars.nameOfAccount(account);
        return name.length > 0 ? name : "#" + account;
    }

    Component.onCompleted: controller.autoJoinChannels = ["#local", "#general"]
    // Leaving is said before the app quits (the session flushes it when it stops).
    onClosing: avatar.leave()

    Connections {
        target: window.controller
        function onLoggedInChanged() {
            if (window.controller.loggedIn)
                window.enterIfReady();
            else
                avatar.leave();
        }
        function onCurrentConversationChanged() { Qt.callLater(tabs.sync); }
        function onCertificateWarningChanged() {
            if (window.controller.certificateWarning)
                certificateDialog.open();
        }
    }
    Connections {
        target: window.controller.conversations
        function onCountChanged() { Qt.callLater(tabs.sync); }
    }
    Connections {
        target: window.session
        function onStateChanged() { window.enterIfReady(); }
        // Back from a reconnect and the region lost the avatar (a world restarted from scratch):
        // enter again where it was.
        function onSynced() {
            if (avatar.inWorld && window.session.avatars.indexOfId(avatar.avatarId) < 0)
                avatar.enter(window.controller.userName, avatar.position, avatar.heading);
        }
    }

    header: ToolBar {
        Material.foreground: "white"
        background: Rectangle { color: "#1e2a4a" }

        RowLayout {
            anchors.fill: parent
            anchors.leftMargin: 16
            anchors.rightMargin: 8
            spacing: 12

            Label {
                text: "Metatopia"
                font.pixelSize: 18
                font.bold: true
            }
            Rectangle {
                width: 10
                height: 10
                radius: 5
                color: window.session.state === WorldSession.Live ? "#8bc34a"
                       : window.session.state === WorldSession.Offline ? "#ef5350" : "#ffb300"
            }
            Label {
                objectName: "worldStatus"
                text: window.session.statusText
                opacity: 0.85
                elide: Text.ElideRight
                Layout.fillWidth: true
            }
            Label {
                visible: window.session.pendingActions > 3
                text: qsTr("%1 unsent").arg(window.session.pendingActions)
                color: "#ffcc80"
            }
            Label {
                visible: window.controller.loggedIn
                text: window.controller.userName
                font.bold: true
            }
            ToolButton {
                visible: window.controller.loggedIn
                text: qsTr("Log out")
                onClicked: {
                    avatar.leave();
                    window.controller.logout();
                }
            }
        }
    }

    SplitView {
        anchors.fill: parent
        orientation: Qt.Horizontal

        Item {
            SplitView.fillWidth: true
            SplitView.minimumWidth: 400

            WorldView {
                id: world
                objectName: "worldView"
                anchors.fill: parent
                session: window.session
                avatar: avatar
                appearance: appearance
                selectedObject: inspector.objectId
                onObjectPicked: (id) => {
                    inspector.objectId = id;
                    sideTabs.currentIndex = 2;
                }
            }

            // Heads-up: where one is, how to move.
            Rectangle {
                visible: avatar.inWorld
                anchors.left: parent.left
                anchors.top: parent.top
                anchors.margins: 12
                width: hud.implicitWidth + 20
                height: hud.implicitHeight + 12
                radius: 8
                color: "#88000000"
                Label {
                    id: hud
                    objectName: "hud"
                    anchors.centerIn: parent
                    color: "white"
                    text: qsTr("%1, %2, %3 m · %4%5").arg(avatar.position.x.toFixed(1))
                            .arg(avatar.position.y.toFixed(1)).arg(avatar.position.z.toFixed(1))
                            .arg(avatar.animation)
                            .arg(avatar.flying ? qsTr(" · flying") : "")
                }
            }
            Rectangle {
                visible: avatar.inWorld
                anchors.horizontalCenter: parent.horizontalCenter
                anchors.bottom: parent.bottom
                anchors.bottomMargin: 12
                width: help.implicitWidth + 24
                height: help.implicitHeight + 10
                radius: height / 2
                color: "#66000000"
                Label {
                    id: help
                    anchors.centerIn: parent
                    color: "#f0f0f0"
                    font.pixelSize: 12
                    text: qsTr("W A S D / arrows walk · Shift run · Space jump · F fly · E / C up / down · drag to look around · wheel zoom · click an object to inspect it")
                }
            }

            // Login over the world.
            Rectangle {
                anchors.fill: parent
                visible: !window.controller.loggedIn
                color: "#33203050"
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
        }

        Pane {
            id: side
            SplitView.preferredWidth: 400
            SplitView.minimumWidth: 300
            padding: 0
            enabled: window.controller.loggedIn

            ColumnLayout {
                anchors.fill: parent
                spacing: 0

                TabBar {
                    id: sideTabs
                    objectName: "sideTabs"
                    Layout.fillWidth: true
                    TabButton { text: qsTr("Chat") }
                    TabButton { text: qsTr("People") }
                    TabButton { text: qsTr("Inspect") }
                    TabButton { text: qsTr("Look") }
                }
                ErrorBanner {
                    Layout.fillWidth: true
                    text: window.controller.errorText
                    onDismissed: window.controller.errorText = ""
                }
                StackLayout {
                    Layout.fillWidth: true
                    Layout.fillHeight: true
                    currentIndex: sideTabs.currentIndex

                    ColumnLayout {
                        spacing: 0
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
                                    width: Math.max(90, implicitWidth)
                                    font.bold: unread > 0
                                    onClicked: window.controller.currentConversation = name
                                }
                            }
                            function sync() {
                                currentIndex = window.controller.conversations.indexOf(window.controller.currentConversation);
                            }
                        }
                        ChatView {
                            id: chatView
                            objectName: "chatView"
                            Layout.fillWidth: true
                            Layout.fillHeight: true
                            messages: window.controller.messages
                            showHeader: false
                            title: window.controller.currentConversation
                            inputEnabled: window.controller.currentConversation.length > 0
                            onSendRequested: (text) => window.send(text)
                            onLoadOlderRequested: window.controller.loadOlder()
                        }
                        // What the avatar hears in the region: scripts' public chat (a greeter's
                        // answer) and avatars within range, one's own lines once. Typing here
                        // says it in the sim only.
                        ChatView {
                            id: nearbyView
                            objectName: "nearbyView"
                            Layout.fillWidth: true
                            Layout.preferredHeight: Math.max(160, parent.height * 0.35)
                            visible: avatar.inWorld
                            messages: window.session.nearby
                            title: qsTr("Nearby")
                            subtitle: qsTr("Heard where you stand (within 20 m)")
                            inputEnabled: avatar.inWorld
                            onSendRequested: (text) => {
                                if (text.trim().length === 0)
                                    return;
                                window.session.say(avatar.avatarId, text, 0);
                                nearbyView.input.clear();
                            }
                        }
                    }

                    ColumnLayout {
                        spacing: 0
                        Label {
                            text: qsTr("In this region (%1)").arg(window.session.avatars.count)
                            font.bold: true
                            Layout.margins: 12
                        }
                        ListView {
                            objectName: "regionAvatars"
                            Layout.fillWidth: true
                            Layout.preferredHeight: Math.min(contentHeight, 200)
                            clip: true
                            model: window.session.avatars
                            delegate: ItemDelegate {
                                required property string name
                                required property vector3d position
                                required property string animation
                                width: ListView.view.width
                                text: name + "  ·  " + animation + "  ·  " + position.x.toFixed(0) + ", " + position.y.toFixed(0)
                                onClicked: {
                                    window.controller.openPrivate(name);
                                    sideTabs.currentIndex = 0;
                                }
                            }
                        }
                        MenuSeparator { Layout.fillWidth: true }
                        PresenceList {
                            objectName: "people"
                            Layout.fillWidth: true
                            Layout.fillHeight: true
                            model: window.controller.people
                            onUserActivated: (user) => {
                                window.controller.openPrivate(user);
                                sideTabs.currentIndex = 0;
                            }
                        }
                    }

                    InspectorPanel {
                        objectName: "inspectorPanel"
                        inspector: inspector
                        ownerName: window.nameOfAccount(inspector.owner)
                        authorName: window.nameOfAccount(inspector.author)
                        canTouch: avatar.inWorld
                        onTouchRequested: window.session.touch(avatar.avatarId, inspector.objectId)
                    }

                    AppearancePanel {
                        appearance: appearance
                    }
                }
            }
        }
    }

    CertificateDialog {
        id: certificateDialog
        server: window.controller.certificateServer
        oldFingerprint: window.controller.certificateOldFingerprint
        newFingerprint: window.controller.certificateNewFingerprint
        softwareRendering: window.contentItem.GraphicsInfo.api === GraphicsInfo.Software
        onClosed: window.controller.dismissCertificateWarning()
    }
}
