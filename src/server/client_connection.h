// Noticing that a client has gone away while its request is answered in one piece. httplib hands
// a handler no socket, so the connection is found among the process's sockets by the request's
// local and remote addresses (unique for a live TCP connection), once per request.
#pragma once
#include <chrono>
#include <cstdint>
#include <string>

#include <httplib.h>

namespace airlock::server {

class ClientConnection {
 public:
  // Finds the request's socket; an in-process request (no socket) is never seen to go away.
  explicit ClientConnection(const httplib::Request& req);
  // Whether the client has closed or reset its end. Cheap: one poll() that does not wait.
  bool gone() const;
  // Reads and throws away what the client sends, until `max_bytes` or a pause of `idle`: a body
  // refused without being read is drained this way (when small enough), so that a client still
  // sending it reads the refusal instead of having its connection reset.
  void discard(uint64_t max_bytes, std::chrono::milliseconds idle) const;

 private:
  int fd_ = -1;
};

}  // namespace airlock::server
