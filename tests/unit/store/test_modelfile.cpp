#include <airlock/error.h>
#include <gtest/gtest.h>

#include "store/modelfile.h"

using namespace airlock;
using airlock::store::Modelfile;

TEST(Modelfile, ParsesEveryInstruction) {
  auto m = Modelfile::parse(R"(# comment
FROM ./tiny.gguf
parameter temperature 0.5
PARAMETER num_ctx 4096
PARAMETER stop "<|end|>"
PARAMETER stop <|user|>
TEMPLATE """{{ .System }}
{{ .Prompt }}"""
SYSTEM You are terse.
MESSAGE user "Hi \"there\""
MESSAGE assistant Hello
LICENSE """MIT
text"""
)", "Modelfile");
  EXPECT_EQ(m.from, "./tiny.gguf");
  EXPECT_DOUBLE_EQ(m.parameters["temperature"].get<double>(), 0.5);
  EXPECT_EQ(m.parameters["num_ctx"].get<int>(), 4096);
  EXPECT_EQ(m.parameters["stop"], nlohmann::json::array({"<|end|>", "<|user|>"}));
  EXPECT_EQ(*m.template_text, "{{ .System }}\n{{ .Prompt }}");
  EXPECT_EQ(*m.system, "You are terse.");
  ASSERT_EQ(m.messages.size(), 2u);
  EXPECT_EQ(m.messages[0]["content"], "Hi \"there\"");
  EXPECT_EQ(m.messages[1]["role"], "assistant");
  EXPECT_EQ(*m.license, "MIT\ntext");

  auto again = Modelfile::parse(m.render(), "rendered");
  EXPECT_EQ(again.parameters, m.parameters);
  EXPECT_EQ(again.template_text, m.template_text);
  EXPECT_EQ(again.messages, m.messages);
}

TEST(Modelfile, ErrorsNameTheLine) {
  try {
    Modelfile::parse("FROM x\n\nBOGUS y\n", "mf");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("mf:3"), std::string::npos) << e.what();
  }
  EXPECT_THROW(Modelfile::parse("SYSTEM hi\n", "mf"), Error);             // no FROM
  EXPECT_THROW(Modelfile::parse("FROM x\nSYSTEM \"\"\"open\n", "mf"), Error);
  EXPECT_THROW(Modelfile::parse("FROM x\nADAPTER a.gguf\n", "mf"), Error);
  EXPECT_THROW(Modelfile::parse("FROM x\nMESSAGE robot hi\n", "mf"), Error);
}

// The property fuzz_store_modelfile checks: what render() writes parses back to the same Modelfile.
TEST(Modelfile, RenderRoundTripsOddValues) {
  for (const char* text : {"FROM \"  spaced.gguf \"\n", "FROM \"\\\"quoted\"\n", "FROM \"\"\"two\nlines\"\"\"\n",
                           "FROM x\nPARAMETER temperature nan\nPARAMETER top_p inf\n"}) {
    SCOPED_TRACE(text);
    const Modelfile m = Modelfile::parse(text, "mf");
    const Modelfile again = Modelfile::parse(m.render(), "rendered");
    EXPECT_EQ(again.from, m.from);
    EXPECT_EQ(again.parameters, m.parameters);
  }
  // JSON has no NaN or infinity: such values stay text rather than turn into null.
  EXPECT_EQ(Modelfile::parse("FROM x\nPARAMETER temperature nan\n", "mf").parameters["temperature"], "nan");
  EXPECT_EQ(Modelfile::parse("FROM plain.gguf\n", "mf").render(), "FROM plain.gguf\n");
}
