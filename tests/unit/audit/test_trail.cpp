// The writer: records chained and on disk, rotation, recovery after a crash mid-record, several
// writers on one folder, retention recorded in the chain, signed segments.
#include <gtest/gtest.h>

#include <sys/resource.h>

#include <csignal>
#include <thread>

#include <airlock/error.h>

#include "audit/segments.h"
#include "audit/verify.h"
#include "audit_testing.h"

namespace airlock::audit {
namespace {

using testing::read_lines;
using testing::TempDir;

TEST(AuditTrail, ResumesTheChainWhenReopened) {
  TempDir d;
  TrailOptions o;
  o.dir = d.path();
  testing::write_records(o, 2);
  testing::write_records(o, 3);
  const auto lines = read_lines(segment_path(d.path(), 1));
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_EQ(nlohmann::json::parse(lines[4])["seq"], 5);
  EXPECT_TRUE(verify(d.path()).ok) << verify(d.path()).first_bad;
}

TEST(AuditTrail, CutsAPartialRecordAndSaysSo) {
  TempDir d;
  TrailOptions o;
  o.dir = d.path();
  testing::write_records(o, 3);
  const auto seg = segment_path(d.path(), 1);
  std::filesystem::resize_file(seg, std::filesystem::file_size(seg) - 30);  // a crash mid-write
  EXPECT_FALSE(verify(d.path()).ok);
  testing::write_records(o, 1);
  const auto lines = read_lines(seg);
  ASSERT_EQ(lines.size(), 4u);
  const auto recovered = nlohmann::json::parse(lines[2]);
  EXPECT_EQ(recovered["type"], "recovered");
  EXPECT_EQ(recovered["seq"], 3);
  EXPECT_GT(recovered["cut_bytes"].get<int>(), 0);
  EXPECT_TRUE(verify(d.path()).ok) << verify(d.path()).first_bad;
}

TEST(AuditTrail, RotatesBySizeAndKeepsOneChain) {
  TempDir d;
  TrailOptions o;
  o.dir = d.path();
  o.max_file_bytes = 1000;
  testing::write_records(o, 20);
  const auto segs = list_segments(d.path()).segments;
  EXPECT_GT(segs.size(), 3u);
  for (const auto& [n, p] : segs) EXPECT_LT(std::filesystem::file_size(p), 1000u + 400u) << p;
  const VerifyReport r = verify(d.path());
  EXPECT_TRUE(r.ok) << r.first_bad;
  EXPECT_EQ(r.records, 20u);
}

TEST(AuditTrail, WritersInTwoObjectsShareOneChain) {
  // The server and a CLI command are two processes; two writers in threads take the same lock.
  TempDir d;
  TrailOptions o;
  o.dir = d.path();
  o.fsync_every = std::chrono::milliseconds(50);
  o.max_file_bytes = 4000;
  {
    Trail a(o), b(o);
    std::thread ta([&] { for (int i = 0; i < 50; ++i) a.append({{"type", "request"}, {"who", "a"}}); });
    std::thread tb([&] { for (int i = 0; i < 50; ++i) b.append({{"type", "admin"}, {"who", "b"}}); });
    ta.join();
    tb.join();
  }
  const VerifyReport r = verify(d.path());
  EXPECT_TRUE(r.ok) << r.first_bad;
  EXPECT_EQ(r.records, 100u);
}

TEST(AuditTrail, RetentionDeletesOldSegmentsAndRecordsIt) {
  TempDir d;
  TrailOptions o;
  o.dir = d.path();
  o.max_file_bytes = 1;
  testing::write_records(o, 4);  // segments 1..4
  const auto old = std::filesystem::file_time_type::clock::now() - std::chrono::hours(24 * 10);
  std::filesystem::last_write_time(segment_path(d.path(), 1), old);
  std::filesystem::last_write_time(segment_path(d.path(), 2), old);
  o.retention_days = 7;
  o.max_file_bytes = 1 << 20;
  testing::write_records(o, 1);
  const auto segs = list_segments(d.path()).segments;
  ASSERT_EQ(segs.begin()->first, 3u);
  const auto last = read_lines(segment_path(d.path(), 4));
  const auto retention = nlohmann::json::parse(last.at(1));
  EXPECT_EQ(retention["type"], "retention");
  ASSERT_EQ(retention["deleted"].size(), 2u);
  EXPECT_EQ(retention["deleted"][1]["segment"], "audit-000002.jsonl");
  const VerifyReport r = verify(d.path());
  EXPECT_TRUE(r.ok) << r.first_bad;
  // Deleting one more by hand is not covered by the retention record.
  std::filesystem::remove(segment_path(d.path(), 3));
  EXPECT_FALSE(verify(d.path()).ok);
}

TEST(AuditTrail, SignedSegmentsVerifyWithTheKeyOnly) {
  TempDir d;
  TrailOptions o;
  o.dir = d.path();
  o.max_file_bytes = 1;
  o.sign_key = store::generate_key();
  testing::write_records(o, 3);
  for (uint64_t n = 1; n <= 3; ++n) EXPECT_TRUE(std::filesystem::exists(segment_path(d.path(), n).string() + ".sig"));
  VerifyReport r = verify(d.path(), {o.sign_key->public_key()});
  EXPECT_TRUE(r.ok) << r.first_bad;
  EXPECT_EQ(r.signatures_checked, 3u);
  r = verify(d.path(), {store::generate_key().public_key()});
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.first_bad.rfind("audit-000001.jsonl.sig", 0), 0u) << r.first_bad;
}

TEST(AuditTrail, FailedWriteLeavesNothingAndIsReported) {
  TempDir d;
  TrailOptions o;
  o.dir = d.path();
  Trail t(o);
  t.append({{"type", "request"}});
  EXPECT_TRUE(t.healthy());
  const auto seg = segment_path(d.path(), 1);
  const auto size = std::filesystem::file_size(seg);
  // A file size limit makes the next write fail part-way, as a full disk does.
  std::signal(SIGXFSZ, SIG_IGN);
  rlimit old{};
  ::getrlimit(RLIMIT_FSIZE, &old);
  rlimit lim = old;
  lim.rlim_cur = size + 20;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &lim), 0);
  EXPECT_THROW(t.append({{"type", "request"}, {"prompt", std::string(200, 'x')}}), Error);
  EXPECT_FALSE(t.healthy());
  EXPECT_FALSE(t.recover());
  ::setrlimit(RLIMIT_FSIZE, &old);
  EXPECT_EQ(std::filesystem::file_size(seg), size);  // no partial record left behind
  EXPECT_TRUE(t.recover());
  EXPECT_TRUE(t.healthy());
  const auto lines = read_lines(seg);
  ASSERT_EQ(lines.size(), 2u);
  const auto gap = nlohmann::json::parse(lines[1]);
  EXPECT_EQ(gap["type"], "audit_gap");
  EXPECT_EQ(gap["lost_records"], 1);
  EXPECT_TRUE(verify(d.path()).ok) << verify(d.path()).first_bad;
}

TEST(AuditContent, ParsesTheThreeModes) {
  EXPECT_EQ(parse_content("full"), Content::Full);
  EXPECT_EQ(parse_content("hash"), Content::Hash);
  EXPECT_EQ(parse_content("none"), Content::None);
  EXPECT_THROW(parse_content("all"), Error);
}

}  // namespace
}  // namespace airlock::audit
