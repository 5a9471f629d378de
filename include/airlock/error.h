// The one exception type airlock throws for bad input or a failed operation. Its message is a
// single line meant for the user: what went wrong and where (file, key, offset). Its kind says
// whose fault it is, so that a server maps it to a status in one place (400, 404, 503, 504, 500)
// and an application can tell a bad request from a broken disk.
#pragma once
#include <stdexcept>
#include <string>

namespace airlock {

enum class ErrorKind {
  BadRequest,  // the input is wrong: fix it and retry (the default)
  NotFound,    // a named model, blob, collection or file does not exist
  Busy,        // no capacity now (queue full, model unloading): retry later
  Timeout,     // the operation ran out of time
  Fault,       // the machine failed: a model that does not load, an I/O error, a full disk
};

struct Error : std::runtime_error {
  explicit Error(const std::string& message, ErrorKind k = ErrorKind::BadRequest)
      : std::runtime_error(message), kind(k) {}
  ErrorKind kind;
};

}  // namespace airlock
