// The message of the airlock::Error that f throws, or "" when it throws none: tests assert on
// what an error says (the field, the line, the problem), not only that it was thrown.
#pragma once
#include <functional>
#include <string>

#include "airlock/error.h"

namespace airlock::testing {

inline std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace airlock::testing
