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

}  // namespace
