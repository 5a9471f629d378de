// `airlock quantize IN OUT TYPE`: converts a synthetic F16 file into a quantized one whose bytes do
// not depend on the thread count, reporting progress per tensor, and refuses bad input with one line, leaving nothing behind.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>

#include "gguf/gguf.h"
#include "support/cli_runner.h"

using namespace airlock;
namespace fs = std::filesystem;

namespace {

class QuantizeCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("airlock-quantize-cli-" + std::to_string(::getpid()) + "-" + std::to_string(std::random_device{}()));
    fs::create_directories(dir_);
    const auto r = cli_runner::run(std::string(AIRLOCK_BIN) + " synth --preset demo --embd 256 --layers 2 -o " +
                                       cli_runner::quote((dir_ / "f16.gguf").string()),
                                   true);
    ASSERT_EQ(r.status, 0) << r.out;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  cli_runner::Result quantize(const std::string& in, const std::string& out, const std::string& type,
                              const std::string& extra = "") {
    return cli_runner::run(std::string(AIRLOCK_BIN) + " quantize " + cli_runner::quote(in) + " " +
                               cli_runner::quote(out) + " " + cli_runner::quote(type) + " " + extra,
                           true);
  }
  std::string p(const char* name) const { return (dir_ / name).string(); }
  // Names in the folder besides the ones given: a failed command must leave no temp file.
  int files() const { return static_cast<int>(std::distance(fs::directory_iterator(dir_), fs::directory_iterator())); }

  fs::path dir_;
};

std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

TEST_F(QuantizeCli, WritesTheFileTypeAndTheSameBytesForAnyThreadCount) {
  auto r1 = quantize(p("f16.gguf"), p("one.gguf"), "q4_k_m", "--threads 1");
  ASSERT_EQ(r1.status, 0) << r1.out;
  EXPECT_NE(r1.out.find("wrote"), std::string::npos) << r1.out;
  auto r2 = quantize(p("f16.gguf"), p("two.gguf"), "Q4_K_M", "-t 2");
  ASSERT_EQ(r2.status, 0) << r2.out;
  auto f = gguf::File::open(p("one.gguf"));
  EXPECT_EQ(f->get_int("general.file_type"), 15);  // llama.cpp's LLAMA_FTYPE_MOSTLY_Q4_K_M
  int q4 = 0, converted = 0;
  for (const auto& t : f->tensors()) {
    q4 += t.type == TensorType::Q4_K;
    converted += t.type != TensorType::F32;  // the F16 matrices; norms stay F32
  }
  EXPECT_GT(q4, 4);
  // Progress counts the converted tensors and ends at all of them.
  const std::string done = "quantize: tensor " + std::to_string(converted) + "/" + std::to_string(converted) + "\n";
  EXPECT_NE(r1.out.find(done), std::string::npos) << r1.out;
  EXPECT_TRUE(slurp(p("one.gguf")) == slurp(p("two.gguf")));
}

TEST_F(QuantizeCli, RefusesBadInputAndLeavesNothingBehind) {
  ASSERT_EQ(quantize(p("f16.gguf"), p("q8.gguf"), "Q8_0").status, 0);
  const int before = files();
  struct Case {
    std::string in, out, type, message;
  };
  const Case cases[] = {
      {p("f16.gguf"), p("x.gguf"), "Q9_9", "unknown file type 'Q9_9'"},
      {p("q8.gguf"), p("x.gguf"), "Q4_K_M", "is already q8_0"},
      {p("missing.gguf"), p("x.gguf"), "Q4_K_M", "missing.gguf"},
      {p("f16.gguf"), p("f16.gguf"), "Q4_K_M", "is the input file"},
      {p("f16.gguf"), p("no-such-dir/x.gguf"), "Q4_K_M", "no-such-dir"},
  };
  for (const Case& c : cases) {
    const auto r = quantize(c.in, c.out, c.type);
    EXPECT_NE(r.status, 0) << c.type << " " << c.out;
    EXPECT_NE(r.out.find(c.message), std::string::npos) << r.out;
    EXPECT_EQ(files(), before) << r.out;
  }
  // The refused overwrite left the source intact.
  EXPECT_EQ(gguf::File::open(p("f16.gguf"))->get_int("general.file_type"), 1);
}

