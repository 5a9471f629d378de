// Runs the built `airlock inspect` on every reference GGUF and checks what it reports against the
// fixtures README (architectures, shapes, vocabularies) and the quantisation each file is named for.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "gguf/writer.h"
#include "support/fixtures.h"

using nlohmann::json;
using namespace airlock;

namespace {

struct CliRun {
  int exit_code = -1;
  std::string out;  // stdout and stderr together
};

CliRun run_airlock(const std::string& args) {
  CliRun r;
  const std::string cmd = std::string(AIRLOCK_BIN) + " " + args + " 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return r;
  std::array<char, 65536> buf;
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  const int status = ::pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::string quote(const std::filesystem::path& p) { return "'" + p.string() + "'"; }

// Architecture by file name, as the fixtures README's table states it.
std::string expected_architecture(const std::string& name) {
  if (name.starts_with("qwen2-gpt2")) return "qwen2";
  if (name.starts_with("bert-bge")) return "bert";
  return "llama";  // stories260K, llama-spm-*
}

// Tensor types a quantisation named in the file name must produce. K-quant "_m" mixes keep some
// tensors at q6_K; F32/F16 norms and biases may appear in any file.
std::set<std::string> expected_types(const std::string& name) {
  if (name.find("q4_k_m") != std::string::npos) return {"q4_K", "q6_K"};
  if (name.find("q5_k_m") != std::string::npos) return {"q5_K", "q6_K"};
  if (name.find("q2_k") != std::string::npos) return {"q2_K"};
  if (name.find("q8_0") != std::string::npos) return {"q8_0"};
  if (name.find("q4_0") != std::string::npos) return {"q4_0"};
  if (name.find("f16") != std::string::npos) return {"f16"};
  return {"f32"};
}

// The GGUF tokenizer model for each vocab fixture: SentencePiece files say "llama", WordPiece
// "bert", byte-level BPE "gpt2" (README: pre-tokenizer types covered).
std::string expected_tokenizer(const std::string& vocab_name) {
  if (vocab_name == "llama-spm" || vocab_name == "phi-3") return "llama";
  if (vocab_name == "bert-bge") return "bert";
  return "gpt2";
}

json inspect_json(const std::filesystem::path& p) {
  const CliRun r = run_airlock("inspect --json " + quote(p));
  EXPECT_EQ(r.exit_code, 0) << r.out;
  return json::parse(r.out);
}

}  // namespace

TEST(CliInspect, ModelFixtures) {
  AIRLOCK_REQUIRE_FIXTURES();
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator(fixtures::dir() / "models")) {
    if (e.path().extension() != ".gguf") continue;
    const std::string name = e.path().stem().string();
    SCOPED_TRACE(name);
    const json j = inspect_json(e.path());
    EXPECT_EQ(j["architecture"], expected_architecture(name));
    EXPECT_EQ(j["gguf_version"], 3);
    std::set<std::string> present;
    uint64_t bytes = 0;
    for (const auto& [type, usage] : j["tensor_types"].items()) {
      present.insert(type);
      bytes += usage["bytes"].get<uint64_t>();
    }
    for (const auto& t : expected_types(name)) EXPECT_TRUE(present.count(t)) << "no " << t << " tensors";
    // Besides the named quantisation only float types may appear, and q6_K: llama.cpp's quantizer
    // keeps the output matrix at q6_K for the low-bit types.
    std::set<std::string> allowed = expected_types(name);
    allowed.insert({"f32", "f16", "q6_K"});
    if (name.find("_k") != std::string::npos) allowed.insert({"q3_K", "q4_K", "q5_K", "q6_K"});
    for (const auto& t : present) EXPECT_TRUE(allowed.count(t)) << "unexpected " << t << " tensors";
    EXPECT_LE(bytes, j["file_size"].get<uint64_t>());
    EXPECT_GT(j["parameters"].get<int64_t>(), 0);
    // A named K-quant or legacy quant must be what general.file_type says.
    if (!j["file_type"].is_null() && name.find('-') != std::string::npos) {
      std::string quant = name.substr(name.rfind('-') + 1);
      for (auto& c : quant) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      EXPECT_EQ(j["file_type"]["name"], quant);
    }
    ++n;
  }
  EXPECT_EQ(n, 9);
}

