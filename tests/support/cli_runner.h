// Runs a command line through /bin/sh for the CLI integration tests.
#pragma once
#include <string>

namespace airlock::cli_runner {

struct Result {
  int status = -1;  // exit code; -1 if it could not run or was killed by a signal
  std::string out;  // what it printed on stdout (and stderr where merged)
};

// Single-quotes an argument for /bin/sh.
std::string quote(const std::string& s);

// Runs `command`; with merge_stderr its stderr is collected too, else it is discarded.
Result run(const std::string& command, bool merge_stderr);

}  // namespace airlock::cli_runner
