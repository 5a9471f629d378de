#include "engine/scheduler.h"

#include <algorithm>
#include <limits>
#include <optional>

#include "engine/prompt_fit.h"
#include "engine/sequence.h"

namespace airlock::engine {

namespace {
using Clock = std::chrono::steady_clock;
// With a shifting context and no num_predict, an output ends after this many contexts' worth of
// tokens.
constexpr int64_t kShiftedOutputContexts = 10;
int64_t ns_since(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t).count();
}

// A prompt slot waits a step for another slot to evaluate a prefix they share only when it gains at
// least this many tokens: fewer cost less to evaluate beside the other slot than a step's delay.
constexpr int64_t kMinSharedWait = 16;

size_t common_prefix(const std::vector<int32_t>& a, const std::vector<int32_t>& b, size_t limit) {
  const size_t n = std::min({a.size(), b.size(), limit});
  size_t i = 0;
  while (i < n && a[i] == b[i]) ++i;
  return i;
}
}  // namespace

struct Scheduler::Slot {
  int seq = 0;
  std::shared_ptr<Job> job;        // null: free
  std::vector<int32_t> tokens;     // prompt + generated; the first seq_len(seq) are in the KV cache
  // After a context shift only this many leading tokens still hold what a fresh evaluation would
  // (the later ones saw the dropped tokens): all a later job may reuse.
  size_t reusable = SIZE_MAX;
  std::optional<Sequence> sequence;
  int32_t next = -1;               // sampled token to evaluate next step; -1 while in the prompt
  JobStats stats;
  Clock::time_point prompt_start, eval_start;
};

Scheduler::Scheduler(const model::Model& model, const model::ContextParams& cp, ThreadPool* pool,
                     std::function<TokenText()> text, size_t max_queue, bool share_prefixes)
    : ctx_(model, cp, pool), text_(std::move(text)), max_queue_(max_queue), share_prefixes_(share_prefixes),
      n_vocab_(static_cast<int32_t>(model.hparams().n_vocab)) {
  for (int i = 0; i < cp.n_seq; ++i) {
    slots_.push_back(std::make_unique<Slot>());
    slots_.back()->seq = i;
  }
  thread_ = std::thread([this] { loop(); });
}

Scheduler::~Scheduler() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  for (auto& job : queue_)
    if (job->on_error) job->on_error(Error("model unloaded", ErrorKind::Busy), {});
}

size_t Scheduler::queued() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

bool Scheduler::submit(const std::shared_ptr<Job>& job) {
  if (job->prompt.empty()) throw Error("the prompt is empty after tokenisation");
  if (job->truncate && ctx_.n_ctx() >= 2) job->prompt = fit_prompt(job->prompt, ctx_.n_ctx(), job->n_keep, job->num_predict);
  if (static_cast<int64_t>(job->prompt.size()) >= ctx_.n_ctx())
    throw Error("the prompt is " + std::to_string(job->prompt.size()) + " tokens, the context holds " +
                std::to_string(ctx_.n_ctx()));
  {
    std::lock_guard lock(mu_);
    if (queue_.size() >= max_queue_) return false;
    queue_.push_back(job);
    ++active_;
  }
  cv_.notify_one();
  return true;
}

// Queued jobs whose listener left or whose time ran out never take a slot.
void Scheduler::expire_queued_locked() {
  const auto now = Clock::now();
  for (auto it = queue_.begin(); it != queue_.end();) {
    Job& job = **it;
    if (!job.cancelled && now <= job.deadline) {
      ++it;
      continue;
    }
    if (job.cancelled) {
      if (job.on_done) job.on_done(DoneReason::Cancel, {});
    } else if (job.on_error) {
      job.on_error(Error("request timed out in the queue", ErrorKind::Busy), {});
    }
    --active_;
    it = queue_.erase(it);
  }
}

// Picks the free slot whose cached tokens share the longest prefix with the prompt and keeps that
// prefix in its KV cache (at least the last prompt token is evaluated again, for its logits).
void Scheduler::assign(std::shared_ptr<Job> job) {
  Slot* best = nullptr;
  size_t best_common = 0;
  for (auto& s : slots_) {
    if (s->job) continue;
    const size_t common = common_prefix(s->tokens, job->prompt, static_cast<size_t>(ctx_.seq_len(s->seq)));
    if (!best || common > best_common) best = s.get(), best_common = common;
  }
  Slot& s = *best;
  const size_t keep = std::min(best_common, job->prompt.size() - 1);
  ctx_.truncate(s.seq, static_cast<int64_t>(keep));
  s.tokens = job->prompt;
  GenerateParams params{.sampling = job->sampling, .num_predict = job->num_predict, .stop = job->stop,
                        .constraint = job->constraint.get(), .think = job->think};
  s.sequence.emplace(params, text_(), n_vocab_, job->prompt);
  s.next = -1;
  s.reusable = SIZE_MAX;
  s.stats = {};
  s.stats.prompt_total = static_cast<int64_t>(job->prompt.size());
  s.stats.prompt_tokens = static_cast<int64_t>(job->prompt.size() - keep);
  s.prompt_start = Clock::now();
  s.eval_start = {};
  s.job = std::move(job);
  // A sequence over before it starts (num_predict 0, a constraint complete from the outset).
  if (s.sequence->done()) finish(s);
}