// Shapes and vocabulary sizes from the README's models table.
TEST(CliInspect, ModelShapesMatchReadme) {
  AIRLOCK_REQUIRE_FIXTURES();
  struct Expect {
    const char* file;
    int embd, layers, heads, kv_heads, vocab;
    const char* tokenizer;
  };
  const Expect cases[] = {
      {"stories260K.gguf", 64, 5, 8, 4, 512, "llama"},
      {"llama-spm-q8_0.gguf", 256, 2, 8, 4, 32000, "llama"},
      {"qwen2-gpt2-q4_k_m.gguf", 256, 2, 4, 2, 50257, "gpt2"},
      {"bert-bge-f16.gguf", 256, 2, 4, -1, -1, "bert"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.file);
    const json j = inspect_json(fixtures::dir() / "models" / c.file);
    EXPECT_EQ(j["embedding_length"], c.embd);
    EXPECT_EQ(j["layers"], c.layers);
    EXPECT_EQ(j["heads"], c.heads);
    if (c.kv_heads > 0) {
      EXPECT_EQ(j["kv_heads"], c.kv_heads);
    }
    if (c.vocab > 0) {
      EXPECT_EQ(j["tokenizer"]["vocab_size"], c.vocab);
    }
    EXPECT_EQ(j["tokenizer"]["model"], c.tokenizer);
  }
}

TEST(CliInspect, VocabFixtures) {
  AIRLOCK_REQUIRE_FIXTURES();
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator(fixtures::dir() / "vocab")) {
    if (e.path().extension() != ".gguf") continue;
    std::string vocab = e.path().stem().string();
    vocab = vocab.substr(std::string("ggml-vocab-").size());
    SCOPED_TRACE(vocab);
    const json j = inspect_json(e.path());
    EXPECT_EQ(j["tokenizer"]["model"], expected_tokenizer(vocab));
    EXPECT_GT(j["tokenizer"]["vocab_size"].get<int64_t>(), 0);
    EXPECT_EQ(j["tensor_count"], 0);
    if (vocab == "qwen2") {
      EXPECT_EQ(j["tokenizer"]["vocab_size"], 151665);
    }
    if (vocab == "llama-bpe") {
      EXPECT_EQ(j["tokenizer"]["vocab_size"], 128256);
    }
    ++n;
  }
  EXPECT_EQ(n, 9);
}

TEST(CliInspect, TextOutput) {
  AIRLOCK_REQUIRE_FIXTURES();
  const CliRun r = run_airlock("inspect " + quote(fixtures::dir() / "models/llama-spm-q4_k_m.gguf"));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("\narchitecture:        llama\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\nfile type:           Q4_K_M (15)\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\ntokenizer:           llama"), std::string::npos) << r.out;
  // The 32,000-entry vocabulary is abbreviated, its first entries shown.
  EXPECT_NE(r.out.find("[\"<unk>\", \"<s>\", \"</s>\", "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(", ... (32000 items)]"), std::string::npos) << r.out;
  EXPECT_LT(r.out.size(), 20000u);
}

