// Egress lock-down for `airlock serve --lockdown` and `airlock doctor`: a seccomp filter (on
// every thread of the process, inherited by threads started later) under which the process can
// no longer create any socket but AF_UNIX ones. What that guarantees, exactly:
//  - no new IPv4/IPv6/packet/netlink socket can be made (socket() and io_uring fail with EPERM),
//    so nothing in the process can connect or send to any address, loopback included;
//  - sendto/sendmsg with a destination address fail with EPERM, whatever the socket;
//  - sockets that exist already keep working: the listening socket (bound before the filter) and
//    the connections it accepts, i.e. the process answers the clients that reached it;
//  - AF_UNIX sockets may still be made and connected (local IPC only).
// It cannot stop the kernel itself from sending on the process's behalf (an NFS-mounted store:
// see network_paths.h) and says nothing about other processes: the firewall recipe in the README
// is the second layer.
#pragma once
#include <string>

namespace airlock::lockdown {

// Throws airlock::Error when the filter cannot be installed (kernel without seccomp, ...).
void install();

struct Probe {
  bool refused = false;  // the attempt failed with EPERM
  std::string detail;    // what was tried and what happened
};
// Tries an outbound TCP connection to 192.0.2.1:9 (TEST-NET-1, never routed). Call only in a
// locked process: unlocked, it would really try.
Probe probe_egress();

// Forks a child that installs the filter and probes; the parent is left unlocked.
Probe probe_in_locked_child();

}  // namespace airlock::lockdown
