// airlock tokenize MODEL.gguf [--json] [--special] [--verbose] [--no-add-special] [TEXT]
// Prints the token ids of TEXT (or of standard input when TEXT is absent) as the model's
// tokenizer produces them: space-separated, a JSON array, or one "id<TAB>piece" per line.
#include <cstdio>
#include <iostream>
#include <iterator>
#include <string>

#include "command.h"
#include "model_arg.h"
#include "gguf/gguf.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/utf8.h"

namespace {

// A piece on one line: control characters and backslashes escaped, and every non-ASCII byte
// too when the piece is not valid UTF-8 by itself (a byte-fallback token).
std::string printable(const std::string& piece) {
  const bool valid = airlock::tokenizer::utf8_replace_invalid(piece) == piece;
  std::string out;
  for (unsigned char c : piece) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c < 0x20 || c == 0x7F || (c >= 0x80 && !valid)) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

struct Options {
  std::string model;
  std::string text;
  bool json = false;
  bool special = false;
  bool verbose = false;
  bool no_add_special = false;
};

airlock::cli::Registrar reg("tokenize", [](CLI::App& app) {
  auto opt = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("tokenize", "Print the token ids of a text");
  cmd->add_option("model", opt->model, "GGUF model or vocab file, or a model-store NAME[:TAG]")->required();
  cmd->add_option("text", opt->text, "Text to tokenize (standard input when absent)");
  cmd->add_flag("--json", opt->json, "Print a JSON array");
  cmd->add_flag("--special", opt->special,
                "Recognise control-token text such as <|eot_id|> (for templated prompts)");
  cmd->add_flag("--verbose,-v", opt->verbose, "One 'id<TAB>piece' per line");
  cmd->add_flag("--no-add-special", opt->no_add_special, "Do not add BOS/EOS ([CLS]/[SEP])");
  cmd->callback([opt, cmd] {
    if (cmd->count("text") == 0)
      opt->text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    auto file = airlock::gguf::File::open(airlock::cli::resolve_model_arg(opt->model));
    auto tok = airlock::tokenizer::Tokenizer::from_gguf(*file);
    const auto ids = tok->encode(opt->text, !opt->no_add_special, opt->special);
    std::string out;
    if (opt->verbose) {
      for (int32_t id : ids)
        out += std::to_string(id) + "\t" + printable(tok->token_to_piece(id)) + "\n";
    } else {
      out = opt->json ? "[" : "";
      for (size_t i = 0; i < ids.size(); ++i)
        out += (i ? (opt->json ? ", " : " ") : "") + std::to_string(ids[i]);
      out += opt->json ? "]\n" : "\n";
    }
    std::fwrite(out.data(), 1, out.size(), stdout);
  });
});

}  // namespace
