#include <gtest/gtest.h>

#include "sample/stop_matcher.h"

using namespace airlock;

namespace {

// Feeds the pieces and returns everything emitted, flushing at the end when nothing matched.
std::string run(StopMatcher& m, const std::vector<std::string>& pieces) {
  std::string out;
  for (const auto& p : pieces) out += m.feed(p);
  if (!m.stopped()) out += m.flush();
  return out;
}

}  // namespace

TEST(StopMatcher, MatchInsideOnePiece) {
  StopMatcher m({"STOP"});
  EXPECT_EQ(m.feed("abc STOP def"), "abc ");
  EXPECT_TRUE(m.stopped());
  EXPECT_EQ(m.matched(), "STOP");
  EXPECT_EQ(m.feed("more"), "");
}

TEST(StopMatcher, MatchAcrossTokenBoundaries) {
  StopMatcher m({"</s>"});
  EXPECT_EQ(m.feed("Hello <"), "Hello ");
  EXPECT_EQ(m.feed("/"), "");
  EXPECT_EQ(m.feed("s"), "");
  EXPECT_FALSE(m.stopped());
  EXPECT_EQ(m.feed("> world"), "");
  EXPECT_TRUE(m.stopped());
}

TEST(StopMatcher, FalseStartIsReleased) {
  StopMatcher m({"</s>"});
  EXPECT_EQ(m.feed("a </"), "a ");
  EXPECT_EQ(m.feed("b>"), "</b>");
  EXPECT_FALSE(m.stopped());
}

TEST(StopMatcher, PartialMatchReleasedAtTheEnd) {
  StopMatcher m({"\nUser:"});
  EXPECT_EQ(m.feed("the end\nUs"), "the end");
  EXPECT_EQ(m.flush(), "\nUs");
  EXPECT_FALSE(m.stopped());
}

TEST(StopMatcher, OverlappingPrefixes) {
  StopMatcher m({"aab"});
  EXPECT_EQ(run(m, {"a", "a", "a", "b", "c"}), "a");
  EXPECT_TRUE(m.stopped());
}

TEST(StopMatcher, EarliestOfSeveralStopsWins) {
  StopMatcher m({"world", "lo w", ""});
  EXPECT_EQ(run(m, {"hel", "lo wor", "ld"}), "hel");
  EXPECT_EQ(m.matched(), "lo w");
}

TEST(StopMatcher, NoStopsPassesEverythingThrough) {
  StopMatcher m({});
  EXPECT_EQ(m.feed("abc"), "abc");
  EXPECT_EQ(m.flush(), "");
}

TEST(StopMatcher, MultiByteUtf8StopAcrossPieces) {
  StopMatcher m({"\xE2\x80\x94" "END"});  // em dash + END
  EXPECT_EQ(m.feed("x\xE2\x80"), "x");
  EXPECT_EQ(m.feed("\x94" "EN"), "");
  EXPECT_EQ(m.feed("D!"), "");
  EXPECT_TRUE(m.stopped());
}
