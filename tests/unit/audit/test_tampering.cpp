// Every way of tampering with an audit folder is caught by verify at the record concerned.
#include <gtest/gtest.h>

#include "audit/chain.h"
#include "audit/segments.h"
#include "audit/verify.h"
#include "audit_testing.h"

namespace airlock::audit {
namespace {

using testing::read_lines;
using testing::TempDir;
using testing::write_lines;

class Tampering : public ::testing::Test {
 protected:
  void SetUp() override {
    opt_.dir = dir_.path();
    testing::write_records(opt_, 6);
    seg_ = segment_path(dir_.path(), 1);
    lines_ = read_lines(seg_);
    ASSERT_EQ(lines_.size(), 6u);
    ASSERT_TRUE(verify(dir_.path()).ok) << verify(dir_.path()).first_bad;
  }
  std::string first_bad() {
    const VerifyReport r = verify(dir_.path());
    EXPECT_FALSE(r.ok);
    return r.first_bad;
  }
  TempDir dir_;
  TrailOptions opt_;
  std::filesystem::path seg_;
  std::vector<std::string> lines_;
};

TEST_F(Tampering, IntactFolderVerifies) {
  const VerifyReport r = verify(dir_.path());
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.records, 6u);
  EXPECT_EQ(r.segments, 1u);
}

TEST_F(Tampering, EditedRecordIsNamed) {
  const auto at = lines_[2].find("question 2");
  ASSERT_NE(at, std::string::npos);
  lines_[2].replace(at, 10, "question X");
  write_lines(seg_, lines_);
  EXPECT_EQ(first_bad(), "audit-000001.jsonl line 3 (seq 3): its content does not match its hash (edited)");
}

TEST_F(Tampering, EditedRecordWithItsHashRecomputedBreaksTheNextLink) {
  // An editor who reseals the record still cannot fix the next record's prev without resealing
  // everything after it, which the signature of the segment's last hash then catches.
  nlohmann::ordered_json r = nlohmann::ordered_json::parse(lines_[2]);
  r["prompt"] = "question X";
  nlohmann::ordered_json fields = r;
  fields.erase("hash");
  lines_[2] = seal(fields, 3, 1, r["prev"].get<std::string>()).line;
  write_lines(seg_, lines_);
  EXPECT_EQ(first_bad(),
            "audit-000001.jsonl line 4 (seq 4): its prev hash does not match the record before it (inserted or reordered)");
}

TEST_F(Tampering, DeletedRecordIsNamed) {
  lines_.erase(lines_.begin() + 3);
  write_lines(seg_, lines_);
  EXPECT_EQ(first_bad(), "audit-000001.jsonl line 4 (seq 5): expected seq 4 (a record deleted, inserted or moved here)");
}

TEST_F(Tampering, DeletedLastRecordOfSignedSegmentIsCaught) {
  TempDir d;
  TrailOptions o;
  o.dir = d.path();
  o.sign_key = store::generate_key();
  testing::write_records(o, 3);
  const auto seg = segment_path(d.path(), 1);
  auto lines = read_lines(seg);
  lines.pop_back();
  write_lines(seg, lines);
  const VerifyReport r = verify(d.path(), {o.sign_key->public_key()});
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.first_bad.find("audit-000001.jsonl.sig"), std::string::npos) << r.first_bad;
}

TEST_F(Tampering, InsertedRecordIsNamed) {
  lines_.insert(lines_.begin() + 2, lines_[4]);
  write_lines(seg_, lines_);
  EXPECT_EQ(first_bad(), "audit-000001.jsonl line 3 (seq 5): expected seq 3 (a record deleted, inserted or moved here)");
}

TEST_F(Tampering, DuplicatedRecordIsNamed) {
  lines_.insert(lines_.begin() + 2, lines_[1]);
  write_lines(seg_, lines_);
  EXPECT_EQ(first_bad(), "audit-000001.jsonl line 3 (seq 2): expected seq 3 (a record deleted, inserted or moved here)");
}

TEST_F(Tampering, ReorderedRecordsAreNamed) {
  std::swap(lines_[3], lines_[4]);
  write_lines(seg_, lines_);
  EXPECT_EQ(first_bad(), "audit-000001.jsonl line 4 (seq 5): expected seq 4 (a record deleted, inserted or moved here)");
}

TEST_F(Tampering, TruncatedMidRecordIsNamed) {
  const auto size = std::filesystem::file_size(seg_);
  std::filesystem::resize_file(seg_, size - 20);
  EXPECT_EQ(first_bad(), "audit-000001.jsonl line 6: the last record is cut short (truncated)");
}

TEST_F(Tampering, FirstRecordsDeletedIsNamed) {
  lines_.erase(lines_.begin(), lines_.begin() + 2);
  write_lines(seg_, lines_);
  EXPECT_EQ(first_bad(), "audit-000001.jsonl line 1 (seq 3): records before it are missing");
}

TEST_F(Tampering, HandEditedGarbageIsNamed) {
  lines_[1] = "{\"seq\": 2, \"note\": \"hello\"}";
  write_lines(seg_, lines_);
  EXPECT_EQ(first_bad(), "audit-000001.jsonl line 2: not a sealed record (no trailing hash: truncated or edited)");
}

class RotatedTampering : public ::testing::Test {
 protected:
  void SetUp() override {
    opt_.dir = dir_.path();
    opt_.max_file_bytes = 1;  // every record after the first in a segment rotates
    testing::write_records(opt_, 4);
    ASSERT_EQ(list_segments(dir_.path()).segments.size(), 4u);
    ASSERT_TRUE(verify(dir_.path()).ok) << verify(dir_.path()).first_bad;
  }
  TempDir dir_;
  TrailOptions opt_;
};

TEST_F(RotatedTampering, ChainContinuesAcrossSegments) {
  const VerifyReport r = verify(dir_.path());
  EXPECT_EQ(r.records, 4u);
  EXPECT_EQ(r.segments, 4u);
}

TEST_F(RotatedTampering, MissingMiddleSegmentIsNamed) {
  std::filesystem::remove(segment_path(dir_.path(), 2));
  const VerifyReport r = verify(dir_.path());
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.first_bad, "audit-000002.jsonl is missing (deleted or renamed)");
}

TEST_F(RotatedTampering, MissingFirstSegmentIsNamed) {
  std::filesystem::remove(segment_path(dir_.path(), 1));
  const VerifyReport r = verify(dir_.path());
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.first_bad,
            "audit-000002.jsonl line 1 (seq 2): records before it are missing (audit-000001.jsonl deleted without a "
            "retention record)");
}

TEST_F(RotatedTampering, RenamedSegmentIsNamed) {
  std::filesystem::rename(segment_path(dir_.path(), 3), dir_.path() / "audit-3.jsonl");
  VerifyReport r = verify(dir_.path());
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.first_bad, "unexpected file audit-3.jsonl (a renamed segment?)");
  // Two segments swapped under each other's names.
  std::filesystem::rename(dir_.path() / "audit-3.jsonl", dir_.path() / "audit-000003.jsonl");
  std::filesystem::rename(segment_path(dir_.path(), 2), dir_.path() / "x");
  std::filesystem::rename(segment_path(dir_.path(), 3), segment_path(dir_.path(), 2));
  std::filesystem::rename(dir_.path() / "x", segment_path(dir_.path(), 3));
  r = verify(dir_.path());
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.first_bad,
            "audit-000002.jsonl line 1 (seq 3): written to audit-000003.jsonl, found in audit-000002.jsonl (segment "
            "renamed or records moved)");
}

}  // namespace
}  // namespace airlock::audit
