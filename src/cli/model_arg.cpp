#include "model_arg.h"

#include <airlock/error.h>

#include <system_error>

#include "store/model_ref.h"
#include "store/store.h"

namespace airlock::cli {

namespace {
// An argument no store name can be: the file opener's own error ("cannot open") is the right one.
bool only_a_path(const std::string& arg) {
  if (arg.ends_with(".gguf") || arg.starts_with("/") || arg.starts_with("./") || arg.starts_with("../")) return true;
  try {
    store::ModelRef::parse(arg);
    return false;
  } catch (const Error&) {
    return true;
  }
}
}  // namespace

std::filesystem::path resolve_model_arg(const std::string& arg) {
  std::error_code ec;
  const auto status = std::filesystem::status(arg, ec);
  if (std::filesystem::is_regular_file(status) || only_a_path(arg)) return arg;
  const char* as_file = std::filesystem::exists(status) ? "not a regular file" : "no such file";
  const std::filesystem::path dir = store::Store::default_dir();
  try {
    return store::Store(dir).resolve(arg).model_path;
  } catch (const Error& e) {
    throw Error("'" + arg + "' is neither a file (" + as_file + ") nor a model in the store " + dir.string() + " (" +
                e.what() + ")");
  }
}

}  // namespace airlock::cli
