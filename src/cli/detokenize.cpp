// airlock detokenize MODEL.gguf [--json] [--keep-special] IDS...
// Prints the text of the token ids (raw bytes), or with --json a JSON string in which bytes that
// are not valid UTF-8 are replaced by U+FFFD.
#include <airlock/error.h>

#include <cstdio>
#include <string>
#include <vector>

#include "command.h"
#include "model_arg.h"
#include "gguf/gguf.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/utf8.h"

namespace {

struct Options {
  std::string model;
  std::vector<std::string> ids;
  bool json = false;
  bool remove_special = false;
};

// A JSON string literal of text, invalid UTF-8 replaced by U+FFFD.
std::string json_string(const std::string& text) {
  std::string out = "\"";
  for (unsigned char c : airlock::tokenizer::utf8_replace_invalid(text)) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

int32_t parse_id(const std::string& s) {
  size_t used = 0;
  long long v = 0;
  try {
    v = std::stoll(s, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != s.size() || s.empty() || v < INT32_MIN || v > INT32_MAX)
    throw airlock::Error("detokenize: '" + s + "' is not a token id");
  return static_cast<int32_t>(v);
}

airlock::cli::Registrar reg("detokenize", [](CLI::App& app) {
  auto opt = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("detokenize", "Print the text of token ids");
  cmd->add_option("model", opt->model, "GGUF model or vocab file, or a model-store NAME[:TAG]")->required();
  cmd->add_option("ids", opt->ids, "Token ids (space-separated; commas and brackets allowed)")
      ->required();
  cmd->add_flag("--json", opt->json, "Print a JSON string");
  cmd->add_flag("--remove-special", opt->remove_special,
                "Drop the BOS/EOS the model adds around text");
  cmd->callback([opt] {
    std::vector<int32_t> ids;
    for (std::string arg : opt->ids) {
      // Accept "[1, 2, 3]" pasted from `tokenize --json` as well as plain ids.
      for (char& c : arg)
        if (c == '[' || c == ']' || c == ',') c = ' ';
      size_t pos = 0;
      while ((pos = arg.find_first_not_of(' ', pos)) != std::string::npos) {
        const size_t end = arg.find(' ', pos);
        ids.push_back(parse_id(arg.substr(pos, end - pos)));
        pos = end;
      }
    }
    auto file = airlock::gguf::File::open(airlock::cli::resolve_model_arg(opt->model));
    auto tok = airlock::tokenizer::Tokenizer::from_gguf(*file);
    airlock::tokenizer::DecodeOptions dopt;
    dopt.remove_special = opt->remove_special;
    const std::string text = tok->decode(ids, dopt);
    const std::string out = (opt->json ? json_string(text) : text) + "\n";
    std::fwrite(out.data(), 1, out.size(), stdout);
  });
});

}  // namespace
