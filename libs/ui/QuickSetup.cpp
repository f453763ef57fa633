// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "ui/QuickSetup.h"

#include <QQmlEngine>
#include <QQuickStyle>

namespace metatopia {

void applyQuickStyle()
{
    if (qEnvironmentVariableIsEmpty("QT_QUICK_CONTROLS_STYLE"))
        QQuickStyle::setStyle(QStringLiteral("Material"));
}

void prepareQmlEngine(QQmlEngine &engine)
{
    // Qt 6.4 puts a module's files under qrc:/<URI path>/ but does not search qrc:/ by itself.
    engine.addImportPath(QStringLiteral("qrc:/"));
}

} // namespace metatopia
