// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
// Snapshots of a TickEngine: S(n), the script VMs and the queued events in one SQLite file.

#include "sim/TickEngine.h"

#include "sim/Codec.h"
#include "sim/Hash.h"
#include "sim/WorkerPool.h"

#include <QFile>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QVariant>

#include <algorithm>
#include <atomic>

namespace metatopia::sim {

namespace {

constexpr int SnapshotFormat = 1;

QString connectionName()
{
    static std::atomic<int> counter { 0 };
    return QStringLiteral("metatopia-sim-snapshot-%1").arg(counter.fetch_add(1));
}

QByteArray toBlob(const std::string &bytes)
{
    return QByteArray(bytes.data(), qsizetype(bytes.size()));
}

std::string fromBlob(const QVariant &value)
{
    const QByteArray bytes = value.toByteArray();
    return std::string(bytes.constData(), std::size_t(bytes.size()));
}

// Opens (and on scope exit closes and unregisters) a private SQLite connection.
class Connection
{
public:
    explicit Connection(const QString &path)
        : m_name(connectionName())
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), m_name);
        db.setDatabaseName(path);
        m_ok = db.open();
        if (!m_ok)
            m_error = db.lastError().text().toStdString();
    }
    ~Connection()
    {
        {
            QSqlDatabase db = QSqlDatabase::database(m_name, false);
            db.close();
        }
        QSqlDatabase::removeDatabase(m_name);
    }
    Connection(const Connection &) = delete;
    Connection &operator=(const Connection &) = delete;

    bool ok() const { return m_ok; }
    const std::string &error() const { return m_error; }
    QSqlDatabase db() const { return QSqlDatabase::database(m_name, false); }

private:
    QString m_name;
    bool m_ok = false;
    std::string m_error;
};

std::string queryError(const QSqlQuery &query)
{
    return "snapshot: " + query.lastError().text().toStdString();
}

} // namespace

class SnapshotIo
{
public:
    static std::optional<std::string> save(const TickEngine &engine, const QString &path);
    static std::unique_ptr<TickEngine> load(const QString &path, int threads, std::string *error);
};

std::optional<std::string> TickEngine::saveSnapshot(const QString &path) const
{
    return SnapshotIo::save(*this, path);
}

std::unique_ptr<TickEngine> TickEngine::loadSnapshot(
    const QString &path, int threads, std::string *error)
{
    return SnapshotIo::load(path, threads, error);
}

