// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "cluster/RaftNode.h"

#include <QDir>
#include <QMetaObject>
#include <QtEndian>

#include <uv.h>
// raft.h has a struct member named "emit", which Qt defines as a macro: use Q_EMIT below.
// libraft's headers carry no extern "C" of their own.
#undef emit
extern "C" {
#include <raft.h>
#include <raft/uv.h>
}

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstring>
#include <deque>
#include <future>
#include <map>
#include <mutex>
#include <thread>

namespace metatopia::cluster {

const char *raftRoleName(RaftRole role)
{
    switch (role) {
    case RaftRole::Unavailable:
        return "unavailable";
    case RaftRole::Follower:
        return "follower";
    case RaftRole::Candidate:
        return "candidate";
    case RaftRole::Leader:
        return "leader";
    }
    return "unknown";
}

namespace {

RaftRole roleFromRaft(int state)
{
    switch (state) {
    case RAFT_FOLLOWER:
        return RaftRole::Follower;
    case RAFT_CANDIDATE:
        return RaftRole::Candidate;
    case RAFT_LEADER:
        return RaftRole::Leader;
    default:
        return RaftRole::Unavailable;
    }
}

QString raftError(int code)
{
    return QString::fromUtf8(raft_strerror(code));
}

// libraft 0.15's uv transport and segment files lay out the entries of one message back to back
// but read them at 8-byte aligned offsets: an entry whose length is not a multiple of 8 shifts
// every later entry of the same AppendEntries (seen on catch-up, where one message carries many
// entries). So each entry is framed as u64 little-endian length, the batch, zero padding to 8.
size_t entrySize(qsizetype batchSize)
{
    return 8 + ((size_t(batchSize) + 7) & ~size_t(7));
}

void encodeEntry(const QByteArray &batch, char *out, size_t size)
{
    qToLittleEndian<quint64>(quint64(batch.size()), out);
    std::memcpy(out + 8, batch.constData(), size_t(batch.size()));
    std::memset(out + 8 + batch.size(), 0, size - 8 - size_t(batch.size()));
}

// Entries are identical on every replica, so a malformed one decodes identically everywhere.
QByteArray decodeEntry(const char *data, size_t size)
{
    if (size < 8)
        return {};
    const quint64 length = qFromLittleEndian<quint64>(data);
    if (length > size - 8)
        return {};
    return QByteArray(data + 8, qsizetype(length));
}

// A request made after stop() still gets its answer, later on the caller's thread like any other.
template<typename Result, typename Callback> void reportShutdown(QObject *context, Callback done)
{
    Result result;
    result.errorCode = RAFT_SHUTDOWN;
    result.error = raftError(RAFT_SHUTDOWN);
    QMetaObject::invokeMethod(
        context,
        [done = std::move(done), result] {
            if (done)
                done(result);
        },
        Qt::QueuedConnection);
}

} // namespace

// Everything libraft and libuv touch lives here and is used on the raft thread only, except the
// queue and the status copy, which have their own mutexes.
class RaftNode::Engine
{
public:
    // A command queued from the Qt side. live is false when the loop is gone and the command can
    // only report failure (its callback must still fire).
    using Command = std::function<void(bool live)>;

    Engine(RaftNode &node, ReplicatedStateMachine &stateMachine, RaftConfig config)
        : m_node(node)
        , m_stateMachine(stateMachine)
        , m_config(std::move(config))
    {
        m_status.id = m_config.id;
    }

    ~Engine() { stop(); }

    bool start(QString *error)
    {
        std::promise<QString> ready;
        auto result = ready.get_future();
        m_thread = std::thread([this, &ready] { run(ready); });
        const QString failure = result.get();
        if (!failure.isEmpty()) {
            m_thread.join();
            if (error)
                *error = failure;
            return false;
        }
        return true;
    }

    void stop()
    {
        if (!m_thread.joinable())
            return;
        post([this](bool live) {
            if (live)
                beginClose();
        });
        m_thread.join();
    }

    bool running() const
    {
        std::lock_guard lock(m_queueMutex);
        return m_accepting;
    }

    void post(Command command)
    {
        {
            std::lock_guard lock(m_queueMutex);
            if (m_accepting) {
                m_queue.push_back(std::move(command));
                uv_async_send(&m_wake);
                return;
            }
        }
        command(false);
    }

