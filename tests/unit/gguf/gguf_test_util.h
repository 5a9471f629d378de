// Helpers shared by the GGUF tests: a scratch folder per test, whole-file reads, and turning a
// parsed File back into writer input.
#pragma once
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "gguf/gguf.h"
#include "gguf/writer.h"

namespace airlock::gguf_test {

using gguf::File;
using gguf::TensorToWrite;

// A fresh empty folder, removed with everything in it when the object goes.
class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }
  // Names of the entries in the folder, sorted.
  std::vector<std::string> entries() const;

 private:
  std::filesystem::path path_;
};

std::vector<uint8_t> read_bytes(const std::filesystem::path& p);
void write_bytes(const std::filesystem::path& p, const std::vector<uint8_t>& bytes);

// The tensors of `f` as writer input, their bytes taken in place from the mapping.
std::vector<TensorToWrite> tensors_of(const File& f);

// Every GGUF file under fixtures vocab/ and models/.
std::vector<std::filesystem::path> fixture_ggufs();

}  // namespace airlock::gguf_test