// A model with a chat template and long, multi-line strings: each metadata line stays one line,
// cut, with its full length stated.
TEST(CliInspect, ChatTemplateAndLongStrings) {
  const auto path = std::filesystem::temp_directory_path() / ("airlock-inspect-tmpl-" + std::to_string(::getpid()) + ".gguf");
  std::string tmpl;
  for (int k = 0; k < 100; ++k) tmpl += "{% for m in messages %}\n{{ m.content }}{% endfor %}";
  std::vector<float> w(64, 1.0f);
  std::vector<gguf::TensorToWrite> tensors(1);
  tensors[0] = {"w", TensorType::F32, {8, 8}, {reinterpret_cast<const uint8_t*>(w.data()), 256}, {}};
  gguf::write_file(path,
                   {{"general.architecture", gguf::Value::of_string("llama")},
                    {"llama.block_count", gguf::Value::of_u32(3)},
                    {"tokenizer.chat_template", gguf::Value::of_string(tmpl)}},
                   tensors);
  const CliRun text = run_airlock("inspect " + quote(path));
  const CliRun js = run_airlock("inspect --json " + quote(path));
  std::filesystem::remove(path);
  ASSERT_EQ(text.exit_code, 0) << text.out;
  EXPECT_NE(text.out.find("\nchat template:       yes (" + std::to_string(tmpl.size()) + " bytes)\n"), std::string::npos)
      << text.out;
  EXPECT_NE(text.out.find("\nparameters:          64 (64)\n"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("\nlayers:              3\n"), std::string::npos) << text.out;
  const size_t line = text.out.find("  tokenizer.chat_template");
  ASSERT_NE(line, std::string::npos);
  const std::string shown = text.out.substr(line, text.out.find('\n', line) - line);
  EXPECT_NE(shown.find("\"{% for m in messages %}\\n{{ m.content }}"), std::string::npos) << shown;
  EXPECT_NE(shown.find("... (" + std::to_string(tmpl.size()) + " bytes)"), std::string::npos) << shown;
  EXPECT_LT(shown.size(), 300u);

  ASSERT_EQ(js.exit_code, 0) << js.out;
  const json j = json::parse(js.out);
  EXPECT_EQ(j["chat_template"]["present"], true);
  EXPECT_EQ(j["chat_template"]["length"], tmpl.size());
  EXPECT_EQ(j["parameters"], 64);
  EXPECT_EQ(j["tensor_types"]["f32"]["bytes"], 256);
  EXPECT_EQ(j["metadata"][2]["length"], tmpl.size());
}

// Keys and strings from the file reach the terminal escaped: no raw control characters (an escape
// sequence could rewrite the screen) and no bytes that are not UTF-8; valid UTF-8 stays readable.
TEST(CliInspect, TextOutputEscapesControlAndNonUtf8Bytes) {
  const auto path = std::filesystem::temp_directory_path() / ("airlock-inspect-esc-" + std::to_string(::getpid()) + ".gguf");
  std::vector<float> w(4, 1.0f);
  std::vector<gguf::TensorToWrite> tensors(1);
  tensors[0] = {"w", TensorType::F32, {4}, {reinterpret_cast<const uint8_t*>(w.data()), 16}, {}};
  gguf::write_file(path,
                   {{"general.architecture", gguf::Value::of_string("llama")},
                    {"general.name", gguf::Value::of_string("evil\x1b]0;pwned\x07name")},
                    {std::string("bad.\xff\xfe.key\x1b[2J"), gguf::Value::of_u32(1)},
                    {"c1.csi", gguf::Value::of_string("a\xc2\x9b" "31mb")},
                    {"caf\xc3\xa9.ok", gguf::Value::of_string("na\xc3\xafve \xe2\x9c\x93 \xc0\xaf")}},
                   tensors);
  const CliRun r = run_airlock("inspect " + quote(path));
  std::filesystem::remove(path);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  for (unsigned char c : r.out) EXPECT_TRUE(c == '\n' || (c >= 0x20 && c != 0x7f)) << "raw byte " << int(c);
  EXPECT_NE(r.out.find("\nname:                evil\\x1b]0;pwned\\x07name\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  bad.\\xff\\xfe.key\\x1b[2J "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"a\\u009b31mb\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  caf\xc3\xa9.ok "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"na\xc3\xafve \xe2\x9c\x93 \\xc0\\xaf\""), std::string::npos) << r.out;  // overlong '/' escaped
}

TEST(CliInspect, HostileFileIsAOneLineError) {
  const auto path = std::filesystem::temp_directory_path() / ("airlock-inspect-bad-" + std::to_string(::getpid()) + ".gguf");
  {
    std::ofstream out(path, std::ios::binary);
    // A GGUF header claiming a million metadata entries in a 24-byte file.
    const unsigned char bytes[24] = {'G', 'G', 'U', 'F', 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x40, 0x42, 0x0f, 0, 0, 0, 0, 0};
    out.write(reinterpret_cast<const char*>(bytes), sizeof bytes);
  }
  for (const char* flags : {"", "--json "}) {
    const CliRun r = run_airlock(std::string("inspect ") + flags + quote(path));
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.out, "airlock: error: " + path.string() + ": metadata count 1000000 cannot fit in the file\n");
  }
  std::filesystem::remove(path);
  const CliRun missing = run_airlock("inspect " + quote(path));
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_EQ(missing.out, "airlock: error: " + path.string() + ": cannot open: No such file or directory\n");
}