// A slot still in its prompt copies the KV rows of the longest start of its prompt that another
// slot (busy or free) holds beyond what it holds itself; the last prompt token is always
// evaluated, for its logits.
void Scheduler::borrow_prefix(Slot& s) {
  const int64_t done = ctx_.seq_len(s.seq);
  const size_t last = s.tokens.size() - 1;
  Slot* source = nullptr;
  int64_t upto = done;
  for (auto& o : slots_) {
    if (o.get() == &s) continue;
    // A shifted slot's rows past its kept start saw dropped tokens: only `reusable` can be copied.
    const auto common = static_cast<int64_t>(common_prefix(
        o->tokens, s.tokens, std::min({last, static_cast<size_t>(ctx_.seq_len(o->seq)), o->reusable})));
    if (common > upto) source = o.get(), upto = common;
  }
  if (!source) return;
  ctx_.copy_prefix(source->seq, s.seq, done, upto);
  s.stats.prompt_tokens -= upto - done;
}

// True when a slot evaluating its prompt in this step will compute enough of this slot's prompt
// that this one should wait and borrow it (borrow_prefix) rather than compute it too.
bool Scheduler::waits_for_shared_prefix(const Slot& s, const std::vector<Slot*>& evaluating) const {
  const size_t last = s.tokens.size() - 1;
  const int64_t done = ctx_.seq_len(s.seq);
  return std::any_of(evaluating.begin(), evaluating.end(), [&](const Slot* o) {
    return static_cast<int64_t>(common_prefix(o->tokens, s.tokens, last)) - done >= kMinSharedWait;
  });
}

void Scheduler::step(Slot& s, int32_t token, const Logprobs& lp) {
  if (s.eval_start == Clock::time_point{}) {
    s.stats.ttft_ns = ns_since(s.job->submitted);
    s.eval_start = Clock::now();
  }
  Sequence& seq = *s.sequence;
  const size_t before = seq.tokens().size();
  const std::string text = seq.accept(token);
  if (seq.tokens().size() > before) {  // not an end token
    s.tokens.push_back(token);
    if (s.job->on_token) s.job->on_token(token, lp.chosen, lp.top);
  }
  if (std::string t = seq.take_thinking(); !t.empty() && s.job->on_thinking) s.job->on_thinking(t);
  if (!text.empty() && s.job->on_text) s.job->on_text(text);
  // The token goes at position seq_len next step. Without a shift the output ends as the context
  // fills (context_full); with one, only when no position is left, as engine::Session shifts.
  const int64_t len = ctx_.seq_len(s.seq);
  if (!seq.done() && (s.job->shift ? len >= ctx_.n_ctx() && !shift(s) : context_full(len, ctx_.n_ctx())))
    seq.end(DoneReason::Length);
  // A shifting context never fills: without num_predict, a model that never ends (a small or
  // random-weight one) would run to the request timeout. This bound is airlock's own.
  if (!seq.done() && s.job->shift && s.job->num_predict < 0 &&
      static_cast<int64_t>(seq.tokens().size()) >= kShiftedOutputContexts * ctx_.n_ctx())
    seq.end(DoneReason::Length);
  if (seq.done()) return finish(s);
  s.next = token;
}

// Makes room by dropping the older half of the slot's tokens after the first n_keep; false when
// it cannot (nothing to drop, or the architecture has no rope positions to move).
bool Scheduler::shift(Slot& s) {
  const int64_t len = ctx_.seq_len(s.seq);
  const int64_t keep = std::clamp<int64_t>(s.job->n_keep, 0, len);
  const int64_t discard = (len - keep) / 2;
  if (discard < 1) return false;
  try {
    ctx_.shift(s.seq, keep, discard);
  } catch (const Error&) {
    return false;
  }
  s.tokens.erase(s.tokens.begin() + keep, s.tokens.begin() + keep + discard);
  s.reusable = std::min(s.reusable, static_cast<size_t>(keep));
  ++s.stats.context_shifts;
  return true;
}

void Scheduler::finish(Slot& s) {
  Sequence& seq = *s.sequence;
  const std::string tail = seq.finish();
  if (std::string t = seq.take_thinking(); !t.empty() && s.job->on_thinking) s.job->on_thinking(t);
  if (!tail.empty() && s.job->on_text) s.job->on_text(tail);
  if (s.eval_start != Clock::time_point{}) s.stats.eval_ns = ns_since(s.eval_start);
  s.stats.eval_tokens = static_cast<int64_t>(seq.tokens().size());
  s.stats.stop_string = seq.stop_string();
  if (s.job->on_done) s.job->on_done(seq.reason(), s.stats);
  // Only what is in the KV cache, and unshifted, can be reused by the next job.
  s.tokens.resize(std::min(static_cast<size_t>(ctx_.seq_len(s.seq)), s.reusable));
  s.sequence.reset();
  s.job.reset();
  --active_;
}

