#include "model/model.h"

namespace airlock::model {

std::unique_ptr<Model> Model::load(const std::filesystem::path& path) {
  return from_file(gguf::File::open(path));
}

std::unique_ptr<Model> Model::from_file(std::unique_ptr<gguf::File> file) {
  std::unique_ptr<Model> m(new Model());
  m->hp_ = read_hparams(*file);
  m->w_ = load_weights(*file, m->hp_);
  m->file_ = std::move(file);
  return m;
}

}  // namespace airlock::model
