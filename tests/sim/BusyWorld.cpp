// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "BusyWorld.h"

#include "sim/Codec.h"

#include <QFile>

#include <random>

namespace metatopia::sim::test {

std::string busyObjectScript()
{
    return R"lua(
local ticks = 0
local heard = 0
local children = {}
local me = id()
listen(7)
set_timer(0.1 + (me % 7) / 20)

function on_timer()
  ticks = ticks + 1
  local p = get_position()
  p.x = p.x + 0.25
  if p.x > 250 then p.x = 6 end
  set_position(p)
  if ticks % 3 == 0 then say(7, "tick " .. ticks .. " from " .. me) end
  if ticks % 4 == 0 then set_text("heard " .. heard) end
  if ticks % 9 == 0 then
    rez({name = "spark", position = p, script = "local n = 0 set_timer(0.25) function on_timer() n = n + 1 set_text('spark ' .. n) end"})
  end
end

function on_listen(channel, from, name, text)
  heard = heard + 1
  if heard % 5 == 0 then kv_set("last", text) end
end

function on_object_rez(child)
  children[#children + 1] = child
  if #children > 2 then derez(table.remove(children, 1)) end
end

function on_touch(avatar, name)
  set_colour(me % 256, avatar % 256, 128)
  message(avatar % 50 + 1, {from = me, what = "touched"})
end

function on_message(from, value)
  if type(value) == "table" and value.what then kv_set("msg", value.what .. " " .. from) end
end
)lua";
}

std::vector<TickBatch> generateBusyWorld(const BusyWorldOptions &options)
{
    std::mt19937_64 rng(options.seed);
    std::vector<TickBatch> batches;
    std::uint64_t nextId = 1;
    auto coordinate
        = [&] { return Fixed::fromRaw(std::int64_t(rng() % (240ull << 32)) + (8ll << 32)); };
    for (std::uint64_t tick = 1; tick <= options.ticks; ++tick) {
        TickBatch batch;
        batch.tick = tick;
        batch.seed = rng();
        auto add = [&](InputAction action) {
            batch.inputs.push_back(Input { nextId++, std::move(action) });
        };
        if (tick == 1) {
            for (int i = 0; i < options.objects; ++i) {
                CreateObject c;
                c.owner = 1000 + std::uint64_t(i % 10);
                c.name = "busy " + std::to_string(i);
                c.position.x = coordinate();
                c.position.y = coordinate();
                c.position.z = Fixed::fromInt(20);
                c.rotation = FQuat::identity();
                c.scale = FVec3 { Fixed::one(), Fixed::one(), Fixed::one() };
                c.script = busyObjectScript();
                add(std::move(c));
            }
            for (int a = 0; a < options.avatars; ++a) {
                AvatarEnter e;
                e.avatar = 1'000'000 + std::uint64_t(a);
                e.account = 500 + std::uint64_t(a);
                e.name = "avatar " + std::to_string(a);
                e.position.x = coordinate();
                e.position.y = coordinate();
                e.position.z = Fixed::fromInt(20);
                add(std::move(e));
            }
        } else if (options.avatars > 0) {
            for (int k = 0; k < 3; ++k) {
                const AvatarId avatar = 1'000'000 + rng() % std::uint64_t(options.avatars);
                switch (rng() % 3) {
                case 0: {
                    AvatarMove m;
                    m.avatar = avatar;
                    m.position.x = coordinate();
                    m.position.y = coordinate();
                    m.position.z = Fixed::fromInt(20);
                    m.rotation = FQuat::identity();
                    m.animation = "walk";
                    add(std::move(m));
                    break;
                }
                case 1:
                    add(AvatarChat {
                        avatar, 7, ChatRange::Shout, "hello " + std::to_string(tick) });
                    break;
                default:
                    add(Touch { avatar, 1 + rng() % std::uint64_t(options.objects) });
                    break;
                }
            }
        }
        batches.push_back(std::move(batch));
    }
    return batches;
}

bool writeInputLog(const QString &path, const std::vector<TickBatch> &batches)
{
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate))
        return false;
    for (const TickBatch &batch : batches) {
        Writer frame;
        const std::string bytes = batch.encode();
        frame.str(bytes);
        if (file.write(frame.bytes().data(), qint64(frame.bytes().size()))
            != qint64(frame.bytes().size()))
            return false;
    }
    return true;
}

std::optional<std::vector<TickBatch>> readInputLog(const QString &path, std::string *error)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        *error = "cannot open " + path.toStdString();
        return std::nullopt;
    }
    const QByteArray all = file.readAll();
    Reader in(std::string_view(all.constData(), std::size_t(all.size())));
    std::vector<TickBatch> batches;
    try {
        while (!in.atEnd())
            batches.push_back(TickBatch::decode(in.str()));
    } catch (const CodecError &e) {
        *error = std::string("corrupt input log: ") + e.what();
        return std::nullopt;
    }
    return batches;
}

} // namespace metatopia::sim::test
