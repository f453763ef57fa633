// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

// Readable core values in qDebug() and in Qt Test failure messages (QCOMPARE finds toString by
// argument-dependent lookup). Kept out of Fixed.h so that Lua's C++ build does not pull in Qt.

#include "core/FQuat.h"
#include "core/FVec3.h"
#include "core/Fixed.h"
#include "core/Id.h"

#include <QByteArray>
#include <QDebug>

namespace metatopia {

inline QDebug operator<<(QDebug d, Fixed f)
{
    QDebugStateSaver saver(d);
    d.nospace() << f.toString().c_str();
    return d;
}

inline QDebug operator<<(QDebug d, FVec3 v)
{
    QDebugStateSaver saver(d);
    d.nospace() << "FVec3(" << v.x << ", " << v.y << ", " << v.z << ')';
    return d;
}

inline QDebug operator<<(QDebug d, FQuat q)
{
    QDebugStateSaver saver(d);
    d.nospace() << "FQuat(" << q.w << ", " << q.x << ", " << q.y << ", " << q.z << ')';
    return d;
}

template<typename Tag>
QDebug operator<<(QDebug d, Id<Tag> id)
{
    QDebugStateSaver saver(d);
    d.nospace() << "Id<" << Tag::Domain << ">(" << id.value() << ')';
    return d;
}

// For QCOMPARE: the caller of QTest's toString frees with delete[].
inline char *toString(Fixed f)
{
    return qstrdup(f.toString().c_str());
}

inline char *toString(FVec3 v)
{
    const std::string s = "(" + v.x.toString() + ", " + v.y.toString() + ", " + v.z.toString() + ")";
    return qstrdup(s.c_str());
}

inline char *toString(FQuat q)
{
    const std::string s = "(" + q.w.toString() + ", " + q.x.toString() + ", " + q.y.toString()
        + ", " + q.z.toString() + ")";
    return qstrdup(s.c_str());
}

template<typename Tag>
char *toString(Id<Tag> id)
{
    return qstrdup(QByteArray::number(quint64(id.value())).constData());
}

} // namespace metatopia
