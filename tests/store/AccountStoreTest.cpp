// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "store/AccountStore.h"
#include "store/LoginThrottle.h"

#include <QElapsedTimer>
#include <QSignalSpy>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>
#include <QVariant>

using namespace metatopia::store;

class AccountStoreTest : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    int m_files = 0;

    bool openFresh(Database &db)
    {
        return db.open(m_dir.filePath(QStringLiteral("a%1.db").arg(++m_files)));
    }

private Q_SLOTS:
    void nameAndPasswordRules()
    {
        QVERIFY(AccountStore::checkName(QStringLiteral("alice")).isEmpty());
        QVERIFY(AccountStore::checkName(QStringLiteral("Bob_the-2nd.x")).isEmpty());
        QVERIFY(!AccountStore::checkName(QStringLiteral("al")).isEmpty());
        QVERIFY(!AccountStore::checkName(QString(33, QLatin1Char('a'))).isEmpty());
        QVERIFY(!AccountStore::checkName(QStringLiteral("9lives")).isEmpty());
        QVERIFY(!AccountStore::checkName(QStringLiteral("white space")).isEmpty());
        QVERIFY(!AccountStore::checkName(QStringLiteral("admin|x")).isEmpty());
        QVERIFY(!AccountStore::checkName(QStringLiteral("аlice")).isEmpty()); // Cyrillic а
        QVERIFY(AccountStore::checkPassword(QStringLiteral("correct horse")).isEmpty());
        QVERIFY(!AccountStore::checkPassword(QStringLiteral("short")).isEmpty());
    }

    void registerLoginWrongPasswordDuplicate()
    {
        Database db;
        QVERIFY(openFresh(db));
        AccountStore accounts(db, PasswordHashing::minimal());
        const QDateTime joined = QDateTime::fromSecsSinceEpoch(1'700'000'000, Qt::UTC);
        const auto alice = accounts.registerAccount(
            QStringLiteral("alice"), QStringLiteral("wonderland"), joined);
        QVERIFY2(alice.ok(), qPrintable(alice.errorText));
        QVERIFY(alice.account.id > 0);
        QCOMPARE(alice.account.joined, joined);
        QVERIFY(!alice.account.lastLogin.isValid());

        const auto again
            = accounts.registerAccount(QStringLiteral("ALICE"), QStringLiteral("whatever1"));
        QCOMPARE(again.error, AccountStore::Error::NameTaken);
        QVERIFY(again.errorText.contains(QStringLiteral("taken")));
        QCOMPARE(accounts.registerAccount(QStringLiteral("x"), QStringLiteral("whatever1")).error,
            AccountStore::Error::InvalidName);
        QCOMPARE(accounts.registerAccount(QStringLiteral("carol"), QStringLiteral("123")).error,
            AccountStore::Error::InvalidPassword);

        const QDateTime later = joined.addDays(3);
        const auto login
            = accounts.login(QStringLiteral("alice"), QStringLiteral("wonderland"), later);
        QVERIFY(login.ok());
        QCOMPARE(login.account.id, alice.account.id);
        QCOMPARE(accounts.findById(alice.account.id)->lastLogin, later);

        const auto wrong = accounts.login(
            QStringLiteral("alice"), QStringLiteral("wonderlanD"), later.addDays(1));
        QCOMPARE(wrong.error, AccountStore::Error::WrongCredentials);
        QCOMPARE(wrong.errorText, QStringLiteral("wrong name or password"));
        QCOMPARE(accounts.findById(alice.account.id)->lastLogin, later);
        const auto unknown = accounts.login(QStringLiteral("nobody"), QStringLiteral("wonderland"));
        QCOMPARE(unknown.error, AccountStore::Error::WrongCredentials);
        QCOMPARE(unknown.errorText, wrong.errorText);

        // The hash is argon2id, never the password.
        QSqlQuery q(db.connection());
        QVERIFY(q.exec(QStringLiteral("SELECT password_hash FROM accounts")) && q.next());
        QVERIFY(q.value(0).toString().startsWith(QStringLiteral("$argon2id$")));
        QVERIFY(!q.value(0).toString().contains(QStringLiteral("wonderland")));
        QCOMPARE(accounts.accounts().size(), 1);
    }

    void accountsSurviveReopen()
    {
        const QString file = m_dir.filePath(QStringLiteral("persist.db"));
        {
            Database db;
            QVERIFY(db.open(file));
            AccountStore accounts(db, PasswordHashing::minimal());
            QVERIFY(
                accounts.registerAccount(QStringLiteral("dora"), QStringLiteral("explorer1")).ok());
        }
        Database db;
        QVERIFY(db.open(file));
        AccountStore accounts(db, PasswordHashing::minimal());
        QVERIFY(accounts.login(QStringLiteral("dora"), QStringLiteral("explorer1")).ok());
    }

    void asyncHashingKeepsTheEventLoopFree()
    {
        Database db;
        QVERIFY(openFresh(db));
        // Real server cost, so that the test shows the caller's thread stays responsive.
        AccountStore accounts(db, PasswordHashing::interactive());
        std::optional<AccountStore::Result> registered;
        int ticks = 0;
        QTimer ticker;
        connect(&ticker, &QTimer::timeout, this, [&] { ++ticks; });
        ticker.start(1);
        QElapsedTimer timer;
        timer.start();
        accounts.registerAccountAsync(QStringLiteral("erin"), QStringLiteral("async-pass"), this,
            [&](const AccountStore::Result &r) { registered = r; });
        QVERIFY(!registered); // never synchronous
        QTRY_VERIFY_WITH_TIMEOUT(registered.has_value(), 30000);
        QVERIFY2(registered->ok(), qPrintable(registered->errorText));
        QVERIFY(ticks > 0);
        qInfo("argon2id interactive register: %lld ms, event loop ticked %d times", timer.elapsed(),
            ticks);

        std::optional<AccountStore::Result> good;
        std::optional<AccountStore::Result> bad;
        std::optional<AccountStore::Result> duplicate;
        accounts.loginAsync(QStringLiteral("erin"), QStringLiteral("async-pass"), this,
            [&](const AccountStore::Result &r) { good = r; });
        accounts.loginAsync(QStringLiteral("erin"), QStringLiteral("nope-nope"), this,
            [&](const AccountStore::Result &r) { bad = r; });
        accounts.registerAccountAsync(QStringLiteral("Erin"), QStringLiteral("async-pass"), this,
            [&](const AccountStore::Result &r) { duplicate = r; });
        QTRY_VERIFY_WITH_TIMEOUT(good && bad && duplicate, 30000);
        QVERIFY(good->ok());
        QCOMPARE(good->account.name, QStringLiteral("erin"));
        QCOMPARE(bad->error, AccountStore::Error::WrongCredentials);
        QCOMPARE(duplicate->error, AccountStore::Error::NameTaken);
        ticker.stop();
    }

    void asyncCallbackDroppedWithItsContext()
    {
        Database db;
        QVERIFY(openFresh(db));
        AccountStore accounts(db, PasswordHashing::minimal());
        bool called = false;
        bool witnessCalled = false;
        {
            QObject context;
            accounts.registerAccountAsync(QStringLiteral("fred"), QStringLiteral("password1"),
                &context, [&](const AccountStore::Result &) { called = true; });
        }
        QObject witness;
        accounts.loginAsync(QStringLiteral("fred"), QStringLiteral("password1"), &witness,
            [&](const AccountStore::Result &) { witnessCalled = true; });
        QTRY_VERIFY_WITH_TIMEOUT(witnessCalled, 10000);
        QVERIFY(!called);
        QVERIFY(accounts.find(QStringLiteral("fred"))); // the work itself was not lost
    }

    void throttleGrowsPerAccountAndAddress()
    {
        LoginThrottle::Policy policy;
        policy.baseDelayMs = 100;
        policy.maxDelayMs = 1000;
        policy.forgetAfterSeconds = 60;
        QCOMPARE(LoginThrottle::delayForFailures(0, policy), 0);
        QCOMPARE(LoginThrottle::delayForFailures(1, policy), 100);
        QCOMPARE(LoginThrottle::delayForFailures(3, policy), 400);
        QCOMPARE(LoginThrottle::delayForFailures(50, policy), 1000);

        LoginThrottle throttle(policy);
        const QDateTime t0 = QDateTime::fromSecsSinceEpoch(1'700'000'000, Qt::UTC);
        const QString ip = QStringLiteral("203.0.113.7");
        QCOMPARE(throttle.recordFailure(QStringLiteral("alice"), ip, t0), 100);
        QCOMPARE(throttle.recordFailure(QStringLiteral("Alice"), ip, t0.addSecs(1)), 200);
        // Same address, other account: the address's count still grows.
        QCOMPARE(throttle.recordFailure(QStringLiteral("bob"), ip, t0.addSecs(2)), 400);
        // Same account from elsewhere: the account's count.
        QCOMPARE(throttle.recordFailure(
                     QStringLiteral("alice"), QStringLiteral("198.51.100.1"), t0.addSecs(3)),
            400);
        QCOMPARE(throttle.failures(QStringLiteral("carol"), QStringLiteral("192.0.2.9"), t0), 0);
        // Old failures are forgotten.
        QCOMPARE(throttle.recordFailure(QStringLiteral("alice"), ip, t0.addSecs(3600)), 100);
        throttle.recordSuccess(QStringLiteral("alice"), ip);
        QCOMPARE(throttle.failures(QStringLiteral("alice"), ip, t0.addSecs(3601)), 0);
    }
};

QTEST_GUILESS_MAIN(AccountStoreTest)
#include "AccountStoreTest.moc"