std::optional<std::string> SnapshotIo::save(const TickEngine &engine, const QString &path)
{
    // A snapshot file holds exactly one state: start from an empty file.
    if (QFile::exists(path) && !QFile::remove(path))
        return "snapshot: cannot replace " + path.toStdString();
    Connection connection(path);
    if (!connection.ok())
        return "snapshot: " + connection.error();
    QSqlDatabase db = connection.db();
    QSqlQuery query(db);
    for (const char *sql : { "CREATE TABLE meta (key TEXT PRIMARY KEY, value BLOB NOT NULL)",
             "CREATE TABLE objects (id INTEGER PRIMARY KEY, data BLOB NOT NULL)",
             "CREATE TABLE avatars (id INTEGER PRIMARY KEY, data BLOB NOT NULL)",
             "CREATE TABLE vms (id INTEGER PRIMARY KEY, data BLOB NOT NULL, hash TEXT NOT NULL, "
             "dirty INTEGER NOT NULL)",
             "CREATE TABLE pending (seq INTEGER PRIMARY KEY, data BLOB NOT NULL)" }) {
        if (!query.exec(QString::fromLatin1(sql)))
            return queryError(query);
    }
    if (!db.transaction())
        return "snapshot: cannot start a transaction";

    const WorldState &world = *engine.m_world;
    auto putMeta = [&](const char *key, const QVariant &value) {
        query.prepare(QStringLiteral("INSERT INTO meta (key, value) VALUES (?, ?)"));
        query.addBindValue(QString::fromLatin1(key));
        query.addBindValue(value);
        return query.exec();
    };
    Writer region;
    world.region.encode(region);
    bool ok = putMeta("format", SnapshotFormat) && putMeta("tick", QString::number(world.tick))
        && putMeta("nextObjectId", QString::number(world.nextObjectId))
        && putMeta("hash", QString::number(engine.m_hash))
        && putMeta("region", toBlob(region.bytes()));
    auto putRow = [&](const QString &sql, std::uint64_t key, const std::string &bytes) {
        query.prepare(sql);
        query.addBindValue(static_cast<qint64>(key));
        query.addBindValue(toBlob(bytes));
        return query.exec();
    };
    const QString objectSql = QStringLiteral("INSERT INTO objects (id, data) VALUES (?, ?)");
    world.objects.forEach([&](ObjectId id, const Object &object) {
        Writer out;
        object.encode(out);
        ok = ok && putRow(objectSql, id, out.bytes());
        return ok;
    });
    const QString avatarSql = QStringLiteral("INSERT INTO avatars (id, data) VALUES (?, ?)");
    world.avatars.forEach([&](AvatarId id, const Avatar &avatar) {
        Writer out;
        avatar.encode(out);
        ok = ok && putRow(avatarSql, id, out.bytes());
        return ok;
    });
    // A VM's hash in the state may be older than the VM (staggered hashing): keep it as it is.
    const QString vmSql
        = QStringLiteral("INSERT INTO vms (id, data, hash, dirty) VALUES (?, ?, ?, ?)");
    for (const auto &[id, slot] : engine.m_scripts) {
        if (!ok)
            break;
        const QByteArray bytes = slot.vm->serialize();
        query.prepare(vmSql);
        query.addBindValue(static_cast<qint64>(id));
        query.addBindValue(bytes);
        query.addBindValue(QString::number(slot.hash));
        query.addBindValue(slot.dirty ? 1 : 0);
        ok = query.exec();
    }
    const QString pendingSql = QStringLiteral("INSERT INTO pending (seq, data) VALUES (?, ?)");
    for (std::size_t i = 0; ok && i < engine.m_pending.size(); ++i) {
        Writer out;
        engine.m_pending[i].encode(out);
        ok = putRow(pendingSql, i, out.bytes());
    }
    if (!ok) {
        const std::string error = queryError(query);
        db.rollback();
        return error;
    }
    if (!db.commit())
        return "snapshot: commit failed: " + db.lastError().text().toStdString();
    return std::nullopt;
}