    bool callSync(const std::function<void()> &fn)
    {
        std::promise<bool> done;
        auto result = done.get_future();
        post([&fn, &done](bool live) {
            if (live)
                fn();
            done.set_value(live);
        });
        return result.get();
    }

    RaftStatus status() const
    {
        std::lock_guard lock(m_statusMutex);
        return m_status;
    }

    // ---- called from the Qt side through post() ----

    void propose(const QByteArray &batch, ProposeCallback done)
    {
        post([this, batch, done = std::move(done), proposedNs = clockNs()](bool live) mutable {
            if (!live || m_closing) {
                ProposeResult result;
                result.errorCode = RAFT_SHUTDOWN;
                result.error = raftError(RAFT_SHUTDOWN);
                toQt([done, result] {
                    if (done)
                        done(result);
                });
                return;
            }
            submitApply(batch, std::move(done), proposedNs);
        });
    }

    void change(bool add, quint64 id, const QString &address, ChangeCallback done)
    {
        post([this, add, id, address, done = std::move(done)](bool live) mutable {
            auto request = std::make_unique<ChangeRequest>();
            request->engine = this;
            request->id = id;
            request->address = address.toUtf8();
            request->stage = add ? ChangeRequest::Add : ChangeRequest::Remove;
            request->done = std::move(done);
            if (!live || m_closing) {
                finishChange(*request, RAFT_SHUTDOWN);
                return;
            }
            request->req.data = request.get();
            int rv = 0;
            if (add)
                rv = raft_add(
                    &m_raft, &request->req, id, request->address.constData(), &Engine::changeCb);
            else
                rv = raft_remove(&m_raft, &request->req, id, &Engine::changeCb);
            if (rv != 0) {
                finishChange(*request, rv);
                return;
            }
            ChangeRequest *raw = request.get();
            m_changes.emplace(raw, std::move(request));
        });
    }

    void transfer(quint64 id)
    {
        post([this, id](bool live) {
            if (!live || m_closing || m_transfer)
                return;
            m_transfer = std::make_unique<struct raft_transfer>();
            std::memset(m_transfer.get(), 0, sizeof(struct raft_transfer));
            m_transfer->data = this;
            if (raft_transfer(&m_raft, m_transfer.get(), id, &Engine::transferCb) != 0)
                m_transfer.reset();
        });
    }

private:
    struct ApplyRequest
    {
        struct raft_apply req = {};
        Engine *engine = nullptr;
        ProposeCallback done;
    };

    struct ChangeRequest
    {
        enum Stage
        {
            Add,
            Promote,
            Remove
        };
        raft_change req {};
        Engine *engine = nullptr;
        quint64 id = 0;
        QByteArray address;
        Stage stage = Add;
        ChangeCallback done;
    };

    template<typename F> void toQt(F &&fn)
    {
        QMetaObject::invokeMethod(&m_node, std::forward<F>(fn), Qt::QueuedConnection);
    }

    void run(std::promise<QString> &ready)
    {
        // libuv writes to peers with plain write(): a peer that went away would raise SIGPIPE and
        // kill the process. Blocking it on this thread only turns that into EPIPE, which raft
        // handles, without changing the signal disposition of the whole application.
        sigset_t pipe;
        sigemptyset(&pipe);
        sigaddset(&pipe, SIGPIPE);
        pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
        t_engine = this;

        const QString failure = open();
        if (!failure.isEmpty()) {
            ready.set_value(failure);
            return;
        }
        {
            std::lock_guard lock(m_queueMutex);
            m_accepting = true;
        }
        publishStatus();
        ready.set_value(QString());

        uv_run(&m_loop, UV_RUN_DEFAULT);

        std::deque<Command> leftover;
        {
            std::lock_guard lock(m_queueMutex);
            m_accepting = false;
            leftover.swap(m_queue);
        }
        for (auto &command : leftover)
            command(false);
        // Requests raft never completed (it dropped them while closing): nobody will call back.
        for (auto &[raw, request] : m_applies) {
            ProposeResult result;
            result.errorCode = RAFT_SHUTDOWN;
            result.error = raftError(RAFT_SHUTDOWN);
            toQt([done = request->done, result] {
                if (done)
                    done(result);
            });
        }
        m_applies.clear();
        for (auto &[raw, request] : m_changes)
            finishChange(*request, RAFT_SHUTDOWN);
        m_changes.clear();
        m_transfer.reset();
        closeLoop();
        std::lock_guard lock(m_statusMutex);
        m_status.role = RaftRole::Unavailable;
    }

