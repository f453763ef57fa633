// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include "ui/WorldSession.h"

#include <QObject>
#include <QPointer>
#include <QVariantList>
#include <QtQmlIntegration>

namespace metatopia {

// The inspector panel's data: the selected object's fields from the session's model (kept up to
// date tick by tick) and its script as the sim holds it, with every earlier revision, asked for
// with a "script" request when the selection changes or on refresh().
class ScriptInspector : public QObject
{
    Q_OBJECT
    QML_ELEMENT
    Q_PROPERTY(metatopia::WorldSession *session READ session WRITE setSession NOTIFY sessionChanged)
    // 0: nothing selected.
    Q_PROPERTY(qint64 objectId READ objectId WRITE setObjectId NOTIFY objectIdChanged)
    Q_PROPERTY(bool exists READ exists NOTIFY objectChanged)
    Q_PROPERTY(QString name READ name NOTIFY objectChanged)
    Q_PROPERTY(qint64 owner READ owner NOTIFY objectChanged)
    Q_PROPERTY(QString text READ text NOTIFY objectChanged)
    Q_PROPERTY(QVector3D position READ position NOTIFY objectChanged)
    Q_PROPERTY(bool loading READ loading NOTIFY scriptChanged)
    Q_PROPERTY(bool hasScript READ hasScript NOTIFY scriptChanged)
    Q_PROPERTY(QString source READ source NOTIFY scriptChanged)
    Q_PROPERTY(int revision READ revision NOTIFY scriptChanged)
    Q_PROPERTY(qint64 author READ author NOTIFY scriptChanged)
    Q_PROPERTY(bool suspended READ suspended NOTIFY scriptChanged)
    Q_PROPERTY(QString scriptError READ scriptError NOTIFY scriptChanged)
    // Earlier revisions, oldest first: [{revision, tick, author, source}].
    Q_PROPERTY(QVariantList history READ history NOTIFY scriptChanged)
    Q_PROPERTY(QString errorText READ errorText NOTIFY scriptChanged)
public:
    explicit ScriptInspector(QObject *parent = nullptr);

    WorldSession *session() const { return m_session; }
    void setSession(WorldSession *session);
    qint64 objectId() const { return m_objectId; }
    void setObjectId(qint64 id);
    bool exists() const { return m_exists; }
    QString name() const { return m_name; }
    qint64 owner() const { return m_owner; }
    QString text() const { return m_text; }
    QVector3D position() const { return m_position; }
    bool loading() const { return m_loading; }
    bool hasScript() const { return m_hasScript; }
    QString source() const { return m_source; }
    int revision() const { return m_revision; }
    qint64 author() const { return m_author; }
    bool suspended() const { return m_suspended; }
    QString scriptError() const { return m_scriptError; }
    QVariantList history() const { return m_history; }
    QString errorText() const { return m_errorText; }

    Q_INVOKABLE void refresh();
    // The source of an earlier revision ("" if there is none with that number).
    Q_INVOKABLE QString sourceOfRevision(int revision) const;

signals:
    void sessionChanged();
    void objectIdChanged();
    void objectChanged();
    void scriptChanged();

private:
    void updateObject();
    void clearScript();
    void onScript(qint64 object, const QVariantMap &script);
    void onScriptFailed(qint64 object, const QString &error);

    QPointer<WorldSession> m_session;
    qint64 m_objectId = 0;
    bool m_exists = false;
    QString m_name;
    qint64 m_owner = 0;
    QString m_text;
    QVector3D m_position;
    bool m_loading = false;
    bool m_hasScript = false;
    QString m_source;
    int m_revision = 0;
    qint64 m_author = 0;
    bool m_suspended = false;
    QString m_scriptError;
    QVariantList m_history;
    QString m_errorText;
    bool m_scripted = false; // the model's flag, to notice a script added or removed
    qint64 m_objectHash = 0;
};

} // namespace metatopia
