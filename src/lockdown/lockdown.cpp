#include "lockdown/lockdown.h"

#include <airlock/error.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <seccomp.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace airlock::lockdown {

namespace {

void rule(scmp_filter_ctx ctx, int syscall, unsigned count, const scmp_arg_cmp* cmp = nullptr) {
  int rc = count == 0 ? seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), syscall, 0)
                      : seccomp_rule_add_array(ctx, SCMP_ACT_ERRNO(EPERM), syscall, count, cmp);
  if (rc != 0) throw Error("lockdown: cannot add a seccomp rule: " + std::string(std::strerror(-rc)));
}

}  // namespace

void install() {
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
  if (!ctx) throw Error("lockdown: seccomp is not available");
  try {
    // Every thread, the ones already running included (the compute pool starts before serving).
    if (seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1) != 0) throw Error("lockdown: cannot apply seccomp to all threads");
    // Spelled out rather than SCMP_A0(): clang warns the macro leaves datum_b unset.
    const scmp_arg_cmp not_unix{0, SCMP_CMP_NE, AF_UNIX, 0};
    rule(ctx, SCMP_SYS(socket), 1, &not_unix);
    // A destination address on a send (arg 4 of sendto) is an unconnected send: refused.
    const scmp_arg_cmp has_dest{4, SCMP_CMP_NE, 0, 0};
    rule(ctx, SCMP_SYS(sendto), 1, &has_dest);
    // sendmsg/sendmmsg carry their address inside a struct the filter cannot read: refused.
    rule(ctx, SCMP_SYS(sendmsg), 0);
    rule(ctx, SCMP_SYS(sendmmsg), 0);
    // io_uring can create and connect sockets without these system calls.
    rule(ctx, SCMP_SYS(io_uring_setup), 0);
    rule(ctx, SCMP_SYS(io_uring_enter), 0);
    rule(ctx, SCMP_SYS(io_uring_register), 0);
    if (const int rc = seccomp_load(ctx); rc != 0)
      throw Error("lockdown: cannot load the seccomp filter: " + std::string(std::strerror(-rc)));
  } catch (...) {
    seccomp_release(ctx);
    throw;
  }
  seccomp_release(ctx);
}

Probe probe_egress() {
  Probe p;
  const std::string target = "192.0.2.1:9 (TEST-NET-1)";
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    p.refused = errno == EPERM;
    p.detail = "outbound connection to " + target + ": socket(AF_INET) failed: " + std::strerror(errno);
    return p;
  }
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(9);
  ::inet_pton(AF_INET, "192.0.2.1", &a.sin_addr);
  const int rc = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  const int e = errno;
  ::close(fd);
  p.refused = rc != 0 && e == EPERM;
  p.detail = "outbound connection to " + target + ": connect " + (rc == 0 ? "succeeded" : std::string("failed: ") + std::strerror(e));
  return p;
}

Probe probe_in_locked_child() {
  int fds[2];
  if (::pipe(fds) != 0) throw Error("lockdown: pipe: " + std::string(std::strerror(errno)));
  const pid_t pid = ::fork();
  if (pid < 0) throw Error("lockdown: fork: " + std::string(std::strerror(errno)));
  if (pid == 0) {
    ::close(fds[0]);
    std::string out;
    try {
      install();
      const Probe p = probe_egress();
      out = std::string(p.refused ? "1" : "0") + p.detail;
    } catch (const std::exception& e) {
      out = std::string("0lockdown failed: ") + e.what();
    }
    [[maybe_unused]] const ssize_t n = ::write(fds[1], out.data(), out.size());
    ::_exit(0);
  }
  ::close(fds[1]);
  std::string got;
  char buf[512];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) got.append(buf, static_cast<size_t>(n));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  Probe p;
  if (got.empty()) {
    p.detail = "the self-test child reported nothing";
    return p;
  }
  p.refused = got[0] == '1';
  p.detail = got.substr(1);
  return p;
}

}  // namespace airlock::lockdown