    // Returns an error message, or an empty string once raft is started and the handles are live.
    QString open()
    {
        if (!QDir().mkpath(m_config.dataDir))
            return QStringLiteral("cannot create data dir %1").arg(m_config.dataDir);
        const QByteArray dir = QDir(m_config.dataDir).absolutePath().toUtf8();
        const QByteArray address = m_config.address.toUtf8();

        int rv = uv_loop_init(&m_loop);
        if (rv != 0)
            return QStringLiteral("uv_loop_init: %1").arg(QString::fromUtf8(uv_strerror(rv)));
        m_loopOpen = true;

        rv = raft_uv_tcp_init(&m_transport, &m_loop);
        if (rv != 0)
            return failOpen(QStringLiteral("raft_uv_tcp_init: %1").arg(raftError(rv)));
        m_transportOpen = true;
        m_tcpListen = m_transport.listen;
        m_tcpConnect = m_transport.connect;
        m_transport.listen = &Engine::transportListen;
        m_transport.connect = &Engine::transportConnect;
        rv = raft_uv_init(&m_io, &m_loop, dir.constData(), &m_transport);
        if (rv != 0)
            return failOpen(QStringLiteral("raft_uv_init: %1").arg(QString::fromUtf8(m_io.errmsg)));
        m_ioOpen = true;
        raft_uv_set_connect_retry_delay(&m_io, m_config.connectRetryMs);

        m_fsm.version = 2;
        m_fsm.data = this;
        m_fsm.apply = &Engine::fsmApply;
        m_fsm.snapshot = &Engine::fsmSnapshot;
        m_fsm.restore = &Engine::fsmRestore;
        m_fsm.snapshot_finalize = nullptr;
        m_fsm.snapshot_async = nullptr;

        rv = raft_init(&m_raft, &m_io, &m_fsm, m_config.id, address.constData());
        if (rv != 0)
            return failOpen(
                QStringLiteral("raft_init: %1").arg(QString::fromUtf8(raft_errmsg(&m_raft))));
        m_raftOpen = true;
        m_raft.data = this;
        raft_set_election_timeout(&m_raft, m_config.electionTimeoutMs);
        raft_set_heartbeat_timeout(&m_raft, m_config.heartbeatTimeoutMs);
        raft_set_snapshot_threshold(&m_raft, m_config.snapshotThreshold);
        raft_set_snapshot_trailing(&m_raft, m_config.snapshotTrailing);
        raft_set_pre_vote(&m_raft, m_config.preVote);
        // A joining replica restores the whole world from the snapshot inside one promotion
        // round; for 10,000 scripted objects that takes seconds, and libraft's default 5 s round
        // would abort the promotion and leave the node a spare that is never replicated to.
        raft_set_max_catch_up_round_duration(&m_raft, 120000);
        raft_set_install_snapshot_timeout(&m_raft, 120000);

        if (!m_config.bootstrap.isEmpty()) {
            raft_configuration configuration;
            raft_configuration_init(&configuration);
            for (const RaftPeer &peer : m_config.bootstrap) {
                rv = raft_configuration_add(
                    &configuration, peer.id, peer.address.toUtf8().constData(), RAFT_VOTER);
                if (rv != 0)
                    break;
            }
            if (rv == 0)
                rv = raft_bootstrap(&m_raft, &configuration);
            raft_configuration_close(&configuration);
            // CANTBOOTSTRAP means the data dir already holds a cluster: a restart.
            if (rv != 0 && rv != RAFT_CANTBOOTSTRAP)
                return failOpen(QStringLiteral("raft_bootstrap: %1").arg(raftError(rv)));
        }

        rv = raft_start(&m_raft);
        if (rv != 0)
            return failOpen(
                QStringLiteral("raft_start: %1").arg(QString::fromUtf8(raft_errmsg(&m_raft))));

        uv_async_init(&m_loop, &m_wake, &Engine::wakeCb);
        m_wake.data = this;
        uv_check_init(&m_loop, &m_check);
        m_check.data = this;
        uv_check_start(&m_check, &Engine::checkCb);
        m_handlesOpen = true;
        return {};
    }

