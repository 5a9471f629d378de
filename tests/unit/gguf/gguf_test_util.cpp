#include "gguf_test_util.h"

#include <unistd.h>

#include <algorithm>
#include <fstream>

#include "support/fixtures.h"

namespace airlock::gguf_test {

ScratchDir::ScratchDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "airlock-gguf-test-XXXXXX").string();
  if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

ScratchDir::~ScratchDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::vector<std::string> ScratchDir::entries() const {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(path_)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<uint8_t> read_bytes(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary | std::ios::ate);
  std::vector<uint8_t> out(in ? static_cast<size_t>(in.tellg()) : 0);
  in.seekg(0);
  in.read(reinterpret_cast<char*>(out.data()), static_cast<std::streamsize>(out.size()));
  return out;
}

void write_bytes(const std::filesystem::path& p, const std::vector<uint8_t>& bytes) {
  std::ofstream out(p, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

std::vector<TensorToWrite> tensors_of(const File& f) {
  std::vector<TensorToWrite> out;
  for (const auto& t : f.tensors()) {
    TensorToWrite w;
    w.name = t.name;
    w.type = t.type;
    w.dims.assign(t.ne.begin(), t.ne.begin() + t.n_dims);
    w.data = std::span<const uint8_t>(t.data, t.nbytes);
    out.push_back(std::move(w));
  }
  return out;
}

std::vector<std::filesystem::path> fixture_ggufs() {
  std::vector<std::filesystem::path> out;
  for (const char* sub : {"vocab", "models"})
    for (const auto& e : std::filesystem::directory_iterator(fixtures::dir() / sub))
      if (e.path().extension() == ".gguf") out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace airlock::gguf_test
