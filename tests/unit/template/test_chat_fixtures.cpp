// Every case of every reference chat template (rendered by Python Jinja2 the way the model hubs
// do) must come out byte for byte the same, or fail with the same raise_exception message.
#include <gtest/gtest.h>

#include <airlock/error.h>

#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "support/fixtures.h"
#include "template/chat_template.h"

using namespace airlock;
using nlohmann::ordered_json;

TEST(TemplateFixtures, EveryCaseRendersExactly) {
  AIRLOCK_REQUIRE_FIXTURES();
  std::set<std::filesystem::path> files;
  for (auto& e : std::filesystem::directory_iterator(fixtures::dir() / "templates"))
    if (e.path().string().ends_with(".expected.json")) files.insert(e.path());
  ASSERT_GE(files.size(), 16u);
  int total = 0, passed = 0;
  for (auto& path : files) {
    SCOPED_TRACE(path.filename().string());
    ordered_json spec = ordered_json::parse(fixtures::read_file(path));
    std::string source = fixtures::read_file(fixtures::dir() / "templates" / spec["template"].get<std::string>());
    int ok = 0, n = 0;
    std::unique_ptr<tmpl::ChatTemplate> t;
    try {
      t = std::make_unique<tmpl::ChatTemplate>(source);
    } catch (const Error& e) {
      ADD_FAILURE() << "parse: " << e.what();
    }
    for (auto& c : spec["cases"]) {
      ++n;
      if (!t) continue;
      SCOPED_TRACE("case " + std::to_string(n));
      tmpl::ChatOptions opt;
      opt.add_generation_prompt = c["add_generation_prompt"].get<bool>();
      opt.bos_token = spec["bos_token"].get<std::string>();
      opt.eos_token = spec["eos_token"].get<std::string>();
      opt.date = spec["date"].get<std::string>();
      if (c.contains("tools")) opt.tools = c["tools"];
      try {
        std::string out = t->render(c["messages"], opt);
        if (c.contains("rendered")) {
          EXPECT_EQ(out, c["rendered"].get<std::string>());
          ok += out == c["rendered"].get<std::string>();
        } else {
          ADD_FAILURE() << "expected error '" << c["error"].get<std::string>() << "', rendered:\n" << out;
        }
      } catch (const Error& e) {
        if (c.contains("error")) {
          std::string msg = e.what(), want = c["error"].get<std::string>();
          // Our message is "template line N: <message raised by the template>".
          EXPECT_TRUE(msg.ends_with(": " + want)) << msg;
          ok += msg.ends_with(": " + want);
        } else {
          ADD_FAILURE() << "render failed: " << e.what();
        }
      }
    }
    std::printf("%-60s %d/%d cases\n", path.filename().string().c_str(), ok, n);
    total += n;
    passed += ok;
  }
  std::printf("all templates: %d/%d cases\n", passed, total);
  EXPECT_EQ(passed, total);
}