// An importance matrix in llama-imatrix's layout with one entry per matrix of `model`, values
// 1 + (column % 7); `short_for` gets one value too few (a matrix for another model).
void write_imatrix(const std::string& model, const std::string& out, const std::string& short_for = "") {
  auto put = [](std::string& s, auto v) { s.append(reinterpret_cast<const char*>(&v), sizeof v); };
  std::string entries;
  int32_t n = 0;
  const auto file = gguf::File::open(model);
  for (const auto& t : file->tensors()) {
    if (t.n_dims < 2) continue;
    const int64_t nval = t.ne[0] - (t.name == short_for ? 1 : 0);
    put(entries, static_cast<int32_t>(t.name.size()));
    entries += t.name;
    put(entries, int32_t{2});
    put(entries, static_cast<int32_t>(nval));
    for (int64_t k = 0; k < nval; ++k) put(entries, static_cast<float>(1 + k % 7));
    ++n;
  }
  std::string bytes;
  put(bytes, n);
  std::ofstream(out, std::ios::binary) << bytes + entries;
}

TEST_F(QuantizeCli, ImatrixChangesTheQuantsNotTheirIndependenceOfThreads) {
  write_imatrix(p("f16.gguf"), p("m.imatrix"));
  ASSERT_EQ(quantize(p("f16.gguf"), p("plain.gguf"), "Q4_K_M").status, 0);
  auto r1 = quantize(p("f16.gguf"), p("one.gguf"), "Q4_K_M", "--imatrix " + cli_runner::quote(p("m.imatrix")) + " -t 1");
  ASSERT_EQ(r1.status, 0) << r1.out;
  auto r2 = quantize(p("f16.gguf"), p("two.gguf"), "Q4_K_M", "--imatrix " + cli_runner::quote(p("m.imatrix")) + " -t 2");
  ASSERT_EQ(r2.status, 0) << r2.out;
  EXPECT_TRUE(slurp(p("one.gguf")) == slurp(p("two.gguf")));
  EXPECT_FALSE(slurp(p("one.gguf")) == slurp(p("plain.gguf")));
  auto f = gguf::File::open(p("one.gguf"));
  EXPECT_EQ(f->get_string("quantize.imatrix.file"), p("m.imatrix"));
  EXPECT_GT(f->get_int("quantize.imatrix.entries_count").value_or(0), 4);
}

TEST_F(QuantizeCli, RefusesABadOrMismatchedImatrixAndLeavesNothingBehind) {
  write_imatrix(p("f16.gguf"), p("short.imatrix"), "blk.1.ffn_down.weight");
  write_imatrix(p("f16.gguf"), p("good.imatrix"));
  const std::string good = slurp(p("good.imatrix"));
  std::ofstream(p("cut.imatrix"), std::ios::binary) << good.substr(0, good.size() - 3);
  const int before = files();
  struct Case {
    std::string imatrix, message;
  };
  const Case cases[] = {
      {p("short.imatrix"), "blk.1.ffn_down.weight, which needs"},
      {p("cut.imatrix"), "cut.imatrix: not an importance matrix"},
      {p("missing.imatrix"), "missing.imatrix"},
  };
  for (const Case& c : cases) {
    const auto r = quantize(p("f16.gguf"), p("x.gguf"), "Q4_K_M", "--imatrix " + cli_runner::quote(c.imatrix));
    EXPECT_NE(r.status, 0) << c.imatrix;
    EXPECT_NE(r.out.find(c.message), std::string::npos) << r.out;
    EXPECT_EQ(files(), before) << r.out;
  }
}

TEST_F(QuantizeCli, CreateQuantizesWithTheImatrixAndNeedsQuantizeForIt) {
  write_imatrix(p("f16.gguf"), p("m.imatrix"));
  std::ofstream(p("Modelfile")) << "FROM " << p("f16.gguf") << "\n";
  const std::string env = "AIRLOCK_MODELS=" + cli_runner::quote(p("store")) + " ";
  const std::string create = env + std::string(AIRLOCK_BIN) + " create m -f " + cli_runner::quote(p("Modelfile"));
  const auto alone = cli_runner::run(create + " --imatrix " + cli_runner::quote(p("m.imatrix")), true);
  EXPECT_NE(alone.status, 0);
  EXPECT_NE(alone.out.find("only used with --quantize"), std::string::npos) << alone.out;
  const auto r = cli_runner::run(create + " --quantize Q4_K_M --imatrix " + cli_runner::quote(p("m.imatrix")), true);
  ASSERT_EQ(r.status, 0) << r.out;
  // The stored model is the file `airlock quantize --imatrix` writes from the same input.
  ASSERT_EQ(quantize(p("f16.gguf"), p("q.gguf"), "Q4_K_M", "--imatrix " + cli_runner::quote(p("m.imatrix"))).status, 0);
  const std::string want = slurp(p("q.gguf"));
  bool found = false;
  for (const auto& e : fs::recursive_directory_iterator(p("store")))
    found |= e.is_regular_file() && e.file_size() == want.size() && slurp(e.path().string()) == want;
  EXPECT_TRUE(found);
}

}  // namespace
