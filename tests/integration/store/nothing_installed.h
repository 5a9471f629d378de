// The check every refused bundle import ends with: no manifest installed and no blob or temp file
// left in the store.
#pragma once
#include <gtest/gtest.h>

#include <filesystem>

namespace airlock::store_testing {

inline void expect_nothing_installed(const std::filesystem::path& store) {
  namespace fs = std::filesystem;
  if (fs::exists(store / "manifests")) {
    for (auto& e : fs::recursive_directory_iterator(store / "manifests"))
      EXPECT_FALSE(e.is_regular_file()) << "installed: " << e.path();
  }
  if (fs::exists(store / "blobs")) {
    for (auto& e : fs::directory_iterator(store / "blobs")) ADD_FAILURE() << "left in blobs/: " << e.path();
  }
}

}  // namespace airlock::store_testing
