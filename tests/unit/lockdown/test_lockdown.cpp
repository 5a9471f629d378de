// The seccomp egress filter, in forked children (it cannot be undone in a process): new inet
// sockets and addressed sends refused with EPERM, AF_UNIX still usable, a listening socket made
// before the filter still accepting loopback clients; and the network file system check.
#include <gtest/gtest.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <airlock/error.h>

#include <cerrno>
#include <cstring>
#include <functional>

#include "lockdown/lockdown.h"
#include "lockdown/network_paths.h"

namespace airlock::lockdown {
namespace {

// Runs fn in a forked child; returns its exit code (fn's return value), or -1 when it crashed.
int in_child(const std::function<int()>& fn) {
  const pid_t pid = ::fork();
  if (pid == 0) ::_exit(fn());
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(Lockdown, OutboundInetIsRefusedWithEperm) {
  const int rc = in_child([] {
    install();
    const Probe p = probe_egress();
    if (!p.refused) return 1;
    if (::socket(AF_INET6, SOCK_DGRAM, 0) >= 0 || errno != EPERM) return 2;
    if (::socket(AF_PACKET, SOCK_RAW, 0) >= 0 || errno != EPERM) return 3;
    if (::socket(AF_NETLINK, SOCK_RAW, 0) >= 0 || errno != EPERM) return 4;
    return 0;
  });
  EXPECT_EQ(rc, 0);
}

TEST(Lockdown, LocalIpcAndAcceptedLoopbackClientsStillWork) {
  const int rc = in_child([] {
    // A listening socket made before the filter, as `serve` binds before locking.
    const int ls = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(ls, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(ls, 4) != 0) return 10;
    socklen_t len = sizeof a;
    ::getsockname(ls, reinterpret_cast<sockaddr*>(&a), &len);
    // A client from another process (made before the lock, so it may connect).
    const pid_t client = ::fork();
    if (client == 0) {
      ::sleep(1);
      const int c = ::socket(AF_INET, SOCK_STREAM, 0);
      if (::connect(c, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) ::_exit(1);
      char b = 0;
      ::_exit(::recv(c, &b, 1, 0) == 1 && b == 'k' ? 0 : 2);
    }
    install();
    const int s = ::accept(ls, nullptr, nullptr);
    if (s < 0) return 11;
    if (::send(s, "k", 1, 0) != 1) return 12;  // send() is sendto without an address: allowed
    sockaddr_in far{};
    far.sin_family = AF_INET;
    far.sin_port = htons(9);
    ::inet_pton(AF_INET, "192.0.2.1", &far.sin_addr);
    if (::sendto(s, "x", 1, 0, reinterpret_cast<sockaddr*>(&far), sizeof far) >= 0 || errno != EPERM) return 13;
    int status = 0;
    ::waitpid(client, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return 14;
    int pair[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM, 0, pair) != 0) return 15;
    if (::socket(AF_UNIX, SOCK_STREAM, 0) < 0) return 16;
    return 0;
  });
  EXPECT_EQ(rc, 0);
}

TEST(Lockdown, ProbeInALockedChildLeavesTheParentUnlocked) {
  const Probe p = probe_in_locked_child();
  EXPECT_TRUE(p.refused) << p.detail;
  EXPECT_NE(p.detail.find("192.0.2.1"), std::string::npos);
  EXPECT_NE(p.detail.find(std::strerror(EPERM)), std::string::npos) << p.detail;
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);  // this process is not locked
  EXPECT_GE(fd, 0);
  ::close(fd);
}

TEST(NetworkPaths, LocalPathsPassAndProcIsLocal) {
  EXPECT_EQ(network_fs_type("/tmp"), "");
  EXPECT_EQ(network_fs_type("/tmp/does/not/exist/yet"), "");
  EXPECT_NO_THROW(refuse_network_paths({{"models", "/tmp"}, {"audit", ""}}));
}

}  // namespace
}  // namespace airlock::lockdown
