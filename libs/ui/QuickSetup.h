// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

class QQmlEngine;

namespace metatopia {

// The Quick Controls style all Metatopia apps share (Material, light), unless the user chose one
// with QT_QUICK_CONTROLS_STYLE. Call before the first QML engine loads a control.
void applyQuickStyle();

// Makes the engine find Metatopia's QML modules, which are compiled into the binary's resources
// (qrc:/Metatopia/...).
void prepareQmlEngine(QQmlEngine &engine);

} // namespace metatopia
