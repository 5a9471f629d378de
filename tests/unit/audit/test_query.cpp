// audit search / export: filters and the two output formats.
#include <gtest/gtest.h>

#include <cstdio>

#include <airlock/error.h>

#include "audit/query.h"
#include "audit_testing.h"

namespace airlock::audit {
namespace {

std::string run(const std::filesystem::path& dir, const Filter& f, Format format, size_t* kept = nullptr) {
  char* buf = nullptr;
  size_t len = 0;
  std::FILE* out = open_memstream(&buf, &len);
  const size_t n = write_records(dir, f, format, out);
  std::fclose(out);
  std::string s(buf, len);
  std::free(buf);
  if (kept) *kept = n;
  return s;
}

class AuditQuery : public ::testing::Test {
 protected:
  void SetUp() override {
    TrailOptions o;
    o.dir = dir_.path();
    Trail t(o);
    t.append({{"type", "request"}, {"key", "alice"}, {"model", "llama"}, {"route", "/api/chat"}, {"prompt", "hello, \"world\""}});
    t.append({{"type", "request"}, {"key", "bob"}, {"model", "qwen"}, {"route", "/api/generate"}, {"prompt", "other"}});
    t.append({{"type", "admin"}, {"key", "alice"}, {"action", "delete"}, {"model", "qwen"}});
  }
  testing::TempDir dir_;
};

TEST_F(AuditQuery, FiltersByKeyModelTypeAndText) {
  size_t n = 0;
  Filter f;
  f.key = "alice";
  run(dir_.path(), f, Format::Jsonl, &n);
  EXPECT_EQ(n, 2u);
  f = {};
  f.model = "qwen";
  f.type = "request";
  const std::string out = run(dir_.path(), f, Format::Jsonl, &n);
  EXPECT_EQ(n, 1u);
  EXPECT_NE(out.find("\"prompt\":\"other\""), std::string::npos);
  f = {};
  f.text = "hello";
  run(dir_.path(), f, Format::Jsonl, &n);
  EXPECT_EQ(n, 1u);
}

TEST_F(AuditQuery, FiltersByTime) {
  size_t n = 0;
  Filter f;
  f.since = "2000-01-01";
  run(dir_.path(), f, Format::Jsonl, &n);
  EXPECT_EQ(n, 3u);
  f.since = "2999";
  run(dir_.path(), f, Format::Jsonl, &n);
  EXPECT_EQ(n, 0u);
  f = {};
  f.until = "2000-01-01";
  run(dir_.path(), f, Format::Jsonl, &n);
  EXPECT_EQ(n, 0u);
}

TEST_F(AuditQuery, ExportsCsvWithAHeaderAndQuotedFields) {
  Filter f;
  f.key = "alice";
  const std::string csv = run(dir_.path(), f, Format::Csv);
  const auto first_nl = csv.find('\n');
  EXPECT_EQ(csv.substr(0, first_nl),
            "seq,time,type,request_id,client,key,method,route,model,model_digest,status,prompt_tokens,eval_tokens,"
            "duration_ms,action");
  EXPECT_NE(csv.find(",request,,,alice,,/api/chat,llama,"), std::string::npos) << csv;
  EXPECT_NE(csv.find(",admin,,,alice,,,qwen,,,,,,delete"), std::string::npos) << csv;
  EXPECT_THROW(parse_format("xml"), Error);
}

}  // namespace
}  // namespace airlock::audit
