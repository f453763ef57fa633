// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
import QtQuick
import QtQuick3D

// One sim object: a box of its scale and colour, lighter while it is selected in the inspector.
// Its floating text is drawn over the view by WorldView.
Node {
    id: node

    required property var objectId
    required property string name
    required property vector3d scenePosition
    required property quaternion sceneRotation
    required property vector3d sceneScale
    required property color colour
    required property string text
    required property bool scripted
    property bool selected: false
    property Node camera

    position: scenePosition

    Model {
        id: box
        objectName: "object-" + node.name
        // Read by the view's pick: which object a click hit.
        property var objectId: node.objectId
        source: "#Cube"
        pickable: true
        rotation: node.sceneRotation
        scale: node.sceneScale.times(0.01)
        materials: PrincipledMaterial {
            // Selected: lighter (not a glow: every material variant costs a shader compile).
            baseColor: node.selected ? Qt.lighter(Qt.rgba(node.colour.r, node.colour.g, node.colour.b, 1), 1.35)
                                     : Qt.rgba(node.colour.r, node.colour.g, node.colour.b, 1)
            roughness: 0.45
            metalness: 0
        }
    }
}
