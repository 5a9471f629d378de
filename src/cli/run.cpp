// `airlock run MODEL [PROMPT]`: generate from a prompt, streaming to stdout; without a prompt, an
// interactive chat using the model's chat template. Ctrl-C stops the current answer.
#include <airlock/airlock.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "command.h"
#include "model_arg.h"

namespace {

struct Options {
  std::string model;
  std::string prompt;
  airlock::GenerateOptions gen;
  uint64_t seed = 0;
  int64_t ctx = 4096;
  int threads = 0;
  bool verbose = false;
  std::string grammar_file;  // GBNF
  std::string format;        // "json"
  std::string schema_file;   // JSON Schema
};

std::atomic<bool> g_interrupted{false};

extern "C" void on_sigint(int) { g_interrupted.store(true); }

// Streams text to stdout; returns false (cancel) once Ctrl-C was pressed.
bool print_piece(std::string_view piece) {
  std::fwrite(piece.data(), 1, piece.size(), stdout);
  std::fflush(stdout);
  return !g_interrupted.load();
}

double per_second(int64_t n, int64_t ns) { return ns > 0 ? static_cast<double>(n) * 1e9 / static_cast<double>(ns) : 0.0; }

void report_load(const Options& o, const airlock::ModelInfo& info) {
  if (!o.verbose) return;
  std::fprintf(stderr, "load: %.1f ms (%s, %s, ctx %lld, kv cache %.1f MiB)\n", static_cast<double>(info.load_ns) / 1e6,
               info.path.c_str(), info.arch.c_str(), static_cast<long long>(info.n_ctx),
               static_cast<double>(info.kv_cache_bytes) / (1 << 20));
}

void report(const Options& o, const airlock::GenerateResult& r) {
  if (!o.verbose) return;
  std::fprintf(stderr, "prompt: %lld tokens, %.1f ms, %.2f tokens/s\n", static_cast<long long>(r.prompt_tokens),
               static_cast<double>(r.prompt_eval_ns) / 1e6, per_second(r.prompt_tokens, r.prompt_eval_ns));
  std::fprintf(stderr, "generation: %lld tokens, %.1f ms, %.2f tokens/s, done: %s\n",
               static_cast<long long>(r.generated_tokens), static_cast<double>(r.eval_ns) / 1e6,
               per_second(r.generated_tokens, r.eval_ns), r.done_reason.c_str());
}

// Reads user lines until /bye or end of input; each turn re-renders the whole conversation with
// the chat template, and the session reuses the KV cache for the part it has already seen.
void chat(const Options& o, const airlock::Model& model, airlock::Session& session) {
  std::vector<airlock::ChatMessage> messages;
  std::string line;
  for (;;) {
    std::printf(">>> ");
    std::fflush(stdout);
    if (!std::getline(std::cin, line) || line == "/bye") break;
    if (line.empty()) continue;
    messages.push_back({"user", line});
    const auto tokens = model.tokenize_prompt(model.render_chat(messages));
    g_interrupted.store(false);
    const auto r = session.generate(tokens, o.gen, print_piece);
    std::printf("\n\n");
    messages.push_back({"assistant", r.text});
    report(o, r);
  }
}

std::string read_file(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw airlock::Error(std::string(what) + " " + path + ": cannot read");
  std::ostringstream text;
  text << in.rdbuf();
  // An empty constraint would mean no constraint at all: refuse rather than run unconstrained.
  if (text.str().empty()) throw airlock::Error(std::string(what) + " " + path + ": empty file");
  return text.str();
}

void run(Options& o) {
  if (!o.grammar_file.empty()) o.gen.grammar = read_file(o.grammar_file, "--grammar");
  if (!o.schema_file.empty()) o.gen.format = read_file(o.schema_file, "--schema");
  if (!o.format.empty()) o.gen.format = o.format;
  auto model = airlock::Model::load(airlock::cli::resolve_model_arg(o.model), {.n_ctx = o.ctx, .n_threads = o.threads});
  report_load(o, model->info());
  model->compile_constraint(o.gen.grammar, o.gen.format);  // a bad grammar fails before any work
  std::signal(SIGINT, on_sigint);
  auto session = model->new_session();
  if (o.prompt.empty()) {
    chat(o, *model, *session);
    return;
  }
  const auto r = session->generate(o.prompt, o.gen, print_piece);
  std::printf("\n");
  report(o, r);
}

airlock::cli::Registrar reg("run", [](CLI::App& app) {
  auto o = std::make_shared<Options>();
  auto& s = o->gen.sampling;
  // As llama.cpp's command line: no repeat penalty unless asked, so --temperature 0 is plain greedy.
  s.repeat_penalty = 1.0f;
  auto* cmd = app.add_subcommand("run", "Generate text from a prompt (no prompt: interactive chat)");
  cmd->add_option("model", o->model, "GGUF model file or model-store NAME[:TAG]")->required();
  cmd->add_option("prompt", o->prompt, "Prompt; omit for an interactive chat");
  cmd->add_option("--temperature", s.temperature, "Sampling temperature (0: greedy)");
  cmd->add_option("--top-k", s.top_k, "Keep the K most likely tokens (0: off)");
  cmd->add_option("--top-p", s.top_p, "Nucleus sampling threshold (1: off)");
  cmd->add_option("--min-p", s.min_p, "Drop tokens below this fraction of the best one's probability");
  cmd->add_option("--typical-p", s.typical_p, "Locally typical sampling (1: off)");
  cmd->add_option("--repeat-penalty", s.repeat_penalty, "Penalty for repeated tokens (default 1: off)");
  cmd->add_option("--repeat-last-n", s.repeat_last_n, "Tokens the repeat penalty looks back (-1: all)");
  cmd->add_option("--presence-penalty", s.presence_penalty, "OpenAI presence penalty");
  cmd->add_option("--frequency-penalty", s.frequency_penalty, "OpenAI frequency penalty");
  auto* seed = cmd->add_option("--seed", o->seed, "Random seed (same seed, same output)");
  cmd->add_option("-n,--num-predict", o->gen.num_predict, "Most tokens to generate (-1: until done)");
  cmd->add_option("--ctx", o->ctx, "Context length")->check(CLI::Range(int64_t{1}, int64_t{1} << 24));
  cmd->add_option("--threads", o->threads, "Threads (0: one per core)");
  cmd->add_option("--stop", o->gen.stop, "Stop generating before this text (repeatable)");
  cmd->add_flag("--verbose", o->verbose, "Print load time and tokens/s to stderr");
  auto* grammar = cmd->add_option("--grammar", o->grammar_file, "Constrain the output to this GBNF grammar file");
  auto* format = cmd->add_option("--format", o->format, "Constrain the output: json (any JSON object)")
                     ->check(CLI::IsMember({"json"}));
  auto* schema = cmd->add_option("--schema", o->schema_file, "Constrain the output to this JSON Schema file");
  grammar->excludes(format);  // excludes() works both ways
  grammar->excludes(schema);
  format->excludes(schema);
  cmd->callback([o, seed] {
    if (*seed) {
      o->gen.sampling.seed = o->seed;
      o->gen.sampling.has_seed = true;
    }
    run(*o);
  });
});

}  // namespace
