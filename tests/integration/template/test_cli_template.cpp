// Runs the `airlock template` binary on the reference chat templates, on a GGUF carrying a chat
// template and vocabulary, and on a GGUF without one, and checks what it prints.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sys/wait.h>
#include <unistd.h>

#include "gguf/writer.h"
#include "support/fixtures.h"

using namespace airlock;
using nlohmann::ordered_json;
namespace fs = std::filesystem;

namespace {

struct Result {
  int rc = -1;
  std::string out, err;
};

std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

class CliTemplate : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("airlock_cli_template_" + std::to_string(getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path write(const std::string& name, const std::string& text) {
    fs::path p = dir_ / name;
    std::ofstream(p, std::ios::binary) << text;
    return p;
  }

  Result run(const std::vector<std::string>& args) {
    std::string cmd = shell_quote(AIRLOCK_BINARY) + " template";
    for (auto& a : args) cmd += " " + shell_quote(a);
    fs::path out = dir_ / "stdout", err = dir_ / "stderr";
    cmd += " >" + shell_quote(out.string()) + " 2>" + shell_quote(err.string());
    Result r;
    int status = std::system(cmd.c_str());
    r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = fixtures::read_file(out);
    r.err = fixtures::read_file(err);
    return r;
  }

  fs::path dir_;
};

ordered_json load_spec(const std::string& name) {
  return ordered_json::parse(fixtures::read_file(fixtures::dir() / "templates" / (name + ".expected.json")));
}

}  // namespace

TEST_F(CliTemplate, JinjaFilesRenderLikeTheReference) {
  AIRLOCK_REQUIRE_FIXTURES();
  std::set<std::string> names;
  for (auto& e : fs::directory_iterator(fixtures::dir() / "templates"))
    if (e.path().extension() == ".jinja") names.insert(e.path().stem().string());
  ASSERT_GE(names.size(), 16u);
  for (auto& name : names) {
    SCOPED_TRACE(name);
    ordered_json spec = load_spec(name);
    for (auto& c : spec["cases"]) {
      if (!c.contains("rendered")) continue;
      fs::path messages = write("messages.json", c["messages"].dump());
      std::vector<std::string> args = {(fixtures::dir() / "templates" / (name + ".jinja")).string(),
                                       "--messages", messages.string(),
                                       "--bos", spec["bos_token"].get<std::string>(),
                                       "--eos", spec["eos_token"].get<std::string>(),
                                       "--date", spec["date"].get<std::string>()};
      if (c["add_generation_prompt"].get<bool>()) args.push_back("--add-generation-prompt");
      Result r = run(args);
      EXPECT_EQ(r.rc, 0) << r.err;
      EXPECT_EQ(r.out, c["rendered"].get<std::string>());
      break;  // one case per template keeps this quick; the unit tests cover every case
    }
  }
}

TEST_F(CliTemplate, GgufTemplateAndTokenTextsFromTheModel) {
  AIRLOCK_REQUIRE_FIXTURES();
  ordered_json spec = load_spec("google-gemma-2-2b-it");
  std::string source = fixtures::read_file(fixtures::dir() / "templates" / "google-gemma-2-2b-it.jinja");
  // BOS and EOS texts must come from tokens[bos_token_id] / tokens[eos_token_id].
  std::vector<gguf::KeyValue> kv = {
      {"general.architecture", gguf::Value::of_string("gemma2")},
      {"tokenizer.ggml.model", gguf::Value::of_string("llama")},
      {"tokenizer.ggml.tokens", gguf::Value::of_strings({"<pad>", spec["eos_token"].get<std::string>(),
                                                         spec["bos_token"].get<std::string>(), "a"})},
      {"tokenizer.ggml.bos_token_id", gguf::Value::of_u32(2)},
      {"tokenizer.ggml.eos_token_id", gguf::Value::of_u32(1)},
      {"tokenizer.chat_template", gguf::Value::of_string(source)},
  };
  fs::path model = dir_ / "gemma-template.gguf";
  gguf::write_file(model, kv, {});
  for (auto& c : spec["cases"]) {
    fs::path messages = write("messages.json", c["messages"].dump());
    std::vector<std::string> args = {model.string(), "--messages", messages.string(), "--date", "2026-01-15"};
    if (c["add_generation_prompt"].get<bool>()) args.push_back("--add-generation-prompt");
    Result r = run(args);
    if (c.contains("rendered")) {
      EXPECT_EQ(r.rc, 0) << r.err;
      EXPECT_EQ(r.out, c["rendered"].get<std::string>());
    } else {
      // The template's raise_exception becomes a one-line error and a failing exit status.
      EXPECT_EQ(r.rc, 1);
      EXPECT_EQ(r.out, "");
      EXPECT_NE(r.err.find("airlock: error: template line "), std::string::npos) << r.err;
      EXPECT_NE(r.err.find(c["error"].get<std::string>() + "\n"), std::string::npos) << r.err;
    }
  }
}

TEST_F(CliTemplate, ModelWithoutTemplateFallsBackToChatML) {
  AIRLOCK_REQUIRE_FIXTURES();
  fs::path messages = write("messages.json", R"([{"role":"system","content":"S"},{"role":"user","content":"Hi"}])");
  Result r = run({(fixtures::dir() / "models" / "stories260K.gguf").string(), "--messages", messages.string(),
                  "--add-generation-prompt"});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out, "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
  EXPECT_NE(r.err.find("no chat template; using ChatML"), std::string::npos) << r.err;
}

TEST_F(CliTemplate, BadInputIsAOneLineError) {
  AIRLOCK_REQUIRE_FIXTURES();
  fs::path tmpl = fixtures::dir() / "templates" / "microsoft-Phi-3.5-mini-instruct.jinja";
  fs::path bad_json = write("bad.json", "[{\"role\": ");
  Result r = run({tmpl.string(), "--messages", bad_json.string()});
  EXPECT_EQ(r.rc, 1);
  EXPECT_EQ(r.err.rfind("airlock: error: " + bad_json.string() + ": invalid JSON", 0), 0u) << r.err;

  fs::path not_array = write("obj.json", "{\"role\": \"user\"}");
  r = run({tmpl.string(), "--messages", not_array.string()});
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.err.find("expected a JSON array of messages"), std::string::npos) << r.err;

  fs::path broken = write("broken.jinja", "{% for m in messages %}{{ m.content }");
  fs::path ok = write("ok.json", "[]");
  r = run({broken.string(), "--messages", ok.string()});
  EXPECT_EQ(r.rc, 1);
  EXPECT_EQ(r.err, "airlock: error: template line 1: unexpected '}'\n");

  r = run({(dir_ / "missing.gguf").string(), "--messages", ok.string()});
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.err.find("missing.gguf"), std::string::npos) << r.err;
}
