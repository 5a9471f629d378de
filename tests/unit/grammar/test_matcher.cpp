// Incremental matching: strings a grammar should and should not accept, UTF-8 split across calls,
// completeness and shortest completion.
#include <gtest/gtest.h>

#include "grammar/grammar.h"
#include "grammar/matcher.h"

namespace airlock::grammar {
namespace {

bool matches(const std::shared_ptr<const Grammar>& g, std::string_view s) {
  Matcher m(g);
  return m.accept(s) && m.is_complete();
}

bool prefix_ok(const std::shared_ptr<const Grammar>& g, std::string_view s) {
  Matcher m(g);
  return m.accept(s);
}

TEST(Matcher, RepetitionCounts) {
  auto g = Grammar::parse("root ::= \"a\"{2,4} \"b\"* \"c\"+ \"d\"? \"e\"{2} \"f\"{1,}");
  EXPECT_TRUE(matches(g, "aacee" "f"));
  EXPECT_TRUE(matches(g, "aaaabbbccdeeff"));
  EXPECT_FALSE(matches(g, "acef"));       // one a
  EXPECT_FALSE(prefix_ok(g, "aaaaa"));    // five a
  EXPECT_FALSE(matches(g, "aacddeef"));   // two d
  EXPECT_FALSE(matches(g, "aaceeef"));    // three e
  EXPECT_FALSE(matches(g, "aacee"));      // no f
}

TEST(Matcher, ClassesRangesNegationAndAny) {
  auto g = Grammar::parse(R"(root ::= [a-cx] [^0-9\n] . [\]\-] [\u00e0-\u00ff])");
  EXPECT_TRUE(matches(g, "a#\xe2\x82\xac]\xc3\xa9"));  // a # € ] é
  EXPECT_TRUE(matches(g, "x \n-\xc3\xa0"));
  EXPECT_FALSE(prefix_ok(g, "d"));
  EXPECT_FALSE(prefix_ok(g, "a5"));
  EXPECT_FALSE(prefix_ok(g, "a\n"));
  EXPECT_FALSE(matches(g, "a##]\xc3\x9f"));  // ß is U+00DF, below the range
}

TEST(Matcher, Utf8AcrossCallsAndInvalidBytes) {
  auto g = Grammar::parse("root ::= \"\xf0\x9f\x98\x80\" [\xc3\xa9\xe2\x82\xac]");  // 😀 then é or €
  Matcher m(g);
  EXPECT_TRUE(m.accept("\xf0\x9f"));
  EXPECT_FALSE(m.is_complete());
  EXPECT_TRUE(m.accept("\x98\x80\xe2"));
  EXPECT_TRUE(m.accept("\x82"));
  EXPECT_FALSE(m.is_complete());
  EXPECT_TRUE(m.accept("\xac"));
  EXPECT_TRUE(m.is_complete());
  EXPECT_FALSE(prefix_ok(g, "\xf0\x9f\x98\x81"));  // wrong last byte
  EXPECT_FALSE(prefix_ok(g, "\xf0\x9f\x98\x80\xe2\x82\xad"));
  auto any = Grammar::parse("root ::= .*");
  EXPECT_FALSE(prefix_ok(any, "\xc0\x80"));      // overlong
  EXPECT_FALSE(prefix_ok(any, "\xed\xa0"));      // surrogate prefix: no valid completion
  EXPECT_FALSE(prefix_ok(any, "\xf4\x90"));      // above U+10FFFF
  EXPECT_FALSE(prefix_ok(any, "\x80"));
  EXPECT_FALSE(prefix_ok(any, "\xff"));
  EXPECT_TRUE(prefix_ok(any, "\xed\x9f\xbf\xf4\x8f\xbf\xbf"));
  // A lead byte is refused at once when no character it can start is allowed.
  auto ascii = Grammar::parse("root ::= [\\x00-\\x7f\\u0800-\\u0fff]*");
  EXPECT_FALSE(prefix_ok(ascii, "\xc3"));
  EXPECT_TRUE(prefix_ok(ascii, "\xe0\xa0"));
  EXPECT_FALSE(prefix_ok(ascii, "\xe1"));
}

TEST(Matcher, RecursionCompletenessAndContinuation) {
  auto g = Grammar::parse(R"(root ::= list
list ::= "[" ( item ("," item)* )? "]"
item ::= list | [0-9]+)");
  EXPECT_TRUE(matches(g, "[]"));
  EXPECT_TRUE(matches(g, "[1,[2,[]],[[[33]]]]"));
  EXPECT_FALSE(matches(g, "[1,[2]"));
  EXPECT_FALSE(prefix_ok(g, "[1,]"));
  Matcher m(g);
  m.accept("[[1");
  EXPECT_FALSE(m.is_complete());
  EXPECT_TRUE(m.can_continue());
  EXPECT_EQ(m.shortest_completion_bytes(), 2u);  // "]]"
  m.accept("]]");
  EXPECT_TRUE(m.is_complete());
  EXPECT_FALSE(m.can_continue());
  EXPECT_FALSE(m.accept("]"));
  EXPECT_TRUE(m.dead());

  auto digits = Grammar::parse("root ::= [0-9]+");
  Matcher d(digits);
  d.accept("12");
  EXPECT_TRUE(d.is_complete());
  EXPECT_TRUE(d.can_continue());
}

TEST(Matcher, ShortestCompletionCountsBytes) {
  auto g = Grammar::parse(R"(root ::= "{" body "}"
body ::= "\"k\":" ( "\u00e9" | "long-word" ) | "xyzzy-longer")");
  Matcher m(g);
  EXPECT_EQ(m.shortest_completion_bytes(), 8u);  // {"k":é} with é two bytes
  m.accept("{\"k\":\xc3");
  EXPECT_EQ(m.shortest_completion_bytes(), 2u);  // the rest of é, then }
}

TEST(Matcher, EmptyAlternativesAndGroups) {
  auto g = Grammar::parse("root ::= (\"a\" | ) (\"b\" \"c\")? \"d\"");
  for (const char* s : {"d", "ad", "bcd", "abcd"}) EXPECT_TRUE(matches(g, s)) << s;
  for (const char* s : {"bd", "aad", "abd"}) EXPECT_FALSE(matches(g, s)) << s;
}

}  // namespace
}  // namespace airlock::grammar