    QString failOpen(const QString &message)
    {
        if (m_raftOpen) {
            raft_close(&m_raft, &Engine::closeCb);
            uv_run(&m_loop, UV_RUN_DEFAULT);
        } else {
            if (m_ioOpen)
                raft_uv_close(&m_io);
            if (m_transportOpen)
                raft_uv_tcp_close(&m_transport);
            uv_run(&m_loop, UV_RUN_DEFAULT);
        }
        closeLoop();
        return message;
    }

    void closeLoop()
    {
        if (!m_loopOpen)
            return;
        if (uv_loop_close(&m_loop) == UV_EBUSY) {
            // A handle raft did not close: close it and drain, rather than leak the loop.
            uv_walk(
                &m_loop,
                [](uv_handle_t *handle, void *) {
                    if (!uv_is_closing(handle))
                        uv_close(handle, nullptr);
                },
                nullptr);
            uv_run(&m_loop, UV_RUN_DEFAULT);
            uv_loop_close(&m_loop);
        }
        m_loopOpen = false;
    }

    void beginClose()
    {
        if (m_closing)
            return;
        m_closing = true;
        raft_close(&m_raft, &Engine::closeCb);
    }

    static void closeCb(raft *r)
    {
        auto *self = static_cast<Engine *>(r->data);
        raft_uv_close(&self->m_io);
        raft_uv_tcp_close(&self->m_transport);
        if (self->m_handlesOpen) {
            uv_close(reinterpret_cast<uv_handle_t *>(&self->m_wake), nullptr);
            uv_close(reinterpret_cast<uv_handle_t *>(&self->m_check), nullptr);
            self->m_handlesOpen = false;
        }
    }

    static void wakeCb(uv_async_t *handle)
    {
        auto *self = static_cast<Engine *>(handle->data);
        std::deque<Command> commands;
        {
            std::lock_guard lock(self->m_queueMutex);
            commands.swap(self->m_queue);
        }
        for (auto &command : commands)
            command(true);
    }

    // libraft's TCP transport leaves Nagle's algorithm on. Its connections each carry messages
    // one way (a node sends on the connections it opened and receives on those it accepted), so
    // the receiver only acknowledges on its delayed-ACK timer or once it reads; a small message
    // written while the previous one is unacknowledged waits for that, adding up to tens of
    // milliseconds to an AppendEntries or its result. Every stream gets TCP_NODELAY.
    static void noDelay(uv_stream_t *stream)
    {
        if (stream && stream->type == UV_TCP)
            uv_tcp_nodelay(reinterpret_cast<uv_tcp_t *>(stream), 1);
    }

    // The engine whose raft thread this is: libraft's transport callbacks carry no user pointer
    // of ours, and they run on that thread.
    static inline thread_local Engine *t_engine = nullptr;

    static int transportListen(raft_uv_transport *t, raft_uv_accept_cb cb)
    {
        t_engine->m_accept = cb;
        return t_engine->m_tcpListen(t, &Engine::transportAccepted);
    }

    static void transportAccepted(
        raft_uv_transport *t, raft_id id, const char *address, uv_stream_t *stream)
    {
        noDelay(stream);
        t_engine->m_accept(t, id, address, stream);
    }

    static int transportConnect(raft_uv_transport *t, raft_uv_connect *req, raft_id id,
        const char *address, raft_uv_connect_cb cb)
    {
        Engine *self = t_engine;
        self->m_connects[req] = cb;
        const int rv = self->m_tcpConnect(t, req, id, address, &Engine::transportConnected);
        if (rv != 0)
            self->m_connects.erase(req);
        return rv;
    }

    static void transportConnected(raft_uv_connect *req, uv_stream_t *stream, int status)
    {
        const auto it = t_engine->m_connects.find(req);
        Q_ASSERT(it != t_engine->m_connects.end());
        if (it == t_engine->m_connects.end())
            return;
        const raft_uv_connect_cb cb = it->second;
        t_engine->m_connects.erase(it);
        if (status == 0)
            noDelay(stream);
        cb(req, stream, status);
    }

