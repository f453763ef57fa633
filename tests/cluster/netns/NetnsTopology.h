// SPDX-FileCopyrightText: 2026 The Metatopia developers
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

// Test support: a private network of Linux network namespaces for partition tests (needs root
// and iproute2). Each replica gets its own namespace with two interfaces:
//   "raft"   10.<r>.<x>.<i>/24, on a bridge of raft traffic between the replicas only;
//   "client" 10.<c>.<x>.<i>/24, on a bridge the test process reaches from its own namespace
//            through one veth pair (its end is 10.<c>.<x>.254).
// Both bridges live in a "hub" namespace, so the caller's namespace gains one interface and
// nothing else. Taking a replica's raft interface down partitions it from its peers while the
// test still sees its status through the client network. Names carry the creating process' pid
// (prefix "mtpnet<pid>"); create() first removes leftovers of runs whose process is gone, and
// the destructor removes everything (deleting a namespace deletes its interfaces).

#include <QString>
#include <QStringList>

namespace metatopia::cluster::test {

class NetnsTopology
{
public:
    NetnsTopology();
    ~NetnsTopology();
    NetnsTopology(const NetnsTopology &) = delete;
    NetnsTopology &operator=(const NetnsTopology &) = delete;

    // Empty if this process can create namespaces, else why not (not root, no `ip`, no netns
    // support in this kernel or container).
    static QString unavailableReason();
    // Deletes namespaces named mtpnet<pid>* whose pid is no longer alive, killing what still
    // runs in them (replicas of a crashed run).
    static void removeLeftovers();

    bool create(int replicas, QString *error);
    void destroy();

    int replicas() const { return m_replicas; }
    QString namespaceOf(int replica) const; // 1-based
    QString raftAddress(int replica, quint16 port) const;
    QString clientAddress(int replica, quint16 port) const;

    // Cut the replica's raft link (its namespace's "raft" interface down) or restore it.
    bool setRaftLink(int replica, bool up, QString *error = nullptr);

    // Runs `ip <args>`, bounded; false with stderr in error on failure.
    static bool ip(const QStringList &args, QString *error = nullptr, QString *output = nullptr);

private:
    QString prefix() const;
    QString hub() const;

    int m_replicas = 0;
    int m_subnet = 0; // the <x> of the addresses
    QString m_rootLink;
    QStringList m_namespaces;
};

} // namespace metatopia::cluster::test
