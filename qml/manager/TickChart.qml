// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
import QtQuick
import QtQuick.Controls
import QtQuick.Controls.Material
import QtQuick.Layouts
import Metatopia.Ui

// A line per replica over the model's short history of one role (tick time or ticks per second).
// Drawn on a Canvas so it also renders with the software scene graph (offscreen, no GPU).
Pane {
    id: root

    required property ReplicaListModel model
    property string historyRole: "tickTimeHistory"
    property string title
    property string unit
    property real scale: 1 // value shown = history value * scale
    property int decimals: 1

    readonly property var palette: [Material.color(Material.Indigo), Material.color(Material.Green),
        Material.color(Material.DeepOrange), Material.color(Material.Purple), Material.color(Material.Teal),
        Material.color(Material.Brown), Material.color(Material.Pink)]
    property real peak: 0

    Material.elevation: 1
    padding: 12

    ColumnLayout {
        anchors.fill: parent
        spacing: 4

        RowLayout {
            Layout.fillWidth: true
            Label {
                text: root.title
                font.bold: true
                Layout.fillWidth: true
            }
            Repeater {
                model: root.model
                RowLayout {
                    required property int index
                    required property string name
                    spacing: 4
                    Rectangle { width: 10; height: 10; radius: 2; color: root.palette[index % root.palette.length] }
                    Label { text: parent.name; font.pixelSize: 12 }
                }
            }
        }

        Canvas {
            id: canvas
            objectName: "chart-" + root.historyRole
            Layout.fillWidth: true
            Layout.fillHeight: true
            renderTarget: Canvas.Image

            onPaint: {
                const ctx = getContext("2d");
                ctx.reset();
                const left = 48, bottom = height - 18, top = 6, right = width - 6;
                const length = root.model.historyLength;
                let peak = 0;
                const series = [];
                for (let row = 0; row < root.model.count; ++row) {
                    const values = root.model.get(row, root.historyRole) || [];
                    series.push(values);
                    for (let i = 0; i < values.length; ++i)
                        peak = Math.max(peak, values[i] * root.scale);
                }
                // A round upper bound so the axis reads well.
                const magnitude = Math.pow(10, Math.floor(Math.log(Math.max(peak, 1e-9)) / Math.LN10));
                const top_value = peak > 0 ? Math.ceil(peak / magnitude) * magnitude : 1;
                root.peak = peak;

                ctx.strokeStyle = "#e0e0e0";
                ctx.fillStyle = "#757575";
                ctx.font = "11px sans-serif";
                ctx.lineWidth = 1;
                for (let g = 0; g <= 5; ++g) {
                    const y = bottom - (bottom - top) * g / 5;
                    ctx.beginPath();
                    ctx.moveTo(left, y);
                    ctx.lineTo(right, y);
                    ctx.stroke();
                    ctx.fillText((top_value * g / 5).toFixed(root.decimals), 2, y + 4);
                }
                ctx.fillText(root.unit, left, height - 4);
                ctx.fillText(qsTr("last %1 s").arg(length / 2), right - 60, height - 4);

                ctx.lineWidth = 2;
                for (let s = 0; s < series.length; ++s) {
                    const values = series[s];
                    if (values.length < 2)
                        continue;
                    ctx.strokeStyle = root.palette[s % root.palette.length];
                    ctx.beginPath();
                    const offset = length - values.length;
                    for (let i = 0; i < values.length; ++i) {
                        const x = left + (right - left) * (offset + i) / (length - 1);
                        const y = bottom - (bottom - top) * Math.min(1, values[i] * root.scale / top_value);
                        if (i === 0)
                            ctx.moveTo(x, y);
                        else
                            ctx.lineTo(x, y);
                    }
                    ctx.stroke();
                }
            }

            Connections {
                target: root.model
                function onHistoryChanged() { canvas.requestPaint(); }
                function onCountChanged() { canvas.requestPaint(); }
            }
            onWidthChanged: requestPaint()
            onHeightChanged: requestPaint()
        }
    }
}
