-- SPDX-FileCopyrightText: 2026 The Metatopia developers
-- SPDX-License-Identifier: AGPL-3.0-or-later
-- Answers "hello" on public chat (channel 0) within 20 m.
listen(0)

function on_listen(channel, from, name, text)
  if text:lower():find("hello") then
    say(0, "Hello, " .. name .. "!")
  end
end
