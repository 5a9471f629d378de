// --read-only: every model-management route refused with 403, nothing in the store written
// (checked file by file), and a store on a read-only bind mount served.
#include <gtest/gtest.h>
#include <sys/mount.h>

#include <cerrno>
#include <cstring>
#include <map>

#include "server_harness.h"

namespace airlock::server::testing {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

// Every path below dir with its size and modification time.
std::map<std::string, std::pair<uintmax_t, fs::file_time_type>> snapshot(const fs::path& dir) {
  std::map<std::string, std::pair<uintmax_t, fs::file_time_type>> out;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    out[e.path().string()] = {e.is_regular_file() ? e.file_size() : 0, e.last_write_time()};
  return out;
}

void exercise(RunningServer& server) {
  auto c = server.client();
  auto gen = post_json(*c, "/api/generate", {{"model", "stories"}, {"prompt", "Once"}, {"stream", false},
                                              {"options", {{"num_predict", 4}}}});
  EXPECT_EQ(gen.status, 200) << gen.raw;
  EXPECT_EQ(get_json(*c, "/api/tags").status, 200);
  EXPECT_EQ(post_json(*c, "/api/show", {{"model", "stories"}}).status, 200);
  for (const auto& [path, body] : std::vector<std::pair<std::string, json>>{
           {"/api/copy", {{"source", "stories"}, {"destination", "x"}}},
           {"/api/create", {{"model", "y"}, {"from", "stories"}}},
           {"/api/pull", {{"model", "stories"}}},
           {"/api/rollback", {{"model", "stories"}}},
           {"/api/blobs/sha256:" + std::string(64, '0'), json::object()}}) {
    auto r = post_json(*c, path, body);
    EXPECT_EQ(r.status, 403) << path;
    EXPECT_NE(r.raw.find("read-only mode"), std::string::npos) << r.raw;
  }
  auto del = c->Delete("/api/delete", json{{"model", "stories"}}.dump(), "application/json");
  EXPECT_EQ(del->status, 403);
}

TEST(ReadOnly, RefusesManagementAndWritesNothing) {
  AIRLOCK_REQUIRE_FIXTURES();
  TempDir store;
  import_fixture_models(store.path());
  const auto before = snapshot(store.path());
  {
    RunningServer server(store.path(), [](ServerConfig& c) { c.read_only = true; });
    exercise(server);
  }
  EXPECT_EQ(snapshot(store.path()), before);
}

TEST(ReadOnly, ServesAStoreOnAReadOnlyBindMount) {
  AIRLOCK_REQUIRE_FIXTURES();
  TempDir store, mnt;
  import_fixture_models(store.path());
  if (::mount(store.path().c_str(), mnt.path().c_str(), nullptr, MS_BIND, nullptr) != 0)
    GTEST_SKIP() << "cannot bind-mount here (" << std::strerror(errno) << "); RefusesManagementAndWritesNothing covers the store";
  if (::mount(nullptr, mnt.path().c_str(), nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY, nullptr) != 0) {
    const int e = errno;
    ::umount(mnt.path().c_str());
    GTEST_SKIP() << "cannot remount read-only here (" << std::strerror(e) << ")";
  }
  std::FILE* probe = std::fopen((mnt.path() / "probe").c_str(), "w");
  EXPECT_EQ(probe, nullptr) << "the mount is writable";
  EXPECT_EQ(errno, EROFS);
  if (probe) std::fclose(probe);
  {
    RunningServer server(mnt.path(), [](ServerConfig& c) { c.read_only = true; });
    exercise(server);
  }
  ::umount(mnt.path().c_str());
}

}  // namespace
}  // namespace airlock::server::testing
