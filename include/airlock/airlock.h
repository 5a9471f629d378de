// The airlock C++ API: load a GGUF model, tokenize, generate text, compute embeddings.
// Used by the CLI and the HTTP server. A Model is immutable after load and may be shared by any
// number of threads; each Session (one conversation, its own KV cache) is used by one thread at a
// time. Every failure is an airlock::Error with a one-line message.
#pragma once
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "airlock/error.h"
#include "airlock/sampling.h"

namespace airlock {

struct LoadOptions {
  int64_t n_ctx = 4096;   // positions per session, capped at the model's training context
  int n_threads = 0;      // per session; <= 0: one per core
  int64_t n_batch = 512;  // prompt tokens per forward pass
  std::string kv_type = "f16";  // KV cache storage: "f16", "q8_0" (half of f16) or "f32"
};

struct ModelInfo {
  std::string path;
  std::string arch;           // general.architecture
  std::string name;           // general.name, or ""
  int64_t n_vocab = 0;
  int64_t n_ctx_train = 0;    // the model's own context length
  int64_t n_ctx = 0;          // what each session gets (LoadOptions::n_ctx capped by n_ctx_train)
  int64_t n_embd = 0;         // hidden size = embedding length
  int64_t n_layer = 0;
  uint64_t file_size = 0;
  uint64_t kv_cache_bytes = 0;  // one session's KV cache
  bool is_embedding = false;  // an encoder: embed() works, generation does not
  std::string chat_template;  // tokenizer.chat_template, or ""
  int32_t bos = -1, eos = -1; // -1: none
  int64_t load_ns = 0;        // time Model::load took
};

struct GenerateOptions {
  SamplingParams sampling;
  int64_t num_predict = -1;        // most tokens to generate; < 0: until end of generation or context
  std::vector<std::string> stop;   // generation ends before any of these strings
  // A full context during generation: false ends it with "length"; true drops the older half of
  // the tokens after the first n_keep (re-rotating the rest) and generation goes on.
  bool context_shift = false;
  int64_t n_keep = 0;
  // Constrained output, at most one of the two (Model::compile_constraint checks them). Only
  // tokens that keep the output valid are sampled; it ends when the structure is complete
  // (done_reason "stop"), or complete but on the shortest path forced by num_predict or the
  // context running out ("length").
  std::string grammar;  // GBNF text with a `root` rule
  std::string format;   // "json" (any JSON object) or a JSON Schema object as JSON text
};

struct GenerateResult {
  std::string text;                // everything streamed, stop string excluded
  std::vector<int32_t> tokens;     // generated token ids
  std::string done_reason;         // "stop" (EOS/EOT or a stop string), "length", "cancel"
  int64_t prompt_tokens = 0;       // prompt tokens evaluated (reused prefix not counted)
  int64_t generated_tokens = 0;
  int64_t context_shifts = 0;      // times a full context dropped its older half (context_shift)
  int64_t prompt_eval_ns = 0;
  int64_t eval_ns = 0;             // generation, after the first token's logits
  int64_t total_ns = 0;
};

// Receives each piece of text as soon as it is safe to show (complete UTF-8, not part of a
// possible stop string). Return false to cancel; the result then has done_reason "cancel".
using TextCallback = std::function<bool(std::string_view piece)>;

class Session;

class Model {
 public:
  // Opens and validates the file; weights stay memory-mapped. Throws airlock::Error.
  static std::shared_ptr<Model> load(const std::filesystem::path& path, const LoadOptions& opts = {});
  ~Model();
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

  const ModelInfo& info() const;

  std::vector<int32_t> tokenize(std::string_view text, bool add_special = true,
                                bool parse_special = false) const;
  std::string detokenize(std::span<const int32_t> tokens) const;
  bool is_end_of_generation(int32_t token) const;

  // Compiles a grammar / format (see GenerateOptions) into this model's cache (a bounded LRU keyed
  // by the text, shared by all sessions), so a server can reject a bad one before queuing and
  // repeated requests skip compilation. Nothing to do when both are empty. Throws airlock::Error
  // ("grammar: line 2 col 5: ...", "format: unsupported keyword ...") for a bad one.
  void compile_constraint(std::string_view grammar, std::string_view format) const;

  // A new conversation with its own KV cache (allocated here, info().kv_cache_bytes).
  std::unique_ptr<Session> new_session() const;

  // The pooled embedding of a text (encoders: pooling from the model's metadata); with
  // normalize, scaled to unit length. Throws for a text longer than the context.
  std::vector<float> embed(std::string_view text, bool normalize) const;

  struct Impl;

 private:
  explicit Model(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;  // shared with its sessions, which may outlive this handle
};

class Session {
 public:
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Continues the conversation with `prompt` tokens: whatever prefix of them is already in the
  // KV cache is reused, the rest is evaluated, then up to num_predict tokens are generated and
  // streamed. Throws airlock::Error when prompt + generation would exceed the context.
  GenerateResult generate(std::span<const int32_t> prompt, const GenerateOptions& opts,
                          const TextCallback& on_text);
  // Tokenizes (add_special, no special-token parsing) and generates.
  GenerateResult generate(std::string_view prompt, const GenerateOptions& opts,
                          const TextCallback& on_text);

  // Evaluates `tokens` from an empty context and returns the logits of every position,
  // n_vocab floats each (for scoring and for `airlock logits`).
  std::vector<float> evaluate(std::span<const int32_t> tokens);

  // The tokens the KV cache holds (prompt and generated).
  const std::vector<int32_t>& history() const;
  void reset();

  struct Impl;

 private:
  friend class Model;
  explicit Session(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace airlock
