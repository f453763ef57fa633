// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "store/AdminStore.h"

#include "store/AccountStore.h"

#include <QTemporaryDir>
#include <QTest>

using namespace metatopia::store;

namespace {

const QDateTime Now = QDateTime(QDate(2026, 6, 1), QTime(12, 0), Qt::UTC);
constexpr int X = 30;
constexpr int Y = 7;

QDateTime daysAgo(int days)
{
    return Now.addDays(-days);
}

} // namespace

class AdminStoreTest : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;

private Q_SLOTS:
    void activeAdminMeansNoTempAdmin()
    {
        const QList<PlayerActivity> players { { 2, daysAgo(400), daysAgo(1) } };
        QCOMPARE(tempAdmin(players, daysAgo(3), Now, X, Y), std::nullopt);
        // Exactly X days ago still counts as within X days.
        QCOMPARE(tempAdmin(players, daysAgo(X), Now, X, Y), std::nullopt);
        QCOMPARE(tempAdmin(players, daysAgo(X).addSecs(-1), Now, X, Y), std::optional<qint64>(2));
    }

    void earliestJoinedActivePlayerStandsIn()
    {
        const QList<PlayerActivity> players {
            { 5, daysAgo(300), daysAgo(2) },
            { 3, daysAgo(500), daysAgo(Y + 1) }, // joined first, but not active within Y days
            { 4, daysAgo(350), daysAgo(6) }, { 6, daysAgo(900), QDateTime() }, // never logged in
        };
        QCOMPARE(tempAdmin(players, daysAgo(45), Now, X, Y), std::optional<qint64>(4));
        // No admin ever: same rule.
        QCOMPARE(tempAdmin(players, std::nullopt, Now, X, Y), std::optional<qint64>(4));
        // Nobody active: nobody stands in.
        QCOMPARE(
            tempAdmin({ { 3, daysAgo(500), daysAgo(20) } }, daysAgo(45), Now, X, Y), std::nullopt);
    }

    void tiesGoToTheLowerAccountId()
    {
        const QDateTime sameDay = daysAgo(100);
        const QList<PlayerActivity> players {
            { 9, sameDay, daysAgo(1) },
            { 7, sameDay, daysAgo(2) },
            { 8, sameDay, daysAgo(0) },
        };
        QCOMPARE(tempAdmin(players, daysAgo(60), Now, X, Y), std::optional<qint64>(7));
    }

    // The seed's example: Alice, the admin, has gone quiet. Charlie plays every day and stands
    // in; when Bob, who joined before Charlie, logs in again, Bob takes over.
    void longerStandingPlayerTakesOverOnLogin()
    {
        Database db;
        QVERIFY(db.open(m_dir.filePath(QStringLiteral("admins.db"))));
        AccountStore accounts(db, PasswordHashing::minimal());
        AdminStore admins(db);
        const AdminStore::Rule rule { X, Y };
        const QString pw = QStringLiteral("password1");

        const auto alice
            = accounts.registerAccount(QStringLiteral("alice"), pw, daysAgo(400)).account;
        const auto bob = accounts.registerAccount(QStringLiteral("bob"), pw, daysAgo(300)).account;
        const auto charlie
            = accounts.registerAccount(QStringLiteral("charlie"), pw, daysAgo(200)).account;
        QVERIFY(admins.grant(alice.id, daysAgo(400)));
        QVERIFY(admins.isAdmin(alice.id));
        QCOMPARE(admins.admins(), QList<qint64> { alice.id });

        QVERIFY(accounts.login(QStringLiteral("alice"), pw, daysAgo(10)).ok());
        QVERIFY(accounts.login(QStringLiteral("bob"), pw, daysAgo(20)).ok());
        QVERIFY(accounts.login(QStringLiteral("charlie"), pw, daysAgo(1)).ok());
        QCOMPARE(admins.adminLastLogin(), std::optional<QDateTime>(daysAgo(10)));
        QCOMPARE(admins.currentTempAdmin(Now, rule), std::nullopt); // Alice is around

        const QDateTime later = Now.addDays(25); // Alice last seen 35 days before
        QVERIFY(accounts.login(QStringLiteral("charlie"), pw, later.addDays(-1)).ok());
        QCOMPARE(admins.currentTempAdmin(later, rule), std::optional<qint64>(charlie.id));
        QVERIFY(admins.hasAdminRights(charlie.id, later, rule));
        QVERIFY(!admins.hasAdminRights(bob.id, later, rule));
        QVERIFY(admins.hasAdminRights(alice.id, later, rule));
        // The temp admin's logins are not the admin's.
        QCOMPARE(admins.adminLastLogin(), std::optional<QDateTime>(daysAgo(10)));

        QVERIFY(accounts.login(QStringLiteral("bob"), pw, later).ok());
        QCOMPARE(admins.currentTempAdmin(later, rule), std::optional<qint64>(bob.id));
        QVERIFY(!admins.hasAdminRights(charlie.id, later, rule));

        // Alice comes back: no temp admin any more.
        QVERIFY(accounts.login(QStringLiteral("alice"), pw, later).ok());
        QCOMPARE(admins.currentTempAdmin(later, rule), std::nullopt);
        QVERIFY(!admins.hasAdminRights(bob.id, later, rule));

        QVERIFY(admins.revoke(alice.id));
        QVERIFY(!admins.isAdmin(alice.id));
        // With no admin left, the earliest-joined active player is Alice herself.
        QCOMPARE(admins.currentTempAdmin(later, rule), std::optional<qint64>(alice.id));
    }
};

QTEST_GUILESS_MAIN(AdminStoreTest)
#include "AdminStoreTest.moc"
