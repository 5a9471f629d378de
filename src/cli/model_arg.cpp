#include "model_arg.h"

#include <airlock/error.h>

#include <system_error>

#include "store/store.h"

namespace airlock::cli {

std::filesystem::path resolve_model_arg(const std::string& arg) {
  std::error_code ec;
  const auto status = std::filesystem::status(arg, ec);
  if (std::filesystem::is_regular_file(status)) return arg;
  const char* as_file = std::filesystem::exists(status) ? "not a regular file" : "no such file";
  const std::filesystem::path dir = store::Store::default_dir();
  try {
    return store::Store(dir).resolve(arg).model_path;
  } catch (const Error& e) {
    throw Error("'" + arg + "' is neither a file (" + as_file +
                ") nor a model in the store " + dir.string() + " (" + e.what() + ")");
  }
}

}  // namespace airlock::cli
