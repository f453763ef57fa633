// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
// The manager's accounts page model on a real SQLite file written by the same stores the chat
// server uses: accounts appear with their dates, admins are granted and revoked, and the temp
// admin follows DESIGN.md §7 as days pass (the Bob and Charlie case), with the rule's X and Y
// kept in the world's settings file.

#include "ui/AccountsModel.h"

#include "store/AccountStore.h"
#include "store/AdminStore.h"
#include "store/Database.h"

#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace metatopia;

namespace {

const QDateTime kStart(QDate(2026, 1, 1), QTime(12, 0), Qt::UTC);

QString rank(const AccountsModel &model, const QString &name)
{
    for (int row = 0; row < model.rowCount(); ++row) {
        const QModelIndex index = model.index(row);
        if (index.data(AccountsModel::NameRole).toString() == name)
            return index.data(AccountsModel::RankRole).toString();
    }
    return QStringLiteral("missing");
}

} // namespace

class TestAccountsModel : public QObject
{
    Q_OBJECT

private slots:
    void init()
    {
        QVERIFY(m_dir.isValid());
        m_dbPath = m_dir.filePath(QStringLiteral("chat-%1.sqlite").arg(++m_round));
        m_iniPath = m_dir.filePath(QStringLiteral("world-%1.ini").arg(m_round));
    }

    void waitsForTheServersDatabase()
    {
        AccountsModel model(m_dbPath, m_iniPath);
        QVERIFY(!model.refresh());
        QVERIFY(model.errorText().contains(QLatin1String("not created")));
        QVERIFY(!QFile::exists(m_dbPath)); // never creates the server's file itself

        store::Database server;
        QVERIFY2(server.open(m_dbPath), qPrintable(server.errorString()));
        store::AccountStore accounts(server, store::PasswordHashing::minimal());
        QVERIFY(
            accounts
                .registerAccount(QStringLiteral("alice"), QStringLiteral("a long password"), kStart)
                .ok());
        QVERIFY(model.refresh());
        QCOMPARE(model.count(), 1);
        QVERIFY(model.errorText().isEmpty());
        QCOMPARE(rank(model, QStringLiteral("alice")), QStringLiteral("Player"));

        // Not a database at all: a clear error, nothing written.
        const QString bogus = m_dir.filePath(QStringLiteral("bogus.sqlite"));
        QFile file(bogus);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("this is somebody's notes, not a database\n");
        file.close();
        AccountsModel broken(bogus, m_iniPath);
        QVERIFY(!broken.refresh());
        QVERIFY(broken.errorText().startsWith(QLatin1String("Cannot read the accounts")));
        QVERIFY(file.open(QIODevice::ReadOnly));
        QCOMPARE(file.readAll(), QByteArray("this is somebody's notes, not a database\n"));
    }

