#include "server/client_connection.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstdlib>

namespace airlock::server {

namespace {

// The numeric address and port of a socket address, as httplib writes them into a request.
bool address_of(const sockaddr_storage& a, socklen_t len, std::string& host, int& port) {
  char buf[NI_MAXHOST];
  if (getnameinfo(reinterpret_cast<const sockaddr*>(&a), len, buf, sizeof buf, nullptr, 0, NI_NUMERICHOST) != 0)
    return false;
  host = buf;
  if (a.ss_family == AF_INET) port = ntohs(reinterpret_cast<const sockaddr_in&>(a).sin_port);
  else if (a.ss_family == AF_INET6) port = ntohs(reinterpret_cast<const sockaddr_in6&>(a).sin6_port);
  else return false;
  return true;
}

bool matches(int fd, const httplib::Request& req) {
  sockaddr_storage local{}, remote{};
  socklen_t local_len = sizeof local, remote_len = sizeof remote;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_len) != 0) return false;  // not a socket
  if (local.ss_family != AF_INET && local.ss_family != AF_INET6) return false;
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&remote), &remote_len) != 0) return false;  // listening
  std::string local_host, remote_host;
  int local_port = -1, remote_port = -1;
  return address_of(local, local_len, local_host, local_port) && address_of(remote, remote_len, remote_host, remote_port) &&
         local_port == req.local_port && remote_port == req.remote_port && remote_host == req.remote_addr &&
         local_host == req.local_addr;
}

}  // namespace

ClientConnection::ClientConnection(const httplib::Request& req) {
  if (req.remote_port <= 0 || req.local_port <= 0) return;
  DIR* dir = opendir("/proc/self/fd");
  if (!dir) return;
  while (const dirent* e = readdir(dir)) {
    char* end = nullptr;
    const long fd = std::strtol(e->d_name, &end, 10);
    if (end == e->d_name || *end != '\0' || fd == dirfd(dir)) continue;
    if (matches(static_cast<int>(fd), req)) {
      fd_ = static_cast<int>(fd);
      break;
    }
  }
  closedir(dir);
}

void ClientConnection::discard(uint64_t max_bytes, std::chrono::milliseconds idle) const {
  if (fd_ < 0) return;
  char buf[64 << 10];
  uint64_t total = 0;
  while (total < max_bytes) {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(idle.count())) <= 0) return;
    const ssize_t n = recv(fd_, buf, static_cast<size_t>(std::min<uint64_t>(sizeof buf, max_bytes - total)), 0);
    if (n <= 0) return;
    total += static_cast<uint64_t>(n);
  }
}

bool ClientConnection::gone() const {
  if (fd_ < 0) return false;
  pollfd p{fd_, POLLRDHUP, 0};
  if (poll(&p, 1, 0) <= 0) return false;
  return (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
}

}  // namespace airlock::server
