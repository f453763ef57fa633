-- SPDX-FileCopyrightText: 2026 The Metatopia developers
-- SPDX-License-Identifier: AGPL-3.0-or-later
-- Counts touches per avatar in the object's key-value storage, which survives script edits'
-- restarts and snapshots.
function on_touch(avatar, name)
  local key = "touches:" .. name
  local count = (kv_get(key) or 0) + 1
  kv_set(key, count)
  set_text(name .. " touched me " .. count .. " times")
end
