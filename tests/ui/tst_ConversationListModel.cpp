// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "ui/ConversationListModel.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QTest>

using namespace metatopia;

class TestConversationListModel : public QObject
{
    Q_OBJECT

private slots:
    void channelsComeBeforePrivateChats()
    {
        ConversationListModel model;
        QAbstractItemModelTester tester(&model);
        QCOMPARE(model.add(QStringLiteral("#general")), 0);
        QCOMPARE(model.add(QStringLiteral("@bob")), 1);
        QCOMPARE(model.add(QStringLiteral("#random")), 1);
        QCOMPARE(model.add(QStringLiteral("#general")), 0); // already there
        QCOMPARE(model.add(QStringLiteral("general")), -1); // neither kind
        QCOMPARE(model.add(QStringLiteral("#")), -1);
        QCOMPARE(model.names(),
            (QStringList {
                QStringLiteral("#general"), QStringLiteral("#random"), QStringLiteral("@bob") }));
        QCOMPARE(model.data(model.index(2), ConversationListModel::TitleRole).toString(),
            QStringLiteral("bob"));
        QVERIFY(model.data(model.index(2), ConversationListModel::PrivateRole).toBool());
        QCOMPARE(model.data(model.index(0), ConversationListModel::SectionRole).toString(),
            QStringLiteral("Channels"));
        QCOMPARE(model.data(model.index(2), ConversationListModel::SectionRole).toString(),
            QStringLiteral("Direct messages"));
        QVERIFY(model.remove(QStringLiteral("#random")));
        QVERIFY(!model.remove(QStringLiteral("#random")));
        QCOMPARE(model.count(), 2);
    }

    void unreadCounts()
    {
        ConversationListModel model;
        QAbstractItemModelTester tester(&model);
        QSignalSpy total(&model, &ConversationListModel::totalUnreadChanged);
        model.add(QStringLiteral("#general"));
        model.setCurrent(QStringLiteral("#general"));
        model.noteMessage(
            QStringLiteral("#general"), QStringLiteral("bob"), QStringLiteral("hi"), 1000, true);
        QCOMPARE(model.unreadOf(QStringLiteral("#general")), 0); // being looked at

        // A private message opens its conversation and counts as unread.
        model.noteMessage(
            QStringLiteral("@carol"), QStringLiteral("carol"), QStringLiteral("psst"), 2000, true);
        model.noteMessage(QStringLiteral("@carol"), QStringLiteral("carol"),
            QStringLiteral("you there?"), 3000, true);
        QCOMPARE(model.indexOf(QStringLiteral("@carol")), 1);
        QCOMPARE(model.unreadOf(QStringLiteral("@carol")), 2);
        QCOMPARE(model.totalUnread(), 2);
        QCOMPARE(total.count(), 2);
        QCOMPARE(model.data(model.index(1), ConversationListModel::LastTextRole).toString(),
            QStringLiteral("you there?"));
        // An older line (a history page) does not replace the preview, ours do not count.
        model.noteMessage(
            QStringLiteral("@carol"), QStringLiteral("carol"), QStringLiteral("old"), 500, false);
        QCOMPARE(model.data(model.index(1), ConversationListModel::LastTextRole).toString(),
            QStringLiteral("you there?"));
        QCOMPARE(model.unreadOf(QStringLiteral("@carol")), 2);

        QSignalSpy current(&model, &ConversationListModel::currentChanged);
        model.setCurrent(QStringLiteral("@carol"));
        QCOMPARE(current.count(), 1);
        QCOMPARE(model.unreadOf(QStringLiteral("@carol")), 0);
        QCOMPARE(model.totalUnread(), 0);
        QVERIFY(model.data(model.index(1), ConversationListModel::CurrentRole).toBool());
        QVERIFY(!model.data(model.index(0), ConversationListModel::CurrentRole).toBool());

        model.noteMessage(
            QStringLiteral("#general"), QStringLiteral("bob"), QStringLiteral("back"), 4000, true);
        QCOMPARE(model.unreadOf(QStringLiteral("#general")), 1);
        QCOMPARE(model.data(model.index(0), ConversationListModel::UnreadRole).toInt(), 1);
        model.remove(QStringLiteral("#general"));
        QCOMPARE(model.totalUnread(), 0);
    }
};

QTEST_GUILESS_MAIN(TestConversationListModel)
#include "tst_ConversationListModel.moc"
