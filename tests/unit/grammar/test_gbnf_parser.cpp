// GBNF parsing: what is accepted, and that every bad grammar gets a one-line error that says where.
#include <gtest/gtest.h>

#include "airlock/error.h"
#include "grammar/grammar.h"
#include "grammar/matcher.h"
#include "support/error_of.h"

namespace airlock::grammar {
namespace {

std::string error_of(std::string_view gbnf) { return testing::error_of([&] { Grammar::parse(gbnf); }); }

TEST(GbnfParser, ParsesTheFullSyntax) {
  const char* src = R"(# a comment line
root ::= greeting ws name ("!" | "?")* [.]? # trailing comment
greeting ::= "hello" | "h\x69" | "\u00e9t\U0001F600"
name ::= [A-Z] [a-z0-9_-]{1,5}
ws ::= [ \t\n]+
)";
  auto g = Grammar::parse(src);
  EXPECT_GE(g->rule_count(), 4u);
  EXPECT_EQ(g->rule_name(g->root()), "root");
}

TEST(GbnfParser, RulesMaySpanLinesWithAlternativesOnNewLines) {
  auto g = Grammar::parse("root ::= \"a\"\n  | \"b\"\n  | (\n \"c\"\n )\nother ::= \"x\"\n");
  for (const char* s : {"a", "b", "c"}) {
    Matcher m(g);
    EXPECT_TRUE(m.accept(s) && m.is_complete()) << s;
  }
}

TEST(GbnfParser, ReportsLineAndColumn) {
  EXPECT_EQ(error_of("root ::= \"a\"\nfoo ::= bar\n"), "grammar line 2 col 9: undefined rule 'bar'");
  EXPECT_EQ(error_of("root ::= \"abc"), "grammar line 1 col 10: unterminated string literal");
  EXPECT_EQ(error_of("root ::= [abc"), "grammar line 1 col 10: unterminated character class");
  EXPECT_EQ(error_of("root ::= (\"a\" | \"b\""), "grammar line 1 col 10: missing ')'");
  EXPECT_EQ(error_of("root ::= \"a\" )"), "grammar line 1 col 14: unmatched ')'");
  EXPECT_EQ(error_of("root ::= * \"a\""), "grammar line 1 col 10: '*' has nothing to repeat");
  EXPECT_EQ(error_of("root ::= \"a\"{3,2}"), "grammar line 1 col 13: repetition has max below min");
  EXPECT_EQ(error_of("root ::= \"\\q\""), "grammar line 1 col 11: unknown escape '\\q'");
  EXPECT_EQ(error_of("root ::= \"\\xZZ\""), "grammar line 1 col 13: expected 2 hex digits");
  EXPECT_EQ(error_of("root ::= [z-a]"), "grammar line 1 col 10: character range is reversed");
  EXPECT_EQ(error_of("root = \"a\""), "grammar line 1 col 6: expected '::=' after rule name 'root'");
  EXPECT_EQ(error_of("root ::= \"a\"\nroot ::= \"b\""), "grammar line 2 col 1: rule 'root' is defined twice");
  EXPECT_EQ(error_of("root ::= @"), "grammar line 1 col 10: unexpected character '@'");
  EXPECT_EQ(error_of("root ::= \"a\"{99999}"), "grammar line 1 col 14: repetition count above 10000");
  EXPECT_EQ(error_of("root ::= [^\\x00-\\U0010FFFF]"), "grammar line 1 col 10: character class matches nothing");
}

TEST(GbnfParser, RefusesLeftRecursionAndEndlessRules) {
  EXPECT_EQ(error_of("root ::= expr\nexpr ::= expr \"+\" \"1\" | \"1\""), "grammar: left recursion through rule 'expr'");
  // Hidden behind a nullable prefix.
  EXPECT_EQ(error_of("root ::= a\na ::= [x]? b\nb ::= a \"y\" | \"z\""), "grammar: left recursion through rule 'a'");
  EXPECT_EQ(error_of("root ::= \"x\" root"), "grammar: rule 'root' can never finish (every alternative recurses or matches nothing)");
  EXPECT_EQ(error_of("start ::= \"x\""), "grammar: no rule named 'root' to start from");
  EXPECT_EQ(error_of(""), "grammar: no rule named 'root' to start from");
}

TEST(GbnfParser, RefusesInvalidUtf8InLiterals) {
  EXPECT_EQ(error_of("root ::= \"\xC3\""), "grammar line 1 col 11: invalid UTF-8");
  EXPECT_EQ(error_of("root ::= \"\xC0\x80\""), "grammar line 1 col 11: invalid UTF-8");
}

}  // namespace
}  // namespace airlock::grammar
