// `airlock template MODEL_OR_TEMPLATE --messages FILE.json`: renders a chat prompt with a GGUF
// model's chat template (and its BOS/EOS token texts) or with a .jinja file, and prints it exactly.
#include <airlock/error.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "command.h"
#include "model_arg.h"
#include "gguf/gguf.h"
#include "template/chat_template.h"

namespace {

struct Args {
  std::string source;
  std::string messages_file;
  std::string tools_file;
  bool add_generation_prompt = false;
  std::string bos, eos, date;
  bool have_bos = false, have_eos = false;
};

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw airlock::Error(path + ": cannot open");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

nlohmann::ordered_json read_json(const std::string& path) {
  try {
    return nlohmann::ordered_json::parse(read_text(path));
  } catch (const nlohmann::json::exception& e) {
    throw airlock::Error(path + ": invalid JSON: " + e.what());
  }
}

// tokens[id] of the vocabulary, or "" when the model does not name such a token.
std::string token_text(const airlock::gguf::File& f, const char* id_key) {
  auto id = f.get_int(id_key);
  const airlock::gguf::Array* tokens = f.get_array("tokenizer.ggml.tokens");
  if (!id || !tokens) return "";
  if (*id < 0 || static_cast<uint64_t>(*id) >= tokens->size())
    throw airlock::Error(f.path().string() + ": " + id_key + " " + std::to_string(*id) + " is outside the vocabulary");
  return std::string(tokens->string_at(static_cast<size_t>(*id)));
}

void run(const Args& a) {
  namespace tmpl = airlock::tmpl;
  tmpl::ChatOptions opt;
  opt.add_generation_prompt = a.add_generation_prompt;
  opt.date = a.date;
  std::string source;
  std::string origin = a.source;
  bool is_template_file = a.source.size() >= 6 && a.source.ends_with(".jinja");
  if (is_template_file) {
    source = read_text(a.source);
  } else {
    auto f = airlock::gguf::File::open(airlock::cli::resolve_model_arg(a.source));
    source = f->get_string("tokenizer.chat_template").value_or("");
    opt.bos_token = token_text(*f, "tokenizer.ggml.bos_token_id");
    opt.eos_token = token_text(*f, "tokenizer.ggml.eos_token_id");
  }
  if (a.have_bos) opt.bos_token = a.bos;
  if (a.have_eos) opt.eos_token = a.eos;

  nlohmann::ordered_json messages = read_json(a.messages_file);
  if (messages.is_object()) {  // also accept {"messages": [...], "tools": [...]}, as in API requests
    if (messages.contains("tools")) opt.tools = messages["tools"];
    messages = nlohmann::ordered_json(messages["messages"]);
  }
  if (!messages.is_array()) throw airlock::Error(a.messages_file + ": expected a JSON array of messages");
  if (!a.tools_file.empty()) opt.tools = read_json(a.tools_file);

  // A .jinja file the user named must parse; a model's broken or missing template falls back.
  tmpl::ChatTemplate t = is_template_file ? tmpl::ChatTemplate(source) : tmpl::ChatTemplate::or_chatml(source, origin);
  std::string out = t.render(messages, opt);
  std::fwrite(out.data(), 1, out.size(), stdout);
}

airlock::cli::Registrar reg("template", [](CLI::App& app) {
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("template", "Render a chat prompt with a model's chat template");
  cmd->add_option("model_or_template", args->source, "GGUF model, model-store NAME[:TAG], or a .jinja chat template file")->required();
  cmd->add_option("--messages", args->messages_file, "JSON file: array of {role, content, ...}")->required();
  cmd->add_option("--tools", args->tools_file, "JSON file: array of tool definitions");
  cmd->add_flag("--add-generation-prompt", args->add_generation_prompt, "End with the assistant turn header");
  cmd->add_option("--bos", args->bos, "BOS token text (default: the model's)")->each([args](const std::string&) { args->have_bos = true; });
  cmd->add_option("--eos", args->eos, "EOS token text (default: the model's)")->each([args](const std::string&) { args->have_eos = true; });
  cmd->add_option("--date", args->date, "Date for strftime_now, YYYY-MM-DD (default: today, UTC)");
  cmd->callback([args] { run(*args); });
});

}  // namespace
