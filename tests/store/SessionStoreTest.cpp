// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "store/SessionStore.h"

#include "store/AccountStore.h"

#include <QSet>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>
#include <QVariant>

using namespace metatopia::store;
using namespace std::chrono_literals;

class SessionStoreTest : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;

private Q_SLOTS:
    void createValidateRevokeExpire()
    {
        const QString file = m_dir.filePath(QStringLiteral("sessions.db"));
        Database db;
        QVERIFY(db.open(file));
        AccountStore accounts(db, PasswordHashing::minimal());
        const qint64 alice
            = accounts.registerAccount(QStringLiteral("alice"), QStringLiteral("password1"))
                  .account.id;
        const qint64 bob
            = accounts.registerAccount(QStringLiteral("bob"), QStringLiteral("password2"))
                  .account.id;
        SessionStore sessions(db);
        const QDateTime t0 = QDateTime::fromSecsSinceEpoch(1'700'000'000, Qt::UTC);

        const QString token = sessions.create(alice, t0, 1h);
        QCOMPARE(token.size(), 43); // 32 bytes, base64url without padding
        QSet<QString> seen { token };
        for (int i = 0; i < 20; ++i)
            seen.insert(sessions.create(bob, t0, 1h));
        QCOMPARE(seen.size(), 21);

        const auto session = sessions.validate(token, t0.addSecs(60));
        QVERIFY(session);
        QCOMPARE(session->accountId, alice);
        QCOMPARE(session->expires, t0.addSecs(3600));
        QVERIFY(!sessions.validate(token + QLatin1Char('x'), t0));
        QVERIFY(!sessions.validate(QString(), t0));
        QVERIFY(!sessions.validate(QString(5000, QLatin1Char('a')), t0));

        // The database holds no usable token.
        QSqlQuery q(db.connection());
        QVERIFY(q.exec(QStringLiteral("SELECT token_hash FROM sessions")));
        while (q.next())
            QVERIFY(q.value(0).toByteArray() != token.toLatin1());

        // Survives a restart of the server.
        db.close();
        QVERIFY(db.open(file));
        QVERIFY(sessions.validate(token, t0.addSecs(60)));

        QVERIFY(!sessions.validate(token, t0.addSecs(3600))); // expired: gone
        QVERIFY(!sessions.validate(token, t0.addSecs(60)));

        const QString second = sessions.create(alice, t0, 1h);
        QVERIFY(sessions.revoke(second));
        QVERIFY(!sessions.validate(second, t0));
        QVERIFY(!sessions.revoke(second));

        QCOMPARE(sessions.revokeAll(bob), 20);
        QCOMPARE(sessions.create(alice, t0, 1s).size(), 43);
        QCOMPARE(sessions.purgeExpired(t0.addSecs(2)), 1);
    }
};

QTEST_GUILESS_MAIN(SessionStoreTest)
#include "SessionStoreTest.moc"