// The effective values: a Gemma 2 27B layout (46 layers, n_embd / n_head = 16, head size 32) with
// no sliding_window or soft-cap keys, as early conversions were, and a Phi-3 with its window.
TEST(CliInspect, EffectiveValuesFollowTheArchitectureRules) {
  const auto path = std::filesystem::temp_directory_path() / ("airlock-inspect-eff-" + std::to_string(::getpid()) + ".gguf");
  auto write = [&](const std::string& arch, uint32_t layers, std::vector<gguf::KeyValue> extra) {
    std::vector<gguf::KeyValue> md{{"general.architecture", gguf::Value::of_string(arch)},
                                   {arch + ".embedding_length", gguf::Value::of_u32(64)},
                                   {arch + ".block_count", gguf::Value::of_u32(layers)},
                                   {arch + ".feed_forward_length", gguf::Value::of_u32(128)},
                                   {arch + ".attention.head_count", gguf::Value::of_u32(4)},
                                   {arch + ".attention.key_length", gguf::Value::of_u32(32)},
                                   {arch + ".attention.value_length", gguf::Value::of_u32(32)},
                                   {arch + ".context_length", gguf::Value::of_u32(8192)},
                                   {arch + ".vocab_size", gguf::Value::of_u32(100)},
                                   {arch + ".attention.layer_norm_rms_epsilon", gguf::Value::of_f32(1e-6f)}};
    md.insert(md.end(), extra.begin(), extra.end());
    gguf::write_file(path, md, {});
  };

  write("gemma2", 46, {});
  const json g = inspect_json(path)["effective"];
  EXPECT_FLOAT_EQ(g["attention_scale"].get<float>(), 0.25f);
  EXPECT_NE(g["attention_scale_rule"].get<std::string>().find("1/sqrt(embedding_length / head_count)"), std::string::npos);
  EXPECT_EQ(g["sliding_window"]["window"], 4096);
  EXPECT_EQ(g["sliding_window"]["windowed_layers"], 23);
  std::string alternating;
  for (int il = 0; il < 46; ++il) alternating += il % 2 == 0 ? 'W' : 'G';
  EXPECT_EQ(g["sliding_window"]["layer_pattern"], alternating);
  EXPECT_EQ(g["rope"]["style"], "neox");
  EXPECT_EQ(g["rope"]["dimensions"], 32);
  EXPECT_EQ(g["rope"]["scaling"], "none");
  EXPECT_EQ(g["attention_softcap"], 50);
  EXPECT_EQ(g["final_softcap"], 30);
  const CliRun text = run_airlock("inspect " + quote(path));
  ASSERT_EQ(text.exit_code, 0) << text.out;
  EXPECT_NE(text.out.find("\n  attention scale:   0.25 (1/sqrt(embedding_length / head_count)"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("\n  sliding window:    4096 tokens on 23 of 46 layers (WGWG"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("\n  rope:              neox, 32 dims, base 10000, scaling none; windowed layers: base 10000, factor 1\n"),
            std::string::npos) << text.out;
  EXPECT_NE(text.out.find("\n  soft-caps:         attention 50, final 30\n"), std::string::npos) << text.out;

  write("phi3", 3,
        {{"phi3.attention.sliding_window", gguf::Value::of_u32(2047)},
         {"phi3.rope.scaling.factor", gguf::Value::of_f32(2)}});
  const json p = inspect_json(path)["effective"];
  EXPECT_FLOAT_EQ(p["attention_scale"].get<float>(), 1 / std::sqrt(32.0f));
  EXPECT_EQ(p["attention_scale_rule"], "1/sqrt(head size)");
  EXPECT_EQ(p["sliding_window"]["window"], 2047);
  EXPECT_EQ(p["sliding_window"]["layer_pattern"], "WWW");
  EXPECT_EQ(p["rope"]["scaling"], "linear");
  EXPECT_EQ(p["rope"]["factor"], 2);
  EXPECT_EQ(p["rope"]["window_layers_factor"], 2);
  EXPECT_EQ(p["attention_softcap"], 0);
  const CliRun phi_text = run_airlock("inspect " + quote(path));
  EXPECT_NE(phi_text.out.find("\n  soft-caps:         attention off, final off\n"), std::string::npos) << phi_text.out;

  // A file airlock cannot run says why instead of showing values.
  gguf::write_file(path, {{"general.architecture", gguf::Value::of_string("gptj")}}, {});
  const json u = inspect_json(path)["effective"];
  EXPECT_NE(u["error"].get<std::string>().find("architecture 'gptj' is not supported"), std::string::npos) << u;
  const CliRun u_text = run_airlock("inspect " + quote(path));
  EXPECT_NE(u_text.out.find("\neffective values:    not available ("), std::string::npos) << u_text.out;
  std::filesystem::remove(path);
}
