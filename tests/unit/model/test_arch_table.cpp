// supported_arch_names() is read off the architecture table: every name it lists has a row, and
// the architectures docs/ARCHITECTURES.md names are all listed (a new row needs no edit here).
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "model/arch.h"

namespace airlock::model {
namespace {

std::set<std::string> listed_names() {
  std::set<std::string> out;
  const std::string names(supported_arch_names());
  size_t start = 0;
  while (start <= names.size()) {
    size_t end = names.find(", ", start);
    if (end == std::string::npos) end = names.size();
    EXPECT_TRUE(out.insert(names.substr(start, end - start)).second) << "listed twice: " << names;
    start = end + 2;
  }
  return out;
}

TEST(ArchTable, EveryListedNameHasItsRow) {
  for (const auto& name : listed_names()) {
    const ArchTraits* row = find_arch(name);
    ASSERT_NE(row, nullptr) << name;
    EXPECT_EQ(row->name, name);
  }
}

TEST(ArchTable, ListsTheSupportedArchitectures) {
  const auto listed = listed_names();
  for (const char* name : {"llama", "qwen2", "qwen3", "phi3", "gemma2", "gemma3", "bert", "nomic-bert"})
    EXPECT_TRUE(listed.contains(name)) << name << " missing from: " << supported_arch_names();
  EXPECT_FALSE(listed.contains("gpt2"));
}

}  // namespace
}  // namespace airlock::model
