// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

// Framing: u32 big-endian payload length, then the payload, one CBOR map. The decoder is fed
// whatever the socket delivers and yields whole messages, so it never trusts a length before it
// has checked it against the maximum frame size.

#include <QByteArray>
#include <QCborMap>
#include <QString>

#include <optional>

namespace metatopia::net {

inline constexpr qint64 DefaultMaxFrameSize = 1 << 20;
inline constexpr int FrameHeaderSize = 4;

// Frame of message; empty if the encoded map exceeds maxFrameSize.
QByteArray encodeFrame(const QCborMap &message, qint64 maxFrameSize = DefaultMaxFrameSize);

class FrameDecoder
{
public:
    enum class Error
    {
        None,
        Oversized, // declared length above the maximum: fatal, the stream cannot be trusted
        NotCbor, // payload is not well-formed CBOR
        NotAMap, // well-formed CBOR but not a map
        TrailingGarbage, // a map followed by more bytes inside the same frame
    };

    struct Item
    {
        QCborMap message; // valid when error == None
        Error error = Error::None;
        QString errorText;
        bool ok() const { return error == Error::None; }
    };

    explicit FrameDecoder(qint64 maxFrameSize = DefaultMaxFrameSize);

    void feed(const QByteArray &bytes);
    // The next complete frame, or nothing while more bytes are needed. Frame-level errors other
    // than Oversized skip the bad frame, so decoding continues with the next one. After Oversized
    // the decoder is broken(): it returns that error once and then nothing.
    std::optional<Item> next();

    bool broken() const { return m_broken; }
    // Bytes fed but not yet consumed (lets a reader stop pulling from a socket).
    qint64 bufferedBytes() const { return m_buffer.size() - m_offset; }
    // How many more bytes the current frame needs (at least 1), for bounded socket reads.
    qint64 bytesWanted() const;
    qint64 maxFrameSize() const { return m_maxFrameSize; }

    static QString describe(Error error);

private:
    QByteArray m_buffer;
    qint64 m_offset = 0;
    qint64 m_maxFrameSize;
    bool m_broken = false;
    bool m_reportedBroken = false;
};

} // namespace metatopia::net