    static void checkCb(uv_check_t *handle)
    {
        static_cast<Engine *>(handle->data)->publishStatus();
    }

    void submitApply(const QByteArray &batch, ProposeCallback done, qint64 proposedNs)
    {
        auto request = std::make_unique<ApplyRequest>();
        request->engine = this;
        request->done = std::move(done);
        request->req.data = request.get();
        raft_buffer buffer;
        buffer.len = entrySize(batch.size());
        // raft takes ownership of raft_malloc'd memory on success.
        buffer.base = raft_malloc(buffer.len);
        if (!buffer.base) {
            failApply(*request, RAFT_NOMEM);
            return;
        }
        encodeEntry(batch, static_cast<char *>(buffer.base), buffer.len);
        const int rv = raft_apply(&m_raft, &request->req, &buffer, 1, &Engine::applyCb);
        if (rv != 0) {
            raft_free(buffer.base);
            failApply(*request, rv);
            return;
        }
        ApplyRequest *raw = request.get();
        m_applies.emplace(raw, std::move(request));
        // raft_apply set the entry's index: remembered for the commit timing of that entry.
        m_submitted[raw->req.index] = Submitted { proposedNs, clockNs() };
    }

    void failApply(const ApplyRequest &request, int code)
    {
        ProposeResult result;
        result.errorCode = code;
        result.notLeader = code == RAFT_NOTLEADER;
        result.error = raftError(code);
        raft_id leaderId = 0;
        const char *leaderAddress = nullptr;
        if (!m_closing)
            raft_leader(&m_raft, &leaderId, &leaderAddress);
        result.leaderId = leaderId;
        result.leaderAddress = leaderAddress ? QString::fromUtf8(leaderAddress) : QString();
        toQt([done = request.done, result] {
            if (done)
                done(result);
        });
    }

    static void applyCb(struct raft_apply *req, int status, void *)
    {
        auto *request = static_cast<ApplyRequest *>(req->data);
        Engine *self = request->engine;
        if (status == 0) {
            ProposeResult result;
            result.ok = true;
            result.index = req->index;
            self->toQt([done = request->done, result] {
                if (done)
                    done(result);
            });
        } else {
            self->failApply(*request, status);
        }
        self->m_applies.erase(request);
    }

    static void changeCb(raft_change *req, int status)
    {
        auto *request = static_cast<ChangeRequest *>(req->data);
        Engine *self = request->engine;
        if (status == 0 && request->stage == ChangeRequest::Add && !self->m_closing) {
            // Second step: raft catches the spare up, then makes it a voter.
            request->stage = ChangeRequest::Promote;
            const int rv = raft_assign(
                &self->m_raft, &request->req, request->id, RAFT_VOTER, &Engine::changeCb);
            if (rv == 0)
                return;
            status = rv;
        }
        self->finishChange(*request, status);
        self->m_changes.erase(request);
    }

    void finishChange(const ChangeRequest &request, int code)
    {
        ChangeResult result;
        result.ok = code == 0;
        result.errorCode = code;
        if (code != 0) {
            const char *message = (!m_closing && m_raftOpen) ? raft_errmsg(&m_raft) : nullptr;
            result.error = raftError(code);
            if (message && *message)
                result.error += QStringLiteral(": ") + QString::fromUtf8(message);
        }
        toQt([done = request.done, result] {
            if (done)
                done(result);
        });
    }

    static void transferCb(struct raft_transfer *req)
    {
        static_cast<Engine *>(req->data)->m_transfer.reset();
    }

    static int fsmApply(raft_fsm *fsm, const raft_buffer *buf, void **result)
    {
        auto *self = static_cast<Engine *>(fsm->data);
        // A snapshot restored before this entry is announced first, so the Qt side sees
        // restored(n) before committed(n + k). last_applied is the snapshot's index here.
        self->announceRestore(self->m_raft.last_applied);
        // libraft applies entries in order and bumps last_applied after each one.
        const quint64 index = self->m_raft.last_applied + 1;
        CommitTiming timing;
        timing.applyStartNs = clockNs();
        // Entries proposed here that never reached the state machine (lost leadership, truncated
        // log) are dropped with the first later index.
        auto submitted = self->m_submitted.begin();
        while (submitted != self->m_submitted.end() && submitted->first <= index) {
            if (submitted->first == index) {
                timing.proposedNs = submitted->second.proposedNs;
                timing.submittedNs = submitted->second.submittedNs;
            }
            submitted = self->m_submitted.erase(submitted);
        }
        const QByteArray batch = decodeEntry(static_cast<const char *>(buf->base), buf->len);
        self->m_stateMachine.apply(index, batch);
        timing.appliedNs = clockNs();
        *result = nullptr;
        RaftNode *node = &self->m_node;
        self->toQt([node, index, batch, timing] {
            node->m_delivery = timing;
            Q_EMIT node->committed(index, batch);
            node->m_delivery = CommitTiming {};
        });
        return 0;
    }

