// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
import QtQuick
import QtQuick3D
import Metatopia.Ui

// The region in 3D: ground, sky and sun, every object and avatar, one's own avatar predicted
// locally, and a third-person camera. Keys move the avatar (WASD or arrows, Shift runs, F flies,
// E/C or PgUp/PgDn climb and sink, Space jumps), dragging orbits the camera, the wheel zooms, a
// click picks an object.
Item {
    id: root

    required property WorldSession session
    required property AvatarController avatar
    property var appearance // {height, build, skin, shirt, pants, hair}
    property var selectedObject: 0
    property real cameraDistance: 7
    property real orbitYaw: 0 // degrees around the avatar, 0 = behind it
    property real orbitPitch: 16 // degrees looking down
    readonly property alias view: view
    readonly property alias camera: eye

    signal objectPicked(var objectId)

    function pickAt(x, y) {
        const hit = view.pick(x, y);
        if (hit.objectHit && hit.objectHit.objectId !== undefined) {
            // selectedObject follows the owner's selection (a binding): only announce the hit.
            root.objectPicked(hit.objectHit.objectId);
            return true;
        }
        return false;
    }

    focus: true
    activeFocusOnTab: true

    function handleKey(event, down) {
        if (event.isAutoRepeat) {
            event.accepted = true;
            return;
        }
        const a = root.avatar;
        switch (event.key) {
        case Qt.Key_W: case Qt.Key_Up: a.forward = down ? 1 : 0; break;
        case Qt.Key_S: case Qt.Key_Down: a.forward = down ? -1 : 0; break;
        case Qt.Key_A: case Qt.Key_Left: a.turn = down ? 1 : 0; break;
        case Qt.Key_D: case Qt.Key_Right: a.turn = down ? -1 : 0; break;
        case Qt.Key_Q: a.strafe = down ? 1 : 0; break;
        case Qt.Key_Z: a.strafe = down ? -1 : 0; break;
        case Qt.Key_E: case Qt.Key_PageUp: a.climb = down ? 1 : 0; break;
        case Qt.Key_C: case Qt.Key_PageDown: a.climb = down ? -1 : 0; break;
        case Qt.Key_Shift: a.running = down; break;
        case Qt.Key_F: if (down) a.toggleFly(); break;
        case Qt.Key_Space: if (down) a.jump(); break;
        case Qt.Key_Escape: if (down) root.orbitYaw = 0; break;
        default: return;
        }
        event.accepted = true;
    }
    Keys.onPressed: (event) => handleKey(event, true)
    Keys.onReleased: (event) => handleKey(event, false)
    onActiveFocusChanged: {
        // Keys held while focus leaves would never be released.
        if (!activeFocus) {
            avatar.forward = 0;
            avatar.turn = 0;
            avatar.strafe = 0;
            avatar.climb = 0;
            avatar.running = false;
        }
    }

    View3D {
        id: view
        objectName: "view3d"
        anchors.fill: parent
        camera: eye

        environment: SceneEnvironment {
            clearColor: "#a9d3f5"
            backgroundMode: SceneEnvironment.Color
        }

        // Sun and sky light.
        DirectionalLight {
            eulerRotation: Qt.vector3d(-50, -35, 0)
            brightness: 1.15
            color: "#fff4e0"
        }
        DirectionalLight {
            eulerRotation: Qt.vector3d(-30, 150, 0)
            brightness: 0.35
            color: "#b8d4ff"
        }

        // Sea around the region, then the region's 256 m ground with an 8 m grid.
        Model {
            source: "#Rectangle"
            eulerRotation.x: -90
            position: Qt.vector3d(128, -0.4, -128)
            scale: Qt.vector3d(60, 60, 1)
            materials: PrincipledMaterial {
                baseColor: "#4f86b5"
                roughness: 0.25
                metalness: 0.1
            }
        }
        Model {
            objectName: "ground"
            source: "#Cube"
            position: Qt.vector3d(128, -0.25, -128)
            scale: Qt.vector3d(2.56, 0.005, 2.56)
            materials: PrincipledMaterial { baseColor: "#7fae63"; roughness: 0.95 }
        }
        // A faint grid every 8 m (one material for all: every material variant costs a shader).
        Repeater3D {
            model: 33
            Node {
                required property int index
                Model {
                    source: "#Cube"
                    position: Qt.vector3d(parent.index * 8, 0.004, -128)
                    scale: Qt.vector3d(0.0006, 0.0001, 2.56)
                    materials: PrincipledMaterial { baseColor: "#9cc385"; roughness: 0.95 }
                }
                Model {
                    source: "#Cube"
                    position: Qt.vector3d(128, 0.004, -parent.index * 8)
                    scale: Qt.vector3d(2.56, 0.0001, 0.0006)
                    materials: PrincipledMaterial { baseColor: "#9cc385"; roughness: 0.95 }
                }
            }
        }
        // The plaza in the middle, where the examples stand.
        Model {
            source: "#Cylinder"
            position: Qt.vector3d(128, 0.0, -130)
            scale: Qt.vector3d(0.26, 0.0002, 0.26)
            materials: PrincipledMaterial { baseColor: "#d9cfa8"; roughness: 0.95 }
        }

        Repeater3D {
            model: root.session.objects
            delegate: WorldObjectNode {
                camera: eye
                selected: objectId === root.selectedObject
            }
        }

        // Everyone else as the sim has them; one's own avatar as predicted here.
        Repeater3D {
            model: root.session.avatars
            delegate: AvatarFigure {
                required property var avatarId
                required property vector3d scenePosition
                required property real heading
                camera: eye
                visible: avatarId !== root.avatar.avatarId || !root.avatar.inWorld
                position: scenePosition
                eulerRotation.y: heading
                Behavior on position { Vector3dAnimation { duration: 110 } }
            }
        }
        AvatarFigure {
            id: ownFigure
            objectName: "ownAvatar"
            visible: root.avatar.inWorld
            own: true
            camera: eye
            name: root.avatar.name
            animation: root.avatar.animation
            position: root.avatar.scenePosition
            eulerRotation.y: root.avatar.heading
            figureHeight: root.appearance ? root.appearance.height : 1.8
            build: root.appearance ? root.appearance.build : 1.0
            skin: root.appearance ? root.appearance.skin : "#e0ac8a"
            shirt: root.appearance ? root.appearance.shirt : "#3f6fd1"
            pants: root.appearance ? root.appearance.pants : "#2f3540"
            hair: root.appearance ? root.appearance.hair : "#3b2a1e"
        }

        // Third person: the rig follows the avatar, yawed behind it, pitched down.
        Node {
            id: rig
            position: root.avatar.scenePosition.plus(Qt.vector3d(0, ownFigure.figureHeight * 0.85, 0))
            eulerRotation.y: root.avatar.heading - 90 + root.orbitYaw
            Node {
                eulerRotation.x: -root.orbitPitch
                PerspectiveCamera {
                    id: eye
                    position: Qt.vector3d(0, 0, root.cameraDistance)
                    clipNear: 0.1
                    clipFar: 3000
                    fieldOfView: 55
                }
            }
        }
    }

    // Floating texts and name tags, drawn over the 3D view where their anchor point projects
    // (crisp at any distance, always facing the viewer). The camera's pose is read in the binding
    // so the labels follow it.
    component FloatingLabel: Rectangle {
        id: floating
        property vector3d anchor
        property string label
        property bool highlighted: false
        property color tint: "#99000000"
        readonly property vector3d projected: {
            eye.scenePosition;
            eye.sceneRotation;
            return view.camera ? view.mapFrom3DScene(anchor) : Qt.vector3d(0, 0, -1);
        }
        // Behind the camera, or too far to read.
        visible: label.length > 0 && projected.z > 0 && projected.z < 90
        x: projected.x - width / 2
        y: projected.y - height
        width: Math.min(260, labelText.implicitWidth + 16)
        height: labelText.implicitHeight + 8
        radius: 6
        color: highlighted ? "#cc8a6d00" : tint
        Text {
            id: labelText
            anchors.centerIn: parent
            width: Math.min(244, implicitWidth)
            text: floating.label
            color: "#fff6c4"
            font.pixelSize: 13
            font.bold: true
            horizontalAlignment: Text.AlignHCenter
            wrapMode: Text.Wrap
            maximumLineCount: 5
            elide: Text.ElideRight
        }
    }
    Item {
        anchors.fill: view
        Repeater {
            model: root.session.objects
            FloatingLabel {
                required property var objectId
                required property vector3d scenePosition
                required property vector3d sceneScale
                required property string text
                anchor: scenePosition.plus(Qt.vector3d(0, Math.max(sceneScale.x, sceneScale.y, sceneScale.z) * 0.6 + 0.2, 0))
                label: text
                highlighted: objectId === root.selectedObject
            }
        }
        Repeater {
            model: root.session.avatars
            FloatingLabel {
                required property var avatarId
                required property vector3d scenePosition
                required property string name
                visible: avatarId !== root.avatar.avatarId && label.length > 0 && projected.z > 0 && projected.z < 90
                anchor: scenePosition.plus(Qt.vector3d(0, 2.2, 0))
                label: name
                tint: "#b0000000"
            }
        }
        FloatingLabel {
            visible: root.avatar.inWorld && projected.z > 0
            anchor: root.avatar.scenePosition.plus(Qt.vector3d(0, ownFigure.figureHeight + 0.35 + (root.avatar.flying ? 0.6 : 0), 0))
            label: root.avatar.name
            tint: "#cc1e3a8a"
        }
    }

    // Drag orbits, a click picks, the wheel zooms.
    MouseArea {
        id: mouse
        anchors.fill: parent
        acceptedButtons: Qt.LeftButton | Qt.RightButton
        property point pressedAt
        property real yawAtPress
        property real pitchAtPress
        property bool dragged: false
        onPressed: (m) => {
            root.forceActiveFocus();
            pressedAt = Qt.point(m.x, m.y);
            yawAtPress = root.orbitYaw;
            pitchAtPress = root.orbitPitch;
            dragged = false;
        }
        onPositionChanged: (m) => {
            const dx = m.x - pressedAt.x, dy = m.y - pressedAt.y;
            if (!dragged && Math.abs(dx) + Math.abs(dy) < 4)
                return;
            dragged = true;
            root.orbitYaw = yawAtPress - dx * 0.35;
            root.orbitPitch = Math.max(-10, Math.min(80, pitchAtPress + dy * 0.25));
        }
        onReleased: (m) => {
            if (!dragged)
                root.pickAt(m.x, m.y);
        }
        onWheel: (w) => {
            root.cameraDistance = Math.max(2, Math.min(60, root.cameraDistance * Math.pow(0.9, w.angleDelta.y / 120)));
        }
    }
}
