// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
import QtQuick
import QtQuick3D

// An SL-like avatar built from primitives, feet at the node's origin, facing +x (so a heading
// in degrees is the node's eulerRotation.y). Legs and arms swing while walking, running or
// flying. Name tags are drawn over the view by WorldView.
Node {
    id: figure

    property string name
    property string animation: "stand"
    property real figureHeight: 1.8 // metres
    property real build: 1.0 // shoulder and hip width factor
    property color skin: "#e0ac8a"
    property color shirt: "#3f6fd1"
    property color pants: "#2f3540"
    property color hair: "#3b2a1e"
    property bool own: false
    property Node camera

    readonly property real k: figureHeight / 1.8
    readonly property bool moving: animation === "walk" || animation === "run" || animation === "fly"
    readonly property bool flying: animation === "fly" || animation === "hover"
    property real phase: 0
    readonly property real swing: moving ? Math.sin(phase) * (animation === "run" ? 42 : 28) : 0

    NumberAnimation on phase {
        running: figure.moving
        loops: Animation.Infinite
        from: 0
        to: Math.PI * 2
        duration: figure.animation === "run" ? 520 : 900
    }

    // Parts are sized in metres; a primitive is 100 units along each edge.
    component Part: Model {
        id: part
        property vector3d size: Qt.vector3d(1, 1, 1)
        scale: size.times(0.01)
        property color colour: "white"
        property real rough: 0.7
        materials: PrincipledMaterial {
            baseColor: part.colour
            roughness: part.rough
            metalness: 0
        }
    }

    Node {
        id: body
        // Flying: lying forward a little, like SL's fly pose.
        eulerRotation.z: figure.animation === "fly" ? -60 : 0
        position: Qt.vector3d(0, figure.flying ? 0.9 * figure.k : 0, 0)
        Behavior on eulerRotation.z { NumberAnimation { duration: 250 } }

        // Legs swing about the hips.
        Repeater3D {
            model: 2
            Node {
                required property int index
                readonly property real side: index === 0 ? 1 : -1
                position: Qt.vector3d(0, 0.92 * figure.k, side * 0.11 * figure.build * figure.k)
                eulerRotation.z: side * figure.swing
                Part {
                    source: "#Cylinder"
                    colour: figure.pants
                    position: Qt.vector3d(0, -0.43 * figure.k, 0)
                    size: Qt.vector3d(0.15 * figure.k, 0.86 * figure.k, 0.15 * figure.k)
                }
                Part {
                    source: "#Cube"
                    colour: "#222"
                    position: Qt.vector3d(0.05 * figure.k, -0.88 * figure.k, 0)
                    size: Qt.vector3d(0.26 * figure.k, 0.08 * figure.k, 0.14 * figure.k)
                }
            }
        }
        // Hips and torso.
        Part {
            source: "#Cube"
            colour: figure.pants
            position: Qt.vector3d(0, 0.97 * figure.k, 0)
            size: Qt.vector3d(0.22 * figure.k, 0.16 * figure.k, 0.38 * figure.build * figure.k)
        }
        Part {
            source: "#Cylinder"
            colour: figure.shirt
            position: Qt.vector3d(0, 1.24 * figure.k, 0)
            size: Qt.vector3d(0.26 * figure.k, 0.46 * figure.k, 0.42 * figure.build * figure.k)
        }
        Part {
            source: "#Sphere"
            colour: figure.shirt
            position: Qt.vector3d(0, 1.45 * figure.k, 0)
            size: Qt.vector3d(0.26 * figure.k, 0.14 * figure.k, 0.46 * figure.build * figure.k)
        }
        // Arms swing opposite to the legs.
        Repeater3D {
            model: 2
            Node {
                required property int index
                readonly property real side: index === 0 ? 1 : -1
                position: Qt.vector3d(0, 1.44 * figure.k, side * 0.25 * figure.build * figure.k)
                eulerRotation.z: -side * figure.swing * 0.8
                eulerRotation.x: side * (figure.animation === "fly" ? -170 : -6)
                Part {
                    source: "#Cylinder"
                    colour: figure.shirt
                    position: Qt.vector3d(0, -0.18 * figure.k, 0)
                    size: Qt.vector3d(0.1 * figure.k, 0.36 * figure.k, 0.1 * figure.k)
                }
                Part {
                    source: "#Cylinder"
                    colour: figure.skin
                    position: Qt.vector3d(0, -0.48 * figure.k, 0)
                    size: Qt.vector3d(0.085 * figure.k, 0.26 * figure.k, 0.085 * figure.k)
                }
                Part {
                    source: "#Sphere"
                    colour: figure.skin
                    position: Qt.vector3d(0, -0.64 * figure.k, 0)
                    size: Qt.vector3d(0.09 * figure.k, 0.1 * figure.k, 0.09 * figure.k)
                }
            }
        }
        // Neck, head, hair, eyes.
        Part {
            source: "#Cylinder"
            colour: figure.skin
            position: Qt.vector3d(0, 1.55 * figure.k, 0)
            size: Qt.vector3d(0.09 * figure.k, 0.1 * figure.k, 0.09 * figure.k)
        }
        Part {
            source: "#Sphere"
            colour: figure.skin
            rough: 0.5
            position: Qt.vector3d(0, 1.7 * figure.k, 0)
            size: Qt.vector3d(0.22 * figure.k, 0.26 * figure.k, 0.2 * figure.k)
        }
        Part {
            source: "#Sphere"
            colour: figure.hair
            position: Qt.vector3d(-0.02 * figure.k, 1.76 * figure.k, 0)
            size: Qt.vector3d(0.235 * figure.k, 0.2 * figure.k, 0.215 * figure.k)
        }
        Repeater3D {
            model: 2
            Part {
                required property int index
                source: "#Sphere"
                colour: "#1d1d24"
                rough: 0.2
                position: Qt.vector3d(0.1 * figure.k, 1.71 * figure.k, (index === 0 ? 1 : -1) * 0.045 * figure.k)
                size: Qt.vector3d(0.03 * figure.k, 0.035 * figure.k, 0.03 * figure.k)
            }
        }
    }
}