std::unique_ptr<TickEngine> SnapshotIo::load(const QString &path, int threads, std::string *error)
{
    auto failWith = [&](std::string message) -> std::unique_ptr<TickEngine> {
        if (error)
            *error = std::move(message);
        return nullptr;
    };
    if (!QFile::exists(path))
        return failWith("snapshot: no such file: " + path.toStdString());
    Connection connection(path);
    if (!connection.ok())
        return failWith("snapshot: " + connection.error());
    QSqlQuery query(connection.db());
    try {
        std::map<std::string, QVariant> meta;
        if (!query.exec(QStringLiteral("SELECT key, value FROM meta")))
            return failWith(queryError(query));
        while (query.next())
            meta[query.value(0).toString().toStdString()] = query.value(1);
        for (const char *key : { "format", "tick", "nextObjectId", "hash", "region" }) {
            if (!meta.count(key))
                return failWith(std::string("snapshot: missing ") + key);
        }
        if (meta["format"].toInt() != SnapshotFormat)
            return failWith("snapshot: unsupported format");
        bool tickOk = false;
        bool nextOk = false;
        bool hashOk = false;
        const std::uint64_t tick = meta["tick"].toString().toULongLong(&tickOk);
        const std::uint64_t nextObjectId = meta["nextObjectId"].toString().toULongLong(&nextOk);
        const std::uint64_t savedHash = meta["hash"].toString().toULongLong(&hashOk);
        if (!tickOk || !nextOk || !hashOk)
            return failWith("snapshot: malformed header");
        const std::string regionBytes = fromBlob(meta["region"]);
        Reader regionReader(regionBytes);
        EngineConfig config;
        config.region = RegionConfig::decode(regionReader);
        config.threads = threads;
        auto engine = std::make_unique<TickEngine>(config);

        auto world = std::make_shared<WorldState>(*engine->m_world);
        world->tick = tick;
        world->nextObjectId = nextObjectId;
        std::vector<PersistentMap<Object>::Change> objects;
        if (!query.exec(QStringLiteral("SELECT data FROM objects")))
            return failWith(queryError(query));
        while (query.next()) {
            const std::string bytes = fromBlob(query.value(0));
            Reader in(bytes);
            auto object = std::make_shared<const Object>(Object::decode(in));
            world->objectHashSum += object->hash;
            objects.emplace_back(object->id, std::move(object));
        }
        std::vector<PersistentMap<Avatar>::Change> avatars;
        if (!query.exec(QStringLiteral("SELECT data FROM avatars")))
            return failWith(queryError(query));
        while (query.next()) {
            const std::string bytes = fromBlob(query.value(0));
            Reader in(bytes);
            auto avatar = std::make_shared<const Avatar>(Avatar::decode(in));
            world->avatarHashSum += avatar->hash;
            avatars.emplace_back(avatar->id, std::move(avatar));
        }
        // SQLite orders ids as signed integers; the maps want unsigned order.
        auto byKey = [](const auto &a, const auto &b) { return a.first < b.first; };
        std::sort(objects.begin(), objects.end(), byKey);
        std::sort(avatars.begin(), avatars.end(), byKey);
        world->objects = world->objects.withChanges(objects);
        world->avatars = world->avatars.withChanges(avatars);
        engine->m_world = std::move(world);

        const ScriptLimits limits = engine->scriptLimits();
        if (!query.exec(QStringLiteral("SELECT id, data, hash, dirty FROM vms")))
            return failWith(queryError(query));
        while (query.next()) {
            const auto id = static_cast<ObjectId>(query.value(0).toLongLong());
            const Object *object = engine->m_world->objects.find(id);
            if (!object || !object->script)
                return failWith("snapshot: VM of an object without a script");
            std::string vmError;
            auto vm = ScriptVm::deserialize(query.value(1).toByteArray(), limits, &vmError);
            if (!vm)
                return failWith(
                    "snapshot: script of object " + std::to_string(id) + ": " + vmError);
            bool hashOk = false;
            const std::uint64_t hash = query.value(2).toString().toULongLong(&hashOk);
            const bool dirty = query.value(3).toInt() != 0;
            if (!hashOk)
                return failWith("snapshot: malformed VM hash");
            // A clean VM's recorded hash must be its state's hash: checks the VM bytes.
            if (!dirty && hash != 0 && hash != hashCombine(id, vm->stateHash()))
                return failWith("snapshot: script of object " + std::to_string(id)
                    + " does not match its hash");
            TickEngine::ScriptSlot &slot = engine->m_scripts[id];
            slot.hash = hash;
            slot.dirty = dirty;
            slot.memory = vm->memoryUsed();
            slot.vm = std::move(vm);
            engine->m_vmHashSum += slot.hash;
            engine->m_scriptMemory += slot.memory;
            if (dirty)
                engine->markVmDirty(id);
        }
        if (!query.exec(QStringLiteral("SELECT data FROM pending ORDER BY seq")))
            return failWith(queryError(query));
        Writer pendingBytes;
        while (query.next()) {
            const std::string bytes = fromBlob(query.value(0));
            Reader in(bytes);
            engine->m_pending.push_back(Emission::decode(in));
            engine->m_pending.back().encode(pendingBytes);
        }
        engine->m_pendingHash = hashBytes(pendingBytes.bytes(), 0x9e4d);
        engine->rebuildIndices();
        engine->m_hash = engine->computeHash();
        if (engine->m_hash != savedHash)
            return failWith("snapshot: state hash does not match (corrupt or incompatible file)");
        return engine;
    } catch (const CodecError &e) {
        return failWith(std::string("snapshot: corrupt data: ") + e.what());
    }
}

} // namespace metatopia::sim
