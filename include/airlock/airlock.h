// The airlock C++ API: load a GGUF model, render chats with its template, generate text (one
// conversation at a time with a Session, or many requests batched together with submit()), and
// compute embeddings. The CLI and the HTTP server generate through the same engine. A Model may be
// shared by any number of threads; each Session (one conversation, its own KV cache) is used by
// one thread at a time. Every failure is an airlock::Error with a one-line message and a kind.
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
  int n_parallel = 4;     // submit(): requests decoded together (each its own KV cache slot)
  int max_queue = 512;    // submit(): requests waiting for a slot before submit() refuses (Busy)
};

struct ChatMessage {
  std::string role;  // "system", "user", "assistant"
  std::string content;
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
  // submit(): report each token's log-probability (under the distribution sampled from: after
  // penalties and the constraint's mask, before temperature and truncation) to on_token.
  bool logprobs = false;
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

// One generated token: its id, its own bytes (a token may hold part of a UTF-8 character; the
// streamed text never does) and, when GenerateOptions::logprobs, its log-probability (else NaN).
struct TokenInfo {
  int32_t id;
  std::string_view bytes;
  float logprob;
};

// What a submitted request reports while it runs, on the model's scheduler thread: keep them short.
// on_text returning false cancels the request (done_reason "cancel").
struct StreamCallbacks {
  TextCallback on_text;
  std::function<void(const TokenInfo&)> on_token;
};

class Session;
class Request;

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

  // A conversation rendered with the model's chat template (ChatML when it has none), ending with
  // the assistant's turn opened.
  std::string render_chat(const std::vector<ChatMessage>& messages) const;
  // The same for messages given as JSON ([{"role", "content", "tool_calls", ...}]) with optional
  // tools (a JSON array, "" for none), as the OpenAI and native chat APIs carry them.
  std::string render_chat_json(std::string_view messages_json, std::string_view tools_json = {}) const;
  // A rendered prompt as tokens: BOS once (even when the template wrote it), control tokens that
  // the template wrote as text recognised.
  std::vector<int32_t> tokenize_prompt(std::string_view rendered) const;

  // Queues a generation to run beside the model's other submitted ones: up to
  // LoadOptions::n_parallel are decoded together in one batched pass per step, a prompt sharing
  // a prefix with an earlier request's reuses its KV cache. Returns at once; the callbacks
  // stream, Request::wait() gives the result. Throws airlock::Error: BadRequest for a prompt that
  // does not fit or a bad constraint, Busy when LoadOptions::max_queue requests already wait.
  std::shared_ptr<Request> submit(std::vector<int32_t> prompt, const GenerateOptions& opts,
                                  StreamCallbacks callbacks = {}) const;

  // Embeddings of several texts (see embed()).
  std::vector<std::vector<float>> embed_batch(const std::vector<std::string>& texts, bool normalize) const;

  // The pooled embedding of a text (encoders: pooling from the model's metadata); with
  // normalize, scaled to unit length. Throws for a text longer than the context.
  std::vector<float> embed(std::string_view text, bool normalize) const;

  struct Impl;

 private:
  explicit Model(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;  // shared with its sessions, which may outlive this handle
};

// A submitted generation.
class Request {
 public:
  ~Request();
  // Asks it to stop; it ends before its next step with done_reason "cancel".
  void cancel();
  // Waits for the end: the result, or the airlock::Error that ended it (Timeout, Busy when the
  // model was unloaded, Fault).
  GenerateResult wait();
  bool done() const;

  struct Impl;

 private:
  friend class Model;
  explicit Request(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
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
