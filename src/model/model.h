// A loaded model: the GGUF file (memory-mapped), its validated hyper-parameters and its weights.
// Immutable after load, so any number of Contexts may run on it from different threads.
#pragma once
#include <filesystem>
#include <memory>

#include "gguf/gguf.h"
#include "model/hparams.h"
#include "model/weights.h"

namespace airlock::model {

class Model {
 public:
  // Opens, validates hyper-parameters and finds every tensor. Throws airlock::Error.
  static std::unique_ptr<Model> load(const std::filesystem::path& path);
  // For a file already open (tests, callers that also read its tokenizer). Takes ownership.
  static std::unique_ptr<Model> from_file(std::unique_ptr<gguf::File> file);

  const gguf::File& file() const { return *file_; }
  const Hparams& hparams() const { return hp_; }
  const Weights& weights() const { return w_; }
  const ArchTraits& arch() const { return *hp_.arch; }

 private:
  Model() = default;
  std::unique_ptr<gguf::File> file_;
  Hparams hp_;
  Weights w_;
};

}  // namespace airlock::model
