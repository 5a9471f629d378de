#include "common/utf8.h"

#include <gtest/gtest.h>

#include <string>

namespace airlock {
namespace {

std::string encode(uint32_t cp) {
  std::string out;
  append_utf8(out, cp);
  return out;
}

// Expected bytes from RFC 3629's table (and its examples), at each length's first and last code
// point.
TEST(AppendUtf8, EncodesEachLengthAtItsBoundaries) {
  EXPECT_EQ(encode(0x00), std::string(1, '\0'));
  EXPECT_EQ(encode(0x41), "A");
  EXPECT_EQ(encode(0x7F), "\x7F");
  EXPECT_EQ(encode(0x80), "\xC2\x80");
  EXPECT_EQ(encode(0xE9), "\xC3\xA9");
  EXPECT_EQ(encode(0x7FF), "\xDF\xBF");
  EXPECT_EQ(encode(0x800), "\xE0\xA0\x80");
  EXPECT_EQ(encode(0x20AC), "\xE2\x82\xAC");
  EXPECT_EQ(encode(0xFFFF), "\xEF\xBF\xBF");
  EXPECT_EQ(encode(0x10000), "\xF0\x90\x80\x80");
  EXPECT_EQ(encode(0x1F600), "\xF0\x9F\x98\x80");
  EXPECT_EQ(encode(0x10FFFF), "\xF4\x8F\xBF\xBF");
}

TEST(AppendUtf8, AppendsToWhatIsThere) {
  std::string out = "x";
  append_utf8(out, 0x65E5);  // 日
  append_utf8(out, 0x672C);  // 本
  EXPECT_EQ(out, "x\xE6\x97\xA5\xE6\x9C\xAC");
}

// The same bytes the compiler produces for a u8 literal.
TEST(AppendUtf8, MatchesTheCompilersEncoding) {
  const std::u8string expected = u8"\u00DF\u4E2D\U0001D11E";
  std::string out;
  for (uint32_t cp : {0xDFu, 0x4E2Du, 0x1D11Eu}) append_utf8(out, cp);
  EXPECT_EQ(out, std::string(expected.begin(), expected.end()));
}

}  // namespace
}  // namespace airlock
