// Where the read-only reference fixtures live, and a loud skip when they are absent.
#pragma once
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

namespace airlock::fixtures {

// $AIRLOCK_FIXTURES if set, else the path configured at build time (../shared/fixtures).
std::filesystem::path dir();

// True when the fixtures folder exists; otherwise prints a loud warning once.
bool present();

std::string read_file(const std::filesystem::path& p);

}  // namespace airlock::fixtures

// Use at the top of a test that needs ../shared/fixtures.
#define AIRLOCK_REQUIRE_FIXTURES()                                                          \
  do {                                                                                      \
    if (!::airlock::fixtures::present())                                            \
      GTEST_SKIP() << "!!! FIXTURES MISSING: " << ::airlock::fixtures::dir()        \
                   << " not found; set AIRLOCK_FIXTURES. This test did NOT run. !!!";        \
  } while (0)