void Scheduler::fail(Slot& s, const Error& error) {
  if (s.job->on_error) s.job->on_error(error, s.stats);
  ctx_.truncate(s.seq, 0);
  s.tokens.clear();
  s.sequence.reset();
  s.job.reset();
  --active_;
}

void Scheduler::loop() {
  for (;;) {
    {
      std::unique_lock lock(mu_);
      auto busy = [&] { return std::any_of(slots_.begin(), slots_.end(), [](auto& s) { return s->job != nullptr; }); };
      auto free_slot = [&] { return std::any_of(slots_.begin(), slots_.end(), [](auto& s) { return s->job == nullptr; }); };
      // Queued jobs are looked at now and then even when no slot frees up, to expire them.
      cv_.wait_for(lock, std::chrono::milliseconds(500), [&] { return stop_ || busy() || (!queue_.empty() && free_slot()); });
      if (stop_) break;
      expire_queued_locked();
      while (!queue_.empty() && free_slot()) {
        auto job = std::move(queue_.front());
        queue_.pop_front();
        assign(std::move(job));
      }
    }
    // Cancelled and timed-out jobs leave before the next step.
    const auto now = Clock::now();
    for (auto& s : slots_) {
      if (!s->job) continue;
      if (s->job->cancelled) {
        s->sequence->end(DoneReason::Cancel);
        finish(*s);
      } else if (now > s->job->deadline) {
        fail(*s, Error("request timed out", ErrorKind::Timeout));
      }
    }
    // Decoding slots first (one token each), then prompt chunks in the room left.
    model::Batch batch;
    std::vector<Slot*> out_slots;
    for (auto& s : slots_) {
      if (!s->job || s->next < 0) continue;
      batch.push_back({s->next, ctx_.seq_len(s->seq), s->seq, true});
      out_slots.push_back(s.get());
    }
    // Prompt slots first take what other slots already hold of their prompts; the furthest along
    // then evaluates a shared prefix once while the others wait to borrow it.
    std::vector<Slot*> prompting, evaluating;
    for (auto& s : slots_) {
      if (!s->job || s->next >= 0) continue;
      if (share_prefixes_) borrow_prefix(*s);
      prompting.push_back(s.get());
    }
    std::stable_sort(prompting.begin(), prompting.end(),
                     [&](const Slot* a, const Slot* b) { return ctx_.seq_len(a->seq) > ctx_.seq_len(b->seq); });
    for (Slot* s : prompting) {
      const int64_t room = ctx_.n_batch() - static_cast<int64_t>(batch.size());
      if (room <= 0) break;
      if (share_prefixes_ && waits_for_shared_prefix(*s, evaluating)) continue;
      evaluating.push_back(s);
      const int64_t done = ctx_.seq_len(s->seq);
      const int64_t left = static_cast<int64_t>(s->tokens.size()) - done;
      const int64_t chunk = s->job->num_batch > 0 ? s->job->num_batch : room;
      const int64_t n = std::min({room, left, chunk});
      for (int64_t i = 0; i < n; ++i) {
        const bool last = done + i + 1 == static_cast<int64_t>(s->tokens.size());
        batch.push_back({s->tokens[static_cast<size_t>(done + i)], done + i, s->seq, last});
        if (last) out_slots.push_back(s);
      }
    }
    if (batch.empty()) continue;
    std::span<const float> logits;
    try {
      logits = ctx_.forward(batch);
    } catch (const std::exception& e) {
      for (auto& s : slots_)
        if (s->job) fail(*s, Error(e.what(), ErrorKind::Fault));
      continue;
    }
    for (size_t j = 0; j < out_slots.size(); ++j) {
      Slot& s = *out_slots[j];
      if (s.next < 0) s.stats.prompt_ns = ns_since(s.prompt_start);
      try {
        // The sampled token takes position seq_len: the room left counts it. A shifting
        // context never runs out.
        const int64_t room = s.job->shift ? std::numeric_limits<int64_t>::max() : ctx_.n_ctx() - ctx_.seq_len(s.seq);
        Logprobs lp{.n_top = s.job->top_logprobs, .chosen = std::numeric_limits<float>::quiet_NaN(), .top = {}};
        const int32_t token = s.sequence->sample(logits.data() + j * static_cast<size_t>(n_vocab_), room,
                                                 s.job->logprobs ? &lp : nullptr);
        step(s, token, lp);
      } catch (const std::exception& e) {
        fail(s, Error(e.what(), ErrorKind::Fault));
      }
    }
  }
  for (auto& s : slots_)
    if (s->job) fail(*s, Error("model unloaded", ErrorKind::Busy));
}

}  // namespace airlock::engine
