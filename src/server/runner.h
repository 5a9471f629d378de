// A loaded model as the server keeps it: the weights, its tokenizer and chat template, and the
// engine that runs it: a Scheduler (continuous batching over num_parallel slots, the one
// generation loop airlock has) for decoder models, an Encoder for embedding models. The runner
// adapts a request to the scheduler's job and its results to the request's event channel; it
// samples nothing and holds no context itself.
#pragma once
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/chat_prompt.h"
#include "engine/constraint.h"
#include "engine/encoder.h"
#include "engine/fill_in_middle.h"
#include "engine/scheduler.h"
#include "grammar/token_trie.h"
#include "model/model.h"
#include "server/generation.h"
#include "store/blob_pin.h"
#include "store/store.h"
#include "tokenizer/tokenizer.h"

namespace airlock {
class ThreadPool;
}

namespace airlock::server {

struct RunnerParams {
  int num_parallel = 4;
  int max_queue = 512;
  int64_t num_ctx = 2048;
  int64_t num_batch = 256;  // the most tokens one step evaluates; a request may ask for fewer
  bool prefix_sharing = true;  // slots copy each other's KV rows of a common prompt start
  // Compute threads. 0 or the shared pool's size: the shared pool. Another number: a pool of that
  // size owned by this runner, because the shared pool serialises its callers and cannot be
  // resized while other runners use it.
  int num_thread = 0;
};

class Runner {
 public:
  // Loads the model (throws airlock::Error) and starts the scheduler thread for decoder models.
  Runner(store::ResolvedModel resolved, const RunnerParams& params, ThreadPool* pool);
  // Stops the thread; requests still queued or running get an Error event.
  ~Runner();
  Runner(const Runner&) = delete;
  Runner& operator=(const Runner&) = delete;

  // Queues a request; false when the queue is full (the caller answers 503). Throws airlock::Error
  // for a prompt that cannot fit the context. Its events arrive on req->channel.
  bool submit(const std::shared_ptr<GenRequest>& req);

  // Pooled embedding of an encoder model; serialised. Throws airlock::Error for a decoder model or
  // (truncate false) an input longer than the context.
  std::vector<float> embed(std::vector<int32_t> tokens, bool truncate, bool normalize);

  // The vocabulary as a trie for grammar-constrained requests, built on first use.
  std::shared_ptr<const grammar::TokenTrie> token_trie() const { return constraints_.trie(); }
  // A compiled `grammar` (GBNF) or `format` ("json" / JSON Schema text), exactly one non-empty,
  // cached per text with the automaton every request using it shares (its transitions are
  // determinised once, not per request). Throws airlock::Error "grammar: ..." / "format: ...".
  engine::CompiledConstraint constraint(std::string_view gbnf, std::string_view format) const {
    return constraints_.compile(gbnf, format);
  }

  bool is_encoder() const { return !model_->arch().causal; }
  const tokenizer::Tokenizer& tokenizer() const { return *tok_; }
  const engine::ChatPrompt& chat_prompt() const { return *chat_; }
  // The vocabulary's fill-in-the-middle tokens (code models), nullopt when it has none.
  const std::optional<engine::FimTokens>& fim() const { return fim_; }
  const store::ResolvedModel& resolved() const { return resolved_; }
  int64_t n_ctx() const;
  int64_t n_ctx_train() const;
  int threads() const;  // the compute threads this model runs on
  size_t kv_bytes() const;
  // Requests queued or in a slot.
  size_t pending() const;
  size_t queued() const;

 private:

  // First member, so destroyed last: once everything else of the model is freed, the C allocator
  // hands its free pages back to the system (glibc keeps them in per-thread arenas otherwise).
  struct TrimHeapAfter {
    ~TrimHeapAfter();
  } trim_heap_;
  store::ResolvedModel resolved_;
  store::BlobPin pin_;  // gc keeps the blob while the model is loaded
  RunnerParams params_;
  std::unique_ptr<ThreadPool> own_pool_;  // before the engine: destroyed after it
  ThreadPool* pool_;
  std::unique_ptr<model::Model> model_;
  std::unique_ptr<tokenizer::Tokenizer> tok_;
  std::unique_ptr<engine::ChatPrompt> chat_;
  std::optional<engine::FimTokens> fim_;
  mutable engine::ConstraintCache constraints_;  // internally synchronised
  std::unique_ptr<engine::Scheduler> scheduler_;  // decoder models
  std::unique_ptr<engine::Encoder> encoder_;      // embedding models
};

}  // namespace airlock::server
