-- SPDX-FileCopyrightText: 2026 The Metatopia developers
-- SPDX-License-Identifier: AGPL-3.0-or-later
-- Shows the region's time (from the tick count: scripts have no wall clock) once a second,
-- and spins slowly.
set_timer(1)
local angle = 0

function on_timer()
  local seconds = tick() // tick_rate()
  set_text(string.format("%02d:%02d", seconds // 60 % 60, seconds % 60))
  angle = angle + math.pi / 30
  set_rotation({x = 0, y = 0, z = math.sin(angle / 2), w = math.cos(angle / 2)})
end
