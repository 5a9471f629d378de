// httplib's server with one addition: a request handed over as bytes is answered as bytes, through
// the same request parsing, pre-routing checks, routing and handlers as one read from a socket.
// Fuzzing and tests drive the real HTTP handling this way, in process and without a network.
#pragma once
#include <string>
#include <string_view>

#include <httplib.h>

namespace airlock::server {

class RoutedServer : public httplib::Server {
 public:
  // The full response (status line, headers, body) to one request's bytes; the connection is
  // treated as closed after it, as a client sending exactly these bytes and then EOF would see.
  std::string answer(std::string_view request);
};

}  // namespace airlock::server