    static int fsmSnapshot(raft_fsm *fsm, raft_buffer *bufs[], unsigned *nBufs)
    {
        auto *self = static_cast<Engine *>(fsm->data);
        const QByteArray data = self->m_stateMachine.snapshot();
        // raft frees both the array and the data with raft_free once the snapshot is stored.
        auto *array = static_cast<raft_buffer *>(raft_malloc(sizeof(raft_buffer)));
        if (!array)
            return RAFT_NOMEM;
        array[0].len = size_t(data.size());
        array[0].base = raft_malloc(data.size() > 0 ? size_t(data.size()) : 1);
        if (!array[0].base) {
            raft_free(array);
            return RAFT_NOMEM;
        }
        if (!data.isEmpty())
            std::memcpy(array[0].base, data.constData(), size_t(data.size()));
        *bufs = array;
        *nBufs = 1;
        return 0;
    }

    static int fsmRestore(raft_fsm *fsm, raft_buffer *buf)
    {
        auto *self = static_cast<Engine *>(fsm->data);
        const QByteArray data(static_cast<const char *>(buf->base), qsizetype(buf->len));
        if (!self->m_stateMachine.restore(data))
            return RAFT_MALFORMED;
        // On success the FSM owns the buffer.
        raft_free(buf->base);
        // raft sets last_applied to the snapshot's index right after restore returns: announce
        // it from there (next apply or next loop iteration, whichever comes first).
        self->m_pendingRestore = true;
        return 0;
    }

    void announceRestore(quint64 index)
    {
        if (!m_pendingRestore)
            return;
        m_pendingRestore = false;
        ++m_restores;
        RaftNode *node = &m_node;
        toQt([node, index] { Q_EMIT node->restored(index); });
    }

    void publishStatus()
    {
        RaftStatus next;
        next.id = m_config.id;
        if (!m_closing) {
            next.role = roleFromRaft(raft_state(&m_raft));
            next.term = m_raft.current_term;
            next.commitIndex = m_raft.commit_index;
            next.appliedIndex = raft_last_applied(&m_raft);
            next.lastIndex = raft_last_index(&m_raft);
            raft_id leaderId = 0;
            const char *leaderAddress = nullptr;
            raft_leader(&m_raft, &leaderId, &leaderAddress);
            next.leaderId = leaderId;
            next.leaderAddress = leaderAddress ? QString::fromUtf8(leaderAddress) : QString();
            for (unsigned i = 0; i < m_raft.configuration.n; ++i) {
                if (m_raft.configuration.servers[i].role == RAFT_VOTER) {
                    ++next.voters;
                    next.voterIds.append(m_raft.configuration.servers[i].id);
                }
            }
        }
        std::sort(next.voterIds.begin(), next.voterIds.end());
        if (!m_closing)
            announceRestore(next.appliedIndex);
        next.snapshotsRestored = m_restores;

        RaftStatus previous;
        {
            std::lock_guard lock(m_statusMutex);
            previous = m_status;
            m_status = next;
        }
        RaftNode *node = &m_node;
        if (next.term != previous.term)
            toQt([node, term = next.term] { Q_EMIT node->termChanged(term); });
        if (next.role != previous.role)
            toQt([node, role = next.role] { Q_EMIT node->roleChanged(role); });
        if (next.leaderId != previous.leaderId || next.leaderAddress != previous.leaderAddress) {
            toQt([node, id = next.leaderId, address = next.leaderAddress] {
                Q_EMIT node->leaderChanged(id, address);
            });
        }
    }

