// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

// Test helpers for the physics role: a real `metatopia-server --role physics` child process
// (ready once it printed "LISTENING <address>:<port> fingerprint=... region=x,y"; stderr in
// <dataDir>.stderr.log), and a plain libs/net client for requests such as "physics.bodies".

#include "physics/PhysicsMessages.h"

#include "net/Connection.h"
#include "net/PinStore.h"
#include "net/Protocol.h"

#include <QCborArray>
#include <QElapsedTimer>
#include <QProcess>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QString>
#include <QStringList>

#include <memory>
#include <optional>

namespace metatopia::test {

class PhysicsProcess
{
public:
    explicit PhysicsProcess(QString dataDir)
        : m_dataDir(std::move(dataDir))
    { }
    ~PhysicsProcess() { terminate(); }
    PhysicsProcess(const PhysicsProcess &) = delete;
    PhysicsProcess &operator=(const PhysicsProcess &) = delete;

    bool start(const QString &region, const QStringList &extraArgs = {}, int timeoutMs = 20000)
    {
        return startWith(QStringList { QStringLiteral("--role"), QStringLiteral("physics"),
                             QStringLiteral("--region"), region, QStringLiteral("--data-dir"),
                             m_dataDir, QStringLiteral("--port"), QStringLiteral("0") }
                + extraArgs,
            timeoutMs);
    }

    // Starts with exactly these arguments (e.g. only --config <file>).
    bool startWith(const QStringList &args, int timeoutMs = 20000)
    {
        m_stdout.clear();
        m_port = 0;
        m_region.clear();
        m_process.setProgram(QStringLiteral(METATOPIA_BIN_DIR "/metatopia-server"));
        m_process.setArguments(args);
        m_process.setStandardErrorFile(
            m_dataDir + QStringLiteral(".stderr.log"), QIODevice::Append);
        m_process.start();
        if (!m_process.waitForStarted(timeoutMs))
            return false;
        static const QRegularExpression line(
            QStringLiteral("^LISTENING ([0-9.]+):([0-9]+) fingerprint=[0-9A-F:]+ "
                           "region=(-?[0-9]+),(-?[0-9]+)$"),
            QRegularExpression::MultilineOption);
        QElapsedTimer timer;
        timer.start();
        while (timer.elapsed() < timeoutMs && m_process.state() == QProcess::Running) {
            m_process.waitForReadyRead(100); // returns as soon as output arrives
            m_stdout += QString::fromUtf8(m_process.readAllStandardOutput());
            const auto match = line.match(m_stdout);
            if (match.hasMatch()) {
                m_port = quint16(match.captured(2).toUInt());
                m_region = match.captured(3) + QLatin1Char(',') + match.captured(4);
                return m_port != 0;
            }
        }
        return false;
    }

    bool terminate(int timeoutMs = 10000)
    {
        if (m_process.state() == QProcess::NotRunning)
            return false;
        m_process.terminate();
        if (!m_process.waitForFinished(timeoutMs)) {
            m_process.kill();
            m_process.waitForFinished(timeoutMs);
            return false;
        }
        return m_process.exitStatus() == QProcess::NormalExit && m_process.exitCode() == 0;
    }
    void kill()
    {
        if (m_process.state() == QProcess::NotRunning)
            return;
        m_process.kill();
        m_process.waitForFinished(10000);
    }

    bool isRunning() const { return m_process.state() == QProcess::Running; }
    quint16 port() const { return m_port; }
    QString region() const { return m_region; } // "x,y" from the LISTENING line
    // After the process ended on its own.
    int exitCode()
    {
        if (m_process.state() != QProcess::NotRunning && !m_process.waitForFinished(10000))
            return -1;
        return m_process.exitCode();
    }
    QString stderrLog() const { return m_dataDir + QStringLiteral(".stderr.log"); }

private:
    QString m_dataDir;
    QProcess m_process;
    QString m_stdout;
    quint16 m_port = 0;
    QString m_region;
};

// A plain connection for requests the main sim's PhysicsLink does not make.
class PhysicsClient
{
public:
    PhysicsClient(quint16 port, net::PinStore &pins)
    {
        m_connection = net::Connection::connectToHost(QStringLiteral("127.0.0.1"), port, pins);
    }
    bool waitReady(int timeoutMs = 10000)
    {
        if (m_connection->isReady())
            return true;
        QSignalSpy ready(m_connection.get(), &net::Connection::ready);
        return ready.wait(timeoutMs);
    }
    // Sends a request and waits (bounded) for its reply.
    std::optional<QCborMap> request(
        const QString &type, const QCborMap &fields = {}, int timeoutMs = 10000)
    {
        QSignalSpy replies(m_connection.get(), &net::Connection::messageReceived);
        const quint64 id = m_connection->request(net::makeMessage(type, fields));
        if (id == 0)
            return std::nullopt;
        QElapsedTimer timer;
        timer.start();
        int seen = 0;
        while (timer.elapsed() < timeoutMs) {
            while (seen < replies.size()) {
                const QCborMap m = replies.at(seen++).at(0).value<QCborMap>();
                if (net::requestId(m) == id)
                    return m;
            }
            replies.wait(100);
        }
        return std::nullopt;
    }
    // Owned bodies' ids and the states of "physics.bodies".
    std::optional<std::map<physics::BodyId, physics::BodyState>> owned()
    {
        const auto reply = request(physics::msg::bodies);
        if (!reply || !net::isOk(*reply))
            return std::nullopt;
        std::map<physics::BodyId, physics::BodyState> out;
        for (const QCborValue &v : reply->value(QStringLiteral("owned")).toArray()) {
            const auto desc = physics::decodeDesc(v.toMap().value(QStringLiteral("body")));
            const auto state = physics::decodeState(v.toMap().value(QStringLiteral("state")));
            if (!desc || !state)
                return std::nullopt;
            out.emplace(desc->id, *state);
        }
        return out;
    }
    // The neighbour regions this physics sim has a link to.
    std::optional<std::vector<physics::RegionCoord>> links()
    {
        const auto reply = request(physics::msg::bodies);
        if (!reply || !net::isOk(*reply))
            return std::nullopt;
        std::vector<physics::RegionCoord> out;
        for (const QCborValue &v : reply->value(QStringLiteral("links")).toArray()) {
            if (const auto r = physics::decodeRegion(v))
                out.push_back(*r);
        }
        return out;
    }
    net::Connection &connection() { return *m_connection; }

private:
    std::unique_ptr<net::Connection> m_connection;
};

} // namespace metatopia::test
