// Many generations on one model, decoded together. Jobs wait in a bounded queue until one of the
// context's sequences (slots) is free; the scheduler's thread then runs one batched forward pass
// per step over every active slot (continuous batching): a job joins or leaves the batch between
// two steps, and a prompt is evaluated in chunks beside other slots' tokens. A slot keeps its KV
// cache after a job, so the next job whose prompt starts with the same tokens (a chat resending
// its history) only evaluates what is new, and a prompt that starts with tokens another slot holds
// (a shared system prompt) copies those KV rows instead of evaluating them again. Each slot generates by the rules of engine::Sequence,
// the same rules the single-conversation Session follows.
#pragma once
#include <airlock/error.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "engine/sequence.h"
#include "engine/session.h"
#include "grammar/constraint.h"
#include "model/context.h"

namespace airlock::engine {

struct JobStats {
  int64_t prompt_tokens = 0;  // prompt tokens evaluated (a reused prefix excluded)
  int64_t prompt_total = 0;   // prompt length
  int64_t eval_tokens = 0;    // tokens generated
  int64_t prompt_ns = 0, eval_ns = 0;
  int64_t ttft_ns = 0;        // submitted to first generated token
  int64_t context_shifts = 0; // times the context was shifted to go on generating
  std::string stop_string;    // the stop string that ended the output; "" when none did
};

struct Job {
  std::vector<int32_t> prompt;
  SamplingParams sampling;
  int64_t num_predict = -1;  // < 0: until an end token or a full context
  std::vector<std::string> stop;
  std::unique_ptr<grammar::GrammarConstraint> constraint;  // optional: output constrained to it
  int64_t num_batch = 0;     // most prompt tokens evaluated per step; 0: as many as the batch holds
  ThinkParams think;         // thinking models: the block reported to on_thinking, unconstrained
  // A prompt that does not fit the context: false refuses it (submit throws), true cuts it with
  // fit_prompt (prompt_fit.h), keeping its first n_keep tokens.
  bool truncate = false;
  // A context that fills while generating: false ends the output ("length"), true drops the older
  // half of the tokens after the first n_keep and goes on (model::Context::shift; an architecture
  // without rope positions cannot, and ends with "length"). Without num_predict a shifting job
  // ends ("length") after 10 contexts' worth of output.
  bool shift = false;
  int64_t n_keep = 0;
  bool logprobs = false;     // report each token's log-probability to on_token
  size_t top_logprobs = 0;   // and this many most likely alternatives (with logprobs)
  std::chrono::steady_clock::time_point submitted = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
  std::atomic<bool> cancelled{false};  // set by whoever waits for it when nobody listens any more

  // Called on the scheduler's thread, in this order: on_text for each piece of text as soon as it
  // is safe to show, on_token (optional) for each generated token with its log-probability (NaN
  // unless logprobs) and top alternatives, then exactly one of on_done and on_error. on_token
  // comes before the on_text of the text the token completes.
  std::function<void(std::string_view text)> on_text;
  std::function<void(std::string_view thinking)> on_thinking;  // with think.split, before on_text
  std::function<void(int32_t token, float logprob, std::span<const TokenChoice> top)> on_token;
  std::function<void(DoneReason reason, const JobStats& stats)> on_done;
  std::function<void(const Error& error, const JobStats& stats)> on_error;
};

class Scheduler {
 public:
  // `cp.n_seq` slots; `text` makes each job's token-to-text decoder. share_prefixes false: a slot
  // never copies another slot's rows of a common prompt start (it still reuses its own). Starts
  // the thread.
  Scheduler(const model::Model& model, const model::ContextParams& cp, ThreadPool* pool,
            std::function<TokenText()> text, size_t max_queue, bool share_prefixes = true);
  // Stops the thread; jobs still queued or running end with on_error (Busy, "model unloaded").
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Queues a job; false when the queue is full. Throws airlock::Error for an empty prompt or,
  // unless the job truncates, one that leaves no room in the context (a truncating job's prompt
  // is cut here).
  bool submit(const std::shared_ptr<Job>& job);

  int64_t n_ctx() const { return ctx_.n_ctx(); }
  size_t kv_bytes() const { return ctx_.kv_cache().bytes(); }
  size_t pending() const { return active_.load(); }  // queued or in a slot
  size_t queued() const;

 private:
  struct Slot;
  void loop();
  void expire_queued_locked();
  void assign(std::shared_ptr<Job> job);
  void borrow_prefix(Slot& s);
  bool waits_for_shared_prefix(const Slot& s, const std::vector<Slot*>& evaluating) const;
  void step(Slot& s, int32_t token, const Logprobs& lp);
  bool shift(Slot& s);
  void finish(Slot& s);
  void fail(Slot& s, const Error& error);

  model::Context ctx_;
  std::function<TokenText()> text_;
  size_t max_queue_;
  bool share_prefixes_;
  int32_t n_vocab_;
  std::vector<std::unique_ptr<Slot>> slots_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<Job>> queue_;
  std::atomic<size_t> active_{0};
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace airlock::engine