    void tempAdminFollowsTheRule()
    {
        // The server side: accounts and logins written through the chat server's stores.
        store::Database server;
        QVERIFY2(server.open(m_dbPath), qPrintable(server.errorString()));
        store::AccountStore accounts(server, store::PasswordHashing::minimal());
        const QString password = QStringLiteral("correct horse battery");
        const auto alice = accounts.registerAccount(QStringLiteral("alice"), password, kStart);
        const auto bob
            = accounts.registerAccount(QStringLiteral("bob"), password, kStart.addDays(1));
        const auto charlie
            = accounts.registerAccount(QStringLiteral("charlie"), password, kStart.addDays(2));
        QVERIFY(alice.ok() && bob.ok() && charlie.ok());

        QDateTime now = kStart.addDays(3);
        AccountsModel model(m_dbPath, m_iniPath);
        model.setClock([&now] { return now; });
        QVERIFY(model.setAdmin(alice.account.id, true));
        QVERIFY(accounts.login(QStringLiteral("alice"), password, now).ok());
        QVERIFY(accounts.login(QStringLiteral("bob"), password, now).ok());
        QVERIFY(model.refresh());
        QCOMPARE(model.count(), 3);
        QCOMPARE(rank(model, QStringLiteral("alice")), QStringLiteral("Admin"));
        QCOMPARE(model.tempAdminName(), QString()); // the admin was just here

        // The admin stays away for more than X (30) days; only Charlie was around lately.
        now = kStart.addDays(40);
        QVERIFY(accounts.login(QStringLiteral("charlie"), password, now).ok());
        QSignalSpy summary(&model, &AccountsModel::summaryChanged);
        QVERIFY(model.refresh());
        QCOMPARE(model.tempAdminName(), QStringLiteral("charlie"));
        QCOMPARE(rank(model, QStringLiteral("charlie")), QStringLiteral("Temp admin"));
        QVERIFY(model.summary().contains(QLatin1String("charlie is temp admin")));
        QCOMPARE(summary.count(), 1);
        // Rows come in the rule's order: admin, temp admin, then by join date.
        QCOMPARE(model.index(0).data(AccountsModel::NameRole).toString(), QStringLiteral("alice"));
        QCOMPARE(
            model.index(1).data(AccountsModel::NameRole).toString(), QStringLiteral("charlie"));

        // Bob joined earlier: when he logs in again he takes over, recomputed on refresh.
        now = now.addDays(1);
        QVERIFY(accounts.login(QStringLiteral("bob"), password, now).ok());
        QVERIFY(model.refresh());
        QCOMPARE(model.tempAdminName(), QStringLiteral("bob"));
        QCOMPARE(rank(model, QStringLiteral("charlie")), QStringLiteral("Player"));

        // A shorter X: the admin's absence counts from fewer days, and the rule is kept.
        model.setActiveDays(3);
        model.setAdminAbsentDays(45);
        QCOMPARE(model.tempAdminName(), QString()); // 41 days absent < 45
        AccountsModel reopened(m_dbPath, m_iniPath);
        QCOMPARE(reopened.adminAbsentDays(), 45);
        QCOMPARE(reopened.activeDays(), 3);

        // The admin comes back: no temp admin at all.
        model.setAdminAbsentDays(30);
        QCOMPARE(model.tempAdminName(), QStringLiteral("bob"));
        QVERIFY(accounts.login(QStringLiteral("alice"), password, now).ok());
        QVERIFY(model.refresh());
        QCOMPARE(model.tempAdminName(), QString());
    }

    void grantsAndRevokes()
    {
        store::Database server;
        QVERIFY2(server.open(m_dbPath), qPrintable(server.errorString()));
        store::AccountStore accounts(server, store::PasswordHashing::minimal());
        const auto dana = accounts.registerAccount(
            QStringLiteral("dana"), QStringLiteral("a long password"), kStart);
        QVERIFY(dana.ok());
        AccountsModel model(m_dbPath, m_iniPath);
        QVERIFY(model.setAdmin(dana.account.id, true));
        QCOMPARE(rank(model, QStringLiteral("dana")), QStringLiteral("Admin"));
        QVERIFY(model.index(0).data(AccountsModel::IsAdminRole).toBool());
        // The server sees the grant through its own connection.
        QVERIFY(store::AdminStore(server).isAdmin(dana.account.id));
        QVERIFY(model.setAdmin(dana.account.id, true)); // already admin: fine
        QVERIFY(model.setAdmin(dana.account.id, false));
        QCOMPARE(rank(model, QStringLiteral("dana")), QStringLiteral("Player"));
        QVERIFY(model.setAdmin(dana.account.id, false)); // not admin: fine
        QVERIFY(!model.setAdmin(999999, true));
        QVERIFY(model.errorText().contains(QLatin1String("no account 999999")));
        QCOMPARE(model.count(), 1);
    }

private:
    QTemporaryDir m_dir;
    QString m_dbPath;
    QString m_iniPath;
    int m_round = 0;
};

QTEST_GUILESS_MAIN(TestAccountsModel)
#include "tst_AccountsModel.moc"
