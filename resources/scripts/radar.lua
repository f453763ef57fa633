-- SPDX-FileCopyrightText: 2026 The Metatopia developers
-- SPDX-License-Identifier: AGPL-3.0-or-later
-- Lists the avatars within 30 m every 2 seconds in its floating text.
set_timer(2)

function on_timer()
  local names = {}
  for _, hit in ipairs(sensor(30)) do
    if hit.kind == "avatar" then names[#names + 1] = hit.name end
  end
  set_text(#names == 0 and "nobody near" or table.concat(names, "\n"))
end
