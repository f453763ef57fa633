// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "script/ScriptVm.h"

#include "script/ScriptVmImpl.h"

namespace metatopia {

QByteArray ScriptVm::serialize() const
{
    return {};
}

std::unique_ptr<ScriptVm> ScriptVm::deserialize(const QByteArray &, ScriptLimits, std::string *error)
{
    if (error)
        *error = "not implemented yet";
    return nullptr;
}

} // namespace metatopia
