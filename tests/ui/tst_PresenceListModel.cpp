// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "ui/PresenceListModel.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QTest>

using namespace metatopia;

namespace {

QStringList users(const PresenceListModel &model)
{
    QStringList out;
    for (int row = 0; row < model.rowCount(); ++row)
        out.append(model.userAt(row));
    return out;
}

} // namespace

class TestPresenceListModel : public QObject
{
    Q_OBJECT

private slots:
    void sortsByPresenceThenName()
    {
        PresenceListModel model;
        QAbstractItemModelTester tester(&model);
        QSignalSpy online(&model, &PresenceListModel::onlineCountChanged);
        model.addOnline(QStringLiteral("dave"));
        model.addOnline(QStringLiteral("Bob"));
        model.setPresence(QStringLiteral("carol"), Presence::Away);
        model.setPresence(QStringLiteral("alice"), Presence::Offline);
        model.addOnline(QStringLiteral("alice")); // known already: stays offline
        QCOMPARE(users(model),
            (QStringList { QStringLiteral("Bob"), QStringLiteral("dave"), QStringLiteral("carol"),
                QStringLiteral("alice") }));
        QCOMPARE(model.onlineCount(), 3);
        QCOMPARE(online.count(), 3);
        QCOMPARE(model.data(model.index(2), PresenceListModel::PresenceRole).toString(),
            QStringLiteral("away"));
        QCOMPARE(model.data(model.index(3), PresenceListModel::PresenceTextRole).toString(),
            QStringLiteral("Offline"));

        // alice comes online: moves up; dave goes away: moves down.
        model.setPresence(QStringLiteral("alice"), Presence::Online);
        model.setPresence(QStringLiteral("dave"), Presence::Away);
        QCOMPARE(users(model),
            (QStringList { QStringLiteral("alice"), QStringLiteral("Bob"), QStringLiteral("carol"),
                QStringLiteral("dave") }));
        QCOMPARE(model.presenceOf(QStringLiteral("dave")), Presence::Away);
        QCOMPARE(model.presenceNameOf(QStringLiteral("nobody")), QStringLiteral("offline"));
        QCOMPARE(model.onlineCount(), 4);
        model.setPresence(QStringLiteral("Bob"), Presence::Offline);
        QCOMPARE(users(model).last(), QStringLiteral("Bob"));
        QCOMPARE(model.onlineCount(), 3);
    }

    void selfIsMarked()
    {
        PresenceListModel model;
        model.addOnline(QStringLiteral("alice"));
        model.addOnline(QStringLiteral("bob"));
        model.setSelfUser(QStringLiteral("bob"));
        QVERIFY(model.data(model.index(1), PresenceListModel::SelfRole).toBool());
        QVERIFY(!model.data(model.index(0), PresenceListModel::SelfRole).toBool());
    }

    void presenceNamesRoundTrip()
    {
        for (const Presence p : { Presence::Online, Presence::Away, Presence::Offline })
            QCOMPARE(PresenceListModel::presenceFromName(PresenceListModel::presenceName(p)), p);
        QCOMPARE(PresenceListModel::presenceFromName(QStringLiteral("garbage")), Presence::Offline);
    }
};

QTEST_GUILESS_MAIN(TestPresenceListModel)
#include "tst_PresenceListModel.moc"
