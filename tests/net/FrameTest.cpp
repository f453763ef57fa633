// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "net/Frame.h"
#include "net/Protocol.h"

#include <QCborArray>
#include <QCborValue>
#include <QRandomGenerator>
#include <QTest>
#include <QtEndian>

using namespace metatopia::net;

namespace {

QByteArray rawFrame(const QByteArray &payload)
{
    QByteArray frame(4, Qt::Uninitialized);
    qToBigEndian<quint32>(quint32(payload.size()), frame.data());
    return frame + payload;
}

QCborMap sample(int i)
{
    QCborMap m;
    m.insert(key::type, QStringLiteral("say"));
    m.insert(key::id, i);
    m.insert(QStringLiteral("text"), QString(i % 50, QLatin1Char('x')));
    QCborArray list;
    for (int k = 0; k < i % 7; ++k)
        list.append(k * 1000003);
    m.insert(QStringLiteral("list"), list);
    return m;
}

} // namespace

class FrameTest : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void roundTripWholeAndByteByByte()
    {
        QByteArray stream;
        for (int i = 0; i < 100; ++i)
            stream += encodeFrame(sample(i));

        FrameDecoder whole;
        whole.feed(stream);
        for (int i = 0; i < 100; ++i) {
            const auto item = whole.next();
            QVERIFY(item && item->ok());
            QCOMPARE(item->message, sample(i));
        }
        QVERIFY(!whole.next());
        QCOMPARE(whole.bufferedBytes(), 0);

        FrameDecoder bytewise;
        int seen = 0;
        for (char c : stream) {
            bytewise.feed(QByteArray(1, c));
            while (const auto item = bytewise.next()) {
                QVERIFY(item->ok());
                QCOMPARE(item->message, sample(seen));
                ++seen;
            }
        }
        QCOMPARE(seen, 100);
    }

    void truncatedFrameWaitsForMore()
    {
        const QByteArray frame = encodeFrame(sample(9));
        for (qsizetype cut = 0; cut < frame.size(); ++cut) {
            FrameDecoder decoder;
            decoder.feed(frame.left(cut));
            QVERIFY(!decoder.next());
            QVERIFY(decoder.bytesWanted() >= 1);
            decoder.feed(frame.mid(cut));
            const auto item = decoder.next();
            QVERIFY(item && item->ok());
            QCOMPARE(item->message, sample(9));
        }
    }

    void oversizedIsFatalAndReportedAtOnce()
    {
        FrameDecoder decoder(1024);
        QByteArray header(4, Qt::Uninitialized);
        qToBigEndian<quint32>(1025, header.data());
        decoder.feed(header); // the payload never needs to arrive
        const auto item = decoder.next();
        QVERIFY(item);
        QCOMPARE(item->error, FrameDecoder::Error::Oversized);
        QVERIFY(item->errorText.contains(QStringLiteral("1025")));
        QVERIFY(decoder.broken());
        decoder.feed(encodeFrame(sample(1)));
        QVERIFY(!decoder.next());

        // Exactly at the limit is fine; the encoder refuses beyond it.
        QCborMap big;
        big.insert(key::type, QStringLiteral("x"));
        big.insert(QStringLiteral("blob"), QByteArray(2000, 'a'));
        QVERIFY(encodeFrame(big, 1024).isEmpty());
        const QByteArray payload = QCborValue(big).toCbor();
        FrameDecoder exact(payload.size());
        exact.feed(encodeFrame(big, payload.size()));
        const auto ok = exact.next();
        QVERIFY(ok && ok->ok());
    }

    void badPayloadsAreSkipped()
    {
        FrameDecoder decoder;
        decoder.feed(rawFrame(QByteArray("\xff\xfe\xfd", 3))); // not CBOR
        decoder.feed(rawFrame(QCborValue(42).toCbor())); // not a map
        decoder.feed(rawFrame(QCborValue(QCborMap()).toCbor() + QByteArray("\x01", 1)));
        decoder.feed(rawFrame(QCborValue(sample(3)).toCbor().chopped(2))); // truncated CBOR
        decoder.feed(rawFrame(QByteArray())); // empty payload
        decoder.feed(encodeFrame(sample(5)));

        const FrameDecoder::Error expected[] = { FrameDecoder::Error::NotCbor,
            FrameDecoder::Error::NotAMap, FrameDecoder::Error::TrailingGarbage,
            FrameDecoder::Error::NotCbor, FrameDecoder::Error::NotCbor };
        for (FrameDecoder::Error e : expected) {
            const auto item = decoder.next();
            QVERIFY(item);
            QCOMPARE(item->error, e);
            QVERIFY(!item->errorText.isEmpty());
        }
        const auto good = decoder.next();
        QVERIFY(good && good->ok());
        QCOMPARE(good->message, sample(5));
        QVERIFY(!decoder.broken());
    }

    void hostileCborShapes()
    {
        // Deep nesting must not blow the stack; huge declared lengths must not allocate them.
        QByteArray deep(200000, '\xa1'); // map of map of map ...
        for (int i = 0; i < 10; ++i)
            deep[i * 2 + 1] = '\x61';
        QByteArray deepArrays = QByteArray(200000, '\x81') + QByteArray("\xa0", 1);
        QByteArray hugeArray("\xa1\x61t\x9b\x00\xff\xff\xff\xff\xff\xff\xff", 12);
        QByteArray hugeString("\xa1\x61t\x7b\x00\x00\x00\x00\xff\xff\xff\xff", 12);
        for (const QByteArray &payload : { deep, deepArrays, hugeArray, hugeString }) {
            FrameDecoder decoder;
            decoder.feed(rawFrame(payload));
            const auto item = decoder.next();
            QVERIFY(item);
            QVERIFY(!item->errorText.isEmpty() || item->ok());
            decoder.feed(encodeFrame(sample(2)));
            const auto after = decoder.next();
            QVERIFY(after && after->ok());
        }
    }

    void randomInputNeverCrashes()
    {
        // Random bytes in random pieces: every item is either a map or a described error, and
        // the buffer stays bounded by the frame limit.
        QRandomGenerator rng(1234);
        for (int round = 0; round < 200; ++round) {
            FrameDecoder decoder(4096);
            for (int piece = 0; piece < 50 && !decoder.broken(); ++piece) {
                QByteArray bytes(int(rng.bounded(200)), Qt::Uninitialized);
                for (char &c : bytes)
                    c = char(rng.bounded(256));
                // Small lengths now and then so that payloads actually get parsed.
                if (rng.bounded(3) == 0 && bytes.size() >= 4) {
                    bytes[0] = 0;
                    bytes[1] = 0;
                    bytes[2] = 0;
                }
                decoder.feed(bytes);
                while (const auto item = decoder.next())
                    QVERIFY(item->ok() || !item->errorText.isEmpty());
                QVERIFY(decoder.bufferedBytes() <= 4096 + 4 + 200);
            }
        }
    }

    void protocolHelpers()
    {
        QCborMap request = makeMessage(QStringLiteral("join"));
        request.insert(key::id, 77);
        const QCborMap ok = makeReply(request);
        QCOMPARE(messageType(ok), QStringLiteral("join"));
        QCOMPARE(requestId(ok), std::optional<quint64>(77));
        QVERIFY(isOk(ok));
        const QCborMap error = makeError(request, QStringLiteral("no such channel"));
        QVERIFY(!isOk(error));
        QCOMPARE(errorText(error), QStringLiteral("no such channel"));
        QCOMPARE(requestId(error), std::optional<quint64>(77));
        QCOMPARE(messageType(makeError({}, QStringLiteral("bad"))), msg::error);
        QCborMap negative;
        negative.insert(key::id, -1);
        QVERIFY(!requestId(negative));
    }
};

QTEST_GUILESS_MAIN(FrameTest)
#include "FrameTest.moc"
