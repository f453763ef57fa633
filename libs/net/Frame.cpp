// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "net/Frame.h"

#include <QCborStreamReader>
#include <QCborValue>
#include <QtEndian>

namespace metatopia::net {

QByteArray encodeFrame(const QCborMap &message, qint64 maxFrameSize)
{
    const QByteArray payload = QCborValue(message).toCbor();
    if (payload.size() > maxFrameSize)
        return {};
    QByteArray frame(FrameHeaderSize, Qt::Uninitialized);
    qToBigEndian<quint32>(quint32(payload.size()), frame.data());
    frame += payload;
    return frame;
}

FrameDecoder::FrameDecoder(qint64 maxFrameSize)
    : m_maxFrameSize(maxFrameSize)
{ }

void FrameDecoder::feed(const QByteArray &bytes)
{
    if (m_broken)
        return;
    // Drop consumed bytes before growing, so the buffer stays about one frame long.
    if (m_offset > 0 && m_offset >= m_buffer.size() / 2) {
        m_buffer.remove(0, m_offset);
        m_offset = 0;
    }
    m_buffer += bytes;
}

qint64 FrameDecoder::bytesWanted() const
{
    const qint64 available = bufferedBytes();
    if (available < FrameHeaderSize)
        return FrameHeaderSize - available;
    const qint64 length = qFromBigEndian<quint32>(m_buffer.constData() + m_offset);
    if (length > m_maxFrameSize)
        return 1;
    return std::max<qint64>(1, FrameHeaderSize + length - available);
}

std::optional<FrameDecoder::Item> FrameDecoder::next()
{
    if (m_broken) {
        if (m_reportedBroken)
            return std::nullopt;
        m_reportedBroken = true;
        return Item { {}, Error::Oversized, describe(Error::Oversized) };
    }
    const qint64 available = bufferedBytes();
    if (available < FrameHeaderSize)
        return std::nullopt;
    const qint64 length = qFromBigEndian<quint32>(m_buffer.constData() + m_offset);
    if (length > m_maxFrameSize) {
        m_broken = true;
        m_reportedBroken = true;
        m_buffer.clear();
        m_offset = 0;
        return Item { {}, Error::Oversized,
            describe(Error::Oversized)
                + QStringLiteral(" (%1 bytes, limit %2)").arg(length).arg(m_maxFrameSize) };
    }
    if (available < FrameHeaderSize + length)
        return std::nullopt;

    const QByteArray payload = m_buffer.mid(m_offset + FrameHeaderSize, length);
    m_offset += FrameHeaderSize + length;
    if (m_offset == m_buffer.size()) {
        m_buffer.clear();
        m_offset = 0;
    }

    QCborStreamReader reader(payload);
    const QCborValue value = QCborValue::fromCbor(reader);
    if (reader.lastError() != QCborError::NoError)
        return Item { {}, Error::NotCbor,
            describe(Error::NotCbor) + QStringLiteral(" (") + reader.lastError().toString()
                + QLatin1Char(')') };
    if (!value.isMap())
        return Item { {}, Error::NotAMap, describe(Error::NotAMap) };
    if (reader.currentOffset() != payload.size())
        return Item { {}, Error::TrailingGarbage, describe(Error::TrailingGarbage) };
    return Item { value.toMap(), Error::None, {} };
}

QString FrameDecoder::describe(Error error)
{
    switch (error) {
    case Error::None:
        return {};
    case Error::Oversized:
        return QStringLiteral("frame exceeds the maximum frame size");
    case Error::NotCbor:
        return QStringLiteral("frame is not valid CBOR");
    case Error::NotAMap:
        return QStringLiteral("frame is not a CBOR map");
    case Error::TrailingGarbage:
        return QStringLiteral("frame has trailing bytes after its CBOR map");
    }
    return {};
}

} // namespace metatopia::net
