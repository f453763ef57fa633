// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "ui/ScriptInspector.h"

namespace metatopia {

ScriptInspector::ScriptInspector(QObject *parent)
    : QObject(parent)
{
}

void ScriptInspector::setSession(WorldSession *session)
{
    if (m_session == session)
        return;
    if (m_session)
        m_session->disconnect(this);
    m_session = session;
    if (m_session) {
        connect(m_session, &WorldSession::scriptReceived, this, &ScriptInspector::onScript);
        connect(m_session, &WorldSession::scriptFailed, this, &ScriptInspector::onScriptFailed);
        ObjectListModel *objects = m_session->objects();
        connect(objects, &QAbstractItemModel::dataChanged, this, &ScriptInspector::updateObject);
        connect(objects, &QAbstractItemModel::rowsInserted, this, &ScriptInspector::updateObject);
        connect(objects, &QAbstractItemModel::rowsRemoved, this, &ScriptInspector::updateObject);
    }
    emit sessionChanged();
    updateObject();
    refresh();
}

void ScriptInspector::setObjectId(qint64 id)
{
    if (m_objectId == id)
        return;
    m_objectId = id;
    m_objectHash = 0;
    emit objectIdChanged();
    clearScript();
    updateObject();
    refresh();
}

void ScriptInspector::refresh()
{
    if (!m_session || m_objectId == 0)
        return;
    m_loading = true;
    m_errorText.clear();
    emit scriptChanged();
    m_session->requestScript(m_objectId);
}

QString ScriptInspector::sourceOfRevision(int revision) const
{
    if (revision == m_revision)
        return m_source;
    for (const QVariant &item : m_history) {
        const QVariantMap past = item.toMap();
        if (past.value(QStringLiteral("revision")).toInt() == revision)
            return past.value(QStringLiteral("source")).toString();
    }
    return {};
}

void ScriptInspector::updateObject()
{
    const WorldObject *object
        = m_session && m_objectId != 0 ? m_session->objects()->find(m_objectId) : nullptr;
    if (!object) {
        if (!m_exists)
            return;
        m_exists = false;
        emit objectChanged();
        return;
    }
    if (m_exists && object->hash == m_objectHash && m_objectHash != 0)
        return;
    const bool scriptFlagChanged = m_exists && object->scripted != m_scripted;
    m_exists = true;
    m_objectHash = object->hash;
    m_name = object->name;
    m_owner = object->owner;
    m_text = object->text;
    m_position = object->position;
    m_scripted = object->scripted;
    emit objectChanged();
    if (scriptFlagChanged)
        refresh();
}

void ScriptInspector::clearScript()
{
    m_loading = false;
    m_hasScript = false;
    m_source.clear();
    m_revision = 0;
    m_author = 0;
    m_suspended = false;
    m_scriptError.clear();
    m_history.clear();
    m_errorText.clear();
    emit scriptChanged();
}

void ScriptInspector::onScript(qint64 object, const QVariantMap &script)
{
    if (object != m_objectId)
        return;
    m_loading = false;
    m_errorText.clear();
    m_hasScript = script.contains(QStringLiteral("source"));
    m_source = script.value(QStringLiteral("source")).toString();
    m_revision = script.value(QStringLiteral("revision")).toInt();
    m_author = script.value(QStringLiteral("author")).toLongLong();
    m_suspended = script.value(QStringLiteral("suspended")).toBool();
    m_scriptError = script.value(QStringLiteral("error")).toString();
    m_history = script.value(QStringLiteral("history")).toList();
    emit scriptChanged();
}

void ScriptInspector::onScriptFailed(qint64 object, const QString &error)
{
    if (object != m_objectId)
        return;
    clearScript();
    m_errorText = error;
    emit scriptChanged();
}

} // namespace metatopia
