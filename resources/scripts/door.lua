-- SPDX-FileCopyrightText: 2026 The Metatopia developers
-- SPDX-License-Identifier: AGPL-3.0-or-later
-- A door that opens (rises 3 m) when touched and closes on the next touch.
local open = false
local closed_at = get_position()

function on_touch(avatar, name)
  open = not open
  local p = get_position()
  p.z = closed_at.z + (open and 3 or 0)
  set_position(p)
  set_text(open and ("opened by " .. name) or "")
end
