// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
import QtQuick
import QtQuick.Controls
import QtQuick.Controls.Material

// The highlighted button of a form. Material draws a raised button's background through a
// shader effect, which the software scene graph (no OpenGL: virtual machines, remote displays,
// offscreen tests) cannot draw, so the button would lose its colour; there the background is
// drawn without its shadow.
Button {
    id: control

    readonly property bool softwareRendering: GraphicsInfo.api === GraphicsInfo.Software

    highlighted: true
    onSoftwareRenderingChanged: if (softwareRendering && background) background.layer.enabled = false
    Component.onCompleted: if (softwareRendering && background) background.layer.enabled = false
}