    RaftNode &m_node;
    ReplicatedStateMachine &m_stateMachine;
    const RaftConfig m_config;
    std::thread m_thread;

    mutable std::mutex m_queueMutex;
    std::deque<Command> m_queue;
    bool m_accepting = false;

    mutable std::mutex m_statusMutex;
    RaftStatus m_status;

    // Raft thread only.
    uv_loop_t m_loop {};
    raft_uv_transport m_transport {};
    // libraft's TCP transport functions, wrapped to set TCP_NODELAY (see noDelay).
    int (*m_tcpListen)(raft_uv_transport *, raft_uv_accept_cb) = nullptr;
    int (*m_tcpConnect)(
        raft_uv_transport *, raft_uv_connect *, raft_id, const char *, raft_uv_connect_cb)
        = nullptr;
    raft_uv_accept_cb m_accept = nullptr;
    std::map<raft_uv_connect *, raft_uv_connect_cb> m_connects;
    raft_io m_io {};
    raft_fsm m_fsm {};
    raft m_raft {};
    uv_async_t m_wake {};
    uv_check_t m_check {};
    bool m_loopOpen = false;
    bool m_transportOpen = false;
    bool m_ioOpen = false;
    bool m_raftOpen = false;
    bool m_handlesOpen = false;
    bool m_closing = false;
    bool m_pendingRestore = false;
    quint64 m_restores = 0;
    std::map<ApplyRequest *, std::unique_ptr<ApplyRequest>> m_applies;
    struct Submitted
    {
        qint64 proposedNs = 0;
        qint64 submittedNs = 0;
    };
    std::map<quint64, Submitted> m_submitted; // log index -> when proposed here (clockNs)
    std::map<ChangeRequest *, std::unique_ptr<ChangeRequest>> m_changes;
    std::unique_ptr<struct raft_transfer> m_transfer;
};

RaftNode::RaftNode(std::shared_ptr<ReplicatedStateMachine> stateMachine, QObject *parent)
    : QObject(parent)
    , m_stateMachine(std::move(stateMachine))
{
    qRegisterMetaType<metatopia::cluster::RaftRole>();
}

RaftNode::~RaftNode()
{
    stop();
}

bool RaftNode::start(const RaftConfig &config, QString *error)
{
    if (m_engine) {
        if (error)
            *error = QStringLiteral("already started");
        return false;
    }
    if (!m_stateMachine || config.id == 0 || config.address.isEmpty() || config.dataDir.isEmpty()) {
        if (error)
            *error = QStringLiteral(
                "a state machine, an id > 0, an address and a data dir are required");
        return false;
    }
    auto engine = std::make_unique<Engine>(*this, *m_stateMachine, config);
    if (!engine->start(error))
        return false;
    m_engine = std::move(engine);
    return true;
}

void RaftNode::stop()
{
    if (m_engine) {
        m_engine->stop();
        m_engine.reset();
    }
}

bool RaftNode::isRunning() const
{
    return m_engine && m_engine->running();
}

void RaftNode::propose(const QByteArray &batch, ProposeCallback done)
{
    if (!m_engine) {
        reportShutdown<ProposeResult>(this, std::move(done));
        return;
    }
    m_engine->propose(batch, std::move(done));
}

void RaftNode::addVoter(quint64 id, const QString &address, ChangeCallback done)
{
    if (!m_engine) {
        reportShutdown<ChangeResult>(this, std::move(done));
        return;
    }
    m_engine->change(true, id, address, std::move(done));
}

void RaftNode::removeServer(quint64 id, ChangeCallback done)
{
    if (!m_engine) {
        reportShutdown<ChangeResult>(this, std::move(done));
        return;
    }
    m_engine->change(false, id, QString(), std::move(done));
}

void RaftNode::transferLeadership(quint64 id)
{
    if (m_engine)
        m_engine->transfer(id);
}

RaftStatus RaftNode::status() const
{
    if (!m_engine) {
        RaftStatus status;
        return status;
    }
    return m_engine->status();
}

quint64 RaftNode::id() const
{
    return m_engine ? m_engine->status().id : 0;
}

qint64 RaftNode::clockNs()
{
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
        std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

bool RaftNode::callOnRaftThread(const std::function<void()> &fn)
{
    return m_engine && m_engine->callSync(fn);
}

} // namespace metatopia::cluster
