// airlock inspect FILE.gguf [--json]: what a model file is (architecture, size, quantisation,
// shape, tokenizer, chat template), the effective values airlock will compute with, and every
// metadata key, read without loading any weights.
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "command.h"
#include "effective_hparams.h"
#include "model_arg.h"
#include "gguf/file_type.h"
#include "gguf/gguf.h"
#include "gguf/value_format.h"

namespace {

using namespace airlock;
using nlohmann::json;

struct TypeUsage {
  int64_t count = 0;
  uint64_t bytes = 0;
};

// The facts `inspect` reports, gathered once and printed as text or JSON.
json summarize(const gguf::File& f) {
  json j;
  j["file"] = f.path().string();
  j["gguf_version"] = f.version();
  j["alignment"] = f.alignment();
  j["split_count"] = f.split_count();
  j["file_size"] = f.file_size();
  const std::string arch = f.architecture();
  j["architecture"] = arch;
  j["name"] = f.get_string("general.name").value_or("");

  int64_t params = 0;
  std::map<std::string, TypeUsage> by_type;
  for (const auto& t : f.tensors()) {
    params += t.n_elements();
    auto& u = by_type[type_name(t.type)];
    ++u.count;
    u.bytes += t.nbytes;
  }
  j["parameters"] = params;
  j["tensor_count"] = f.tensors().size();
  j["tensor_types"] = json::object();
  for (const auto& [name, u] : by_type) j["tensor_types"][name] = {{"count", u.count}, {"bytes", u.bytes}};

  if (auto ft = f.get_int("general.file_type")) j["file_type"] = {{"id", *ft}, {"name", gguf::file_type_name(*ft)}};
  else j["file_type"] = nullptr;

  // Shape facts are stored under the architecture's own prefix, e.g. llama.block_count.
  const std::pair<const char*, const char*> shape_keys[] = {
      {"context_length", "context_length"},     {"embedding_length", "embedding_length"},
      {"layers", "block_count"},                {"heads", "attention.head_count"},
      {"kv_heads", "attention.head_count_kv"},  {"feed_forward_length", "feed_forward_length"},
  };
  for (const auto& [field, suffix] : shape_keys) {
    auto v = f.get_int(arch + "." + suffix);
    j[field] = v ? json(*v) : json(nullptr);
  }

  const auto* tokens = f.find("tokenizer.ggml.tokens");
  j["tokenizer"] = {{"model", f.get_string("tokenizer.ggml.model").value_or("")},
                    {"pre", f.get_string("tokenizer.ggml.pre").value_or("")},
                    {"vocab_size", tokens && tokens->type == gguf::ValueType::ARRAY ? tokens->arr.size() : 0}};
  j["effective"] = cli::effective_hparams(f);

  const auto tmpl = f.get_string("tokenizer.chat_template");
  j["chat_template"] = {{"present", tmpl.has_value()}, {"length", tmpl ? tmpl->size() : 0}};

  json meta = json::array();
  for (const auto& kv : f.metadata()) {
    json e = {{"key", kv.key}, {"type", gguf::type_label(kv.value)}, {"value", gguf::value_to_json(kv.value)}};
    if (kv.value.type == gguf::ValueType::ARRAY) e["count"] = kv.value.arr.size();
    if (kv.value.type == gguf::ValueType::STRING) e["length"] = kv.value.s.size();
    meta.push_back(std::move(e));
  }
  j["metadata"] = std::move(meta);
  return j;
}

std::string human_count(int64_t n) {
  char buf[32];
  if (n >= 1'000'000'000) std::snprintf(buf, sizeof buf, "%.2fB", n / 1e9);
  else if (n >= 1'000'000) std::snprintf(buf, sizeof buf, "%.2fM", n / 1e6);
  else if (n >= 1'000) std::snprintf(buf, sizeof buf, "%.1fK", n / 1e3);
  else std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(n));
  return buf;
}

std::string human_bytes(uint64_t n) {
  char buf[32];
  if (n >= (1ull << 30)) std::snprintf(buf, sizeof buf, "%.2f GiB", n / double(1ull << 30));
  else if (n >= (1ull << 20)) std::snprintf(buf, sizeof buf, "%.2f MiB", n / double(1ull << 20));
  else if (n >= (1ull << 10)) std::snprintf(buf, sizeof buf, "%.1f KiB", n / double(1ull << 10));
  else std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(n));
  return buf;
}

std::string or_dash(const json& v) { return v.is_null() ? "-" : v.dump(); }

// Every string that comes from the file is escaped (escape_text): it is not ours to send raw to
// the terminal.
void print_text(const gguf::File& f, const json& j) {
  auto line = [](const char* label, const std::string& value) { std::printf("%-20s %s\n", label, value.c_str()); };
  line("file:", j["file"].get<std::string>());
  line("gguf version:", std::to_string(f.version()));
  line("alignment:", std::to_string(f.alignment()));
  if (f.split_count() > 1) line("split parts:", std::to_string(f.split_count()));
  line("file size:", human_bytes(f.file_size()));
  line("architecture:", gguf::escape_text(j["architecture"].get<std::string>()));
  line("name:", gguf::escape_text(j["name"].get<std::string>()));
  line("parameters:", human_count(j["parameters"].get<int64_t>()) + " (" + j["parameters"].dump() + ")");
  line("file type:", j["file_type"].is_null() ? "-"
                                              : j["file_type"]["name"].get<std::string>() + " (" +
                                                    j["file_type"]["id"].dump() + ")");
  line("context length:", or_dash(j["context_length"]));
  line("embedding length:", or_dash(j["embedding_length"]));
  line("layers:", or_dash(j["layers"]));
  line("heads:", or_dash(j["heads"]) + " (kv " + or_dash(j["kv_heads"]) + ")");
  const auto& tok = j["tokenizer"];
  line("tokenizer:", gguf::escape_text(tok["model"].get<std::string>()) +
                         " (pre: " + gguf::escape_text(tok["pre"].get<std::string>()) + "), " +
                         tok["vocab_size"].dump() + " tokens");
  line("chat template:", j["chat_template"]["present"].get<bool>()
                             ? "yes (" + j["chat_template"]["length"].dump() + " bytes)"
                             : "no");
  cli::print_effective_hparams(j["effective"]);
  line("tensors:", j["tensor_count"].dump());
  for (const auto& [name, u] : j["tensor_types"].items())
    std::printf("  %-10s %6s tensors %12s\n", name.c_str(), u["count"].dump().c_str(),
                human_bytes(u["bytes"].get<uint64_t>()).c_str());
  std::printf("metadata (%zu keys):\n", f.metadata().size());
  for (const auto& kv : f.metadata())
    std::printf("  %-40s %-15s %s\n", gguf::escape_text(kv.key).c_str(), gguf::type_label(kv.value).c_str(),
                gguf::format_value(kv.value).c_str());
}

airlock::cli::Registrar reg("inspect", [](CLI::App& app) {
  auto* cmd = app.add_subcommand("inspect", "Show what a GGUF model file holds");
  struct Options {
    std::string file;
    bool json = false;
  };
  auto opts = std::make_shared<Options>();
  cmd->add_option("file", opts->file, "GGUF file (any part of a split model) or model-store NAME[:TAG]")->required();
  cmd->add_flag("--json", opts->json, "Print one JSON document");
  cmd->callback([opts] {
    auto f = gguf::File::open(airlock::cli::resolve_model_arg(opts->file));
    const json j = summarize(*f);
    if (opts->json) {
      // Metadata strings may hold bytes that are not UTF-8; show them replaced rather than fail.
      std::printf("%s\n", j.dump(2, ' ', false, json::error_handler_t::replace).c_str());
    } else {
      print_text(*f, j);
    }
  });
});

}  // namespace
