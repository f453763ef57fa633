// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// Driving a real QML window from a Qt Test: find items by objectName anywhere in the visual
// tree, click and type like a user, and keep screenshots as CI artifacts.
#pragma once

#include <QDir>
#include <QImage>
#include <QQuickItem>
#include <QQuickWindow>
#include <QTest>

namespace metatopia::test {

// View delegates have no QObject parent, so findChild misses them: search the visual tree too.
inline QQuickItem *findInTree(QQuickItem *item, const QString &name)
{
    if (item->objectName() == name)
        return item;
    const QList<QQuickItem *> children = item->childItems();
    for (QQuickItem *child : children) {
        if (QQuickItem *found = findInTree(child, name))
            return found;
    }
    return nullptr;
}

inline QQuickItem *findItem(QQuickWindow *window, const QString &name)
{
    if (auto *item = window->findChild<QQuickItem *>(name))
        return item;
    return findInTree(window->contentItem(), name);
}

inline QQuickItem *findItem(QQuickWindow *window, const char *name)
{
    return findItem(window, QString::fromUtf8(name));
}

inline QPoint centerOf(QQuickItem *item)
{
    return item->mapToScene(QPointF(item->width() / 2, item->height() / 2)).toPoint();
}

// Clicks the item as a user would; false if it is missing, hidden or disabled.
inline bool click(QQuickWindow *window, const QString &name)
{
    QQuickItem *item = findItem(window, name);
    if (!item || !item->isVisible() || !item->isEnabled())
        return false;
    QTest::mouseClick(window, Qt::LeftButton, {}, centerOf(item));
    return true;
}

inline bool click(QQuickWindow *window, const char *name)
{
    return click(window, QString::fromUtf8(name));
}

// Focuses a text field and types into it, one key event per character (Qt 6.4 has keyClicks
// only for widgets).
inline bool typeInto(QQuickWindow *window, const QString &name, const QString &text)
{
    QQuickItem *field = findItem(window, name);
    if (!field || !field->isVisible() || !field->isEnabled())
        return false;
    field->forceActiveFocus();
    if (!field->hasActiveFocus())
        return false;
    for (const QChar c : text)
        QTest::keyClick(window, c.toLatin1());
    return field->property("text").toString().endsWith(text);
}

inline bool typeInto(QQuickWindow *window, const char *name, const QString &text)
{
    return typeInto(window, QString::fromUtf8(name), text);
}

// Saves the window as <artifactDir>/<file> (tests pass METATOPIA_ARTIFACT_DIR).
inline bool saveShot(QQuickWindow *window, const QString &artifactDir, const QString &file)
{
    const QImage shot = window->grabWindow();
    if (shot.isNull() || shot.size() != window->size() * window->devicePixelRatio()
        || !QDir().mkpath(artifactDir))
        return false;
    const QString path = QDir(artifactDir).filePath(file);
    qInfo("screenshot saved to %s", qPrintable(path));
    return shot.save(path);
}

} // namespace metatopia::test
