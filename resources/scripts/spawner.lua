-- SPDX-FileCopyrightText: 2026 The Metatopia developers
-- SPDX-License-Identifier: AGPL-3.0-or-later
-- Rezzes a short-lived spark every 2 seconds and keeps at most three: the oldest is derezzed.
local sparks = {}
local spark_script = [[
set_timer(0.5)
local n = 0
function on_timer()
  n = n + 1
  set_colour(255, 200 - n * 20, 0)
end
]]

set_timer(2)

function on_timer()
  local p = get_position()
  p.x = p.x + math.random(-3, 3)
  p.y = p.y + math.random(-3, 3)
  rez({name = "spark", position = p, script = spark_script})
end

function on_object_rez(child)
  sparks[#sparks + 1] = child
  if #sparks > 3 then
    derez(table.remove(sparks, 1))
  end
end
