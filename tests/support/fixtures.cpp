#include "fixtures.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace airlock::fixtures {

std::filesystem::path dir() {
  if (const char* env = std::getenv("AIRLOCK_FIXTURES"); env && *env) return env;
  return AIRLOCK_DEFAULT_FIXTURES;
}

bool present() {
  static const bool present = [] {
    bool ok = std::filesystem::is_directory(dir());
    if (!ok)
      std::fprintf(stderr, "\n*** WARNING: fixtures folder %s is absent; fixture tests are SKIPPED ***\n\n",
                   dir().c_str());
    return ok;
  }();
  return present;
}

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + p.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace airlock::fixtures
