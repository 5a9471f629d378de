// The one exception type airlock throws for bad input or a failed operation. Its message is a
// single line meant for the user: what went wrong and where (file, key, offset).
#pragma once
#include <stdexcept>
#include <string>

namespace airlock {

struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace airlock
