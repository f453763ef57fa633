-- SPDX-FileCopyrightText: 2026 The Metatopia developers
-- SPDX-License-Identifier: AGPL-3.0-or-later
-- Passes a counter to the next object in a ring (set "next" with kv_set from another script or
-- at creation), lighting up while it holds the token.
local next_id = kv_get("next")

function on_touch()
  if next_id then message(next_id, {hops = 1, from = id()}) end
end

function on_message(from, value)
  set_text("token, hop " .. value.hops)
  set_colour(0, 255, 0)
  if next_id and value.hops < 100 then
    message(next_id, {hops = value.hops + 1, from = id()})
  end
end
