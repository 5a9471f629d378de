#include "server/runner.h"

#include <airlock/error.h>

#include <malloc.h>

#include <algorithm>

#include "engine/text_codec.h"
#include "grammar/constraint.h"
#include "model/embed.h"
#include "sample/stop_matcher.h"
#include "tensor/thread_pool.h"

namespace airlock::server {

namespace {
using Clock = std::chrono::steady_clock;
int64_t ns_since(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t).count();
}
}  // namespace

struct Runner::Slot {
  int seq = 0;
  std::shared_ptr<GenRequest> req;  // null: free
  std::vector<int32_t> tokens;      // prompt + generated; the first kv_len are in the KV cache
  std::optional<Sampler> sampler;
  std::optional<tokenizer::StreamDecoder> decoder;
  std::optional<StopMatcher> stops;
  std::optional<grammar::GrammarConstraint> constraint;
  int32_t next = -1;                // sampled token to feed next step, -1 while in the prompt
  GenStats stats;
  Clock::time_point prompt_start, eval_start;
};

Runner::TrimHeapAfter::~TrimHeapAfter() { malloc_trim(0); }

Runner::Runner(store::ResolvedModel resolved, const RunnerParams& params, ThreadPool* pool)
    : resolved_(std::move(resolved)),
      pin_(resolved_.model_path),
      params_(params),
      pool_(pool),
      constraints_([this] { return engine::vocab_pieces(*tok_); }) {
  if (params_.num_thread > 0 && params_.num_thread != pool->size()) {
    own_pool_ = std::make_unique<ThreadPool>(params_.num_thread);
    pool_ = own_pool_.get();
  }
  model_ = model::Model::load(resolved_.model_path);
  tok_ = tokenizer::Tokenizer::from_gguf(model_->file());
  // The chat template lives in the GGUF; the store's config blob does not carry it.
  const std::string chat_template = model_->file().get_string("tokenizer.chat_template").value_or("");
  template_ = std::make_unique<tmpl::ChatTemplate>(tmpl::ChatTemplate::or_chatml(chat_template, resolved_.ref.display()));
  model::ContextParams cp;
  cp.n_ctx = std::min<int64_t>(params_.num_ctx, model_->hparams().n_ctx_train);
  if (is_encoder()) {
    cp.n_seq = 1;
    cp.n_batch = cp.n_ctx;  // an embedding is one pass over the whole input
    ctx_ = std::make_unique<model::Context>(*model_, cp, pool_);
    return;
  }
  cp.n_seq = params_.num_parallel;
  cp.n_batch = params_.num_batch;
  ctx_ = std::make_unique<model::Context>(*model_, cp, pool_);
  for (int i = 0; i < params_.num_parallel; ++i) {
    slots_.push_back(std::make_unique<Slot>());
    slots_.back()->seq = i;
  }
  thread_ = std::thread([this] { loop(); });
}

Runner::~Runner() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  for (auto& r : queue_) r->channel.push({GenEvent::Kind::Error, "model unloaded", "", {}, 503});
}

int64_t Runner::n_ctx() const { return ctx_->n_ctx(); }
int64_t Runner::n_ctx_train() const { return model_->hparams().n_ctx_train; }
int Runner::threads() const { return pool_->size(); }
size_t Runner::kv_bytes() const { return ctx_->kv_cache().bytes(); }

size_t Runner::pending() const { return active_.load(); }

size_t Runner::queued() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

bool Runner::submit(const std::shared_ptr<GenRequest>& req) {
  if (is_encoder()) throw Error("model '" + resolved_.ref.display() + "' is an embedding model and cannot generate");
  if (req->prompt.empty()) throw Error("the prompt is empty after tokenisation");
  if (static_cast<int64_t>(req->prompt.size()) >= ctx_->n_ctx())
    throw Error("the prompt is " + std::to_string(req->prompt.size()) + " tokens, the context holds " +
                std::to_string(ctx_->n_ctx()));
  {
    std::lock_guard lock(mu_);
    if (queue_.size() >= static_cast<size_t>(params_.max_queue)) return false;
    queue_.push_back(req);
    ++active_;
  }
  cv_.notify_one();
  return true;
}

// Picks the free slot whose cached tokens share the longest prefix with the prompt and keeps that
// prefix in its KV cache (at least the last prompt token is evaluated again, for its logits).
void Runner::assign(std::shared_ptr<GenRequest> req) {
  Slot* best = nullptr;
  size_t best_common = 0;
  for (auto& s : slots_) {
    if (s->req) continue;
    const size_t n = std::min({s->tokens.size(), req->prompt.size(), static_cast<size_t>(ctx_->seq_len(s->seq))});
    size_t common = 0;
    while (common < n && s->tokens[common] == req->prompt[common]) ++common;
    if (!best || common > best_common) best = s.get(), best_common = common;
  }
  Slot& s = *best;
  const size_t keep = std::min(best_common, req->prompt.size() - 1);
  ctx_->truncate(s.seq, static_cast<int64_t>(keep));
  s.tokens = req->prompt;
  s.sampler.emplace(req->sampling, tok_->n_vocab());
  for (int32_t t : req->prompt) s.sampler->accept(t);  // penalties see the prompt, as llama.cpp's do
  s.decoder.emplace(*tok_, false);
  s.stops.emplace(req->stop);
  s.constraint.reset();
  if (req->constraint.grammar) {
    s.constraint.emplace(req->constraint.grammar, token_trie(), req->constraint.automaton);
    // Tokens left for the output: the constraint keeps it finishable within them.
    Slot* slot = &s;
    s.sampler->set_filter([this, slot](float* logits, int32_t) {
      int64_t left = ctx_->n_ctx() - ctx_->seq_len(slot->seq) - 1;
      if (slot->req->num_predict >= 0) left = std::min(left, slot->req->num_predict - slot->stats.eval_tokens);
      slot->constraint->apply(logits, static_cast<uint64_t>(std::max<int64_t>(left, 1)));
    });
  }
  s.next = -1;
  s.stats = {};
  s.stats.prompt_total = static_cast<int64_t>(req->prompt.size());
  s.stats.prompt_tokens = static_cast<int64_t>(req->prompt.size() - keep);
  s.prompt_start = Clock::now();
  s.req = std::move(req);
}

void Runner::emit(Slot& s, const std::string& text) {
  if (!text.empty()) s.req->channel.push({GenEvent::Kind::Text, text, "", {}, 200});
}

void Runner::finish(Slot& s, const std::string& reason) {
  if (!s.stops->stopped()) emit(s, s.stops->feed(s.decoder->flush()) + s.stops->flush());
  if (s.eval_start != Clock::time_point{}) s.stats.eval_ns = ns_since(s.eval_start);
  if (s.req->cancelled && s.req->on_cancelled) s.req->on_cancelled(s.stats);
  s.req->channel.push({GenEvent::Kind::Done, "", reason, s.stats, 200});
  // Only what is in the KV cache can be reused by the next request.
  s.tokens.resize(static_cast<size_t>(ctx_->seq_len(s.seq)));
  s.req.reset();
  --active_;
}

void Runner::fail(Slot& s, const std::string& message, int status) {
  s.req->channel.push({GenEvent::Kind::Error, message, "", s.stats, status});
  ctx_->truncate(s.seq, 0);
  s.tokens.clear();
  s.req.reset();
  --active_;
}

void Runner::after_token(Slot& s, int32_t token) {
  s.sampler->accept(token);
  if (s.stats.eval_tokens == 0) {
    s.stats.ttft_ns = ns_since(s.req->submitted);
    s.eval_start = Clock::now();
  }
  if (tok_->is_eog(token)) return finish(s, "stop");
  ++s.stats.eval_tokens;
  s.tokens.push_back(token);
  if (s.constraint) s.constraint->accept(token);
  emit(s, s.stops->feed(s.decoder->push(token)));
  if (s.stops->stopped() || (s.constraint && s.constraint->done())) return finish(s, "stop");
  if (s.req->num_predict >= 0 && s.stats.eval_tokens >= s.req->num_predict) return finish(s, "length");
  if (ctx_->seq_len(s.seq) + 1 >= ctx_->n_ctx()) return finish(s, "length");
  s.next = token;
}

void Runner::loop() {
  const int32_t n_vocab = tok_->n_vocab();
  for (;;) {
    {
      std::unique_lock lock(mu_);
      auto busy = [&] { return std::any_of(slots_.begin(), slots_.end(), [](auto& s) { return s->req != nullptr; }); };
      auto free_slot = [&] { return std::any_of(slots_.begin(), slots_.end(), [](auto& s) { return s->req == nullptr; }); };
      // Queued requests are looked at now and then even when no slot frees up, to expire them.
      cv_.wait_for(lock, std::chrono::milliseconds(500), [&] { return stop_ || busy() || (!queue_.empty() && free_slot()); });
      if (stop_) break;
      // Queued requests whose client left or whose time ran out never take a slot.
      const auto now = Clock::now();
      for (auto it = queue_.begin(); it != queue_.end();) {
        if ((*it)->cancelled || now > (*it)->deadline) {
          GenRequest& r = **it;
          if (!r.cancelled) {
            r.channel.push({GenEvent::Kind::Error, "request timed out in the queue", "", {}, 503});
          } else {  // a handler still waiting (a non-streamed answer) learns it is over
            if (r.on_cancelled) r.on_cancelled({});
            r.channel.push({GenEvent::Kind::Done, "", "cancelled", {}, 200});
          }
          --active_;
          it = queue_.erase(it);
        } else {
          ++it;
        }
      }
      while (!queue_.empty() && free_slot()) {
        auto r = std::move(queue_.front());
        queue_.pop_front();
        assign(std::move(r));
      }
    }
    // Cancelled and timed-out requests leave before the next step.
    const auto now = Clock::now();
    for (auto& s : slots_) {
      if (!s->req) continue;
      if (s->req->cancelled) finish(*s, "cancelled");
      else if (now > s->req->deadline) fail(*s, "request timed out", 504);
    }
    // Decoding slots first (one token each), then prompt chunks in the room left.
    model::Batch batch;
    std::vector<Slot*> out_slots;
    for (auto& s : slots_) {
      if (!s->req || s->next < 0) continue;
      batch.push_back({s->next, ctx_->seq_len(s->seq), s->seq, true});
      out_slots.push_back(s.get());
    }
    for (auto& s : slots_) {
      if (!s->req || s->next >= 0) continue;
      const int64_t room = ctx_->n_batch() - static_cast<int64_t>(batch.size());
      if (room <= 0) break;
      const int64_t done = ctx_->seq_len(s->seq);
      const int64_t left = static_cast<int64_t>(s->tokens.size()) - done;
      const int64_t chunk = s->req->num_batch > 0 ? s->req->num_batch : room;
      const int64_t n = std::min({room, left, chunk});
      for (int64_t i = 0; i < n; ++i) {
        const bool last = done + i + 1 == static_cast<int64_t>(s->tokens.size());
        batch.push_back({s->tokens[static_cast<size_t>(done + i)], done + i, s->seq, last});
        if (last) out_slots.push_back(s.get());
      }
    }
    if (batch.empty()) continue;
    std::span<const float> logits;
    try {
      logits = ctx_->forward(batch);
    } catch (const std::exception& e) {
      for (auto& s : slots_)
        if (s->req) fail(*s, e.what(), 500);
      continue;
    }
    for (size_t j = 0; j < out_slots.size(); ++j) {
      Slot& s = *out_slots[j];
      if (s.next < 0) s.stats.prompt_ns = ns_since(s.prompt_start);
      try {
        after_token(s, s.sampler->sample(logits.data() + j * static_cast<size_t>(n_vocab)));
      } catch (const std::exception& e) {
        fail(s, e.what(), 500);
      }
    }
  }
  for (auto& s : slots_)
    if (s->req) fail(*s, "model unloaded", 503);
}

std::vector<float> Runner::embed(std::vector<int32_t> tokens, bool truncate, bool normalize) {
  if (!is_encoder())
    throw Error("model '" + resolved_.ref.display() + "' does not support embeddings (it is not an embedding model)");
  const auto limit = static_cast<size_t>(ctx_->n_ctx());
  if (tokens.size() > limit) {
    if (!truncate)
      throw Error("input is " + std::to_string(tokens.size()) + " tokens, the context holds " + std::to_string(limit));
    // Keep the closing [SEP] a WordPiece model appends.
    const int32_t last = tokens.back();
    tokens.resize(limit);
    if (tok_->add_eos()) tokens.back() = last;
  }
  std::lock_guard lock(embed_mu_);
  return model::embed_tokens(*ctx_, tokens, normalize);
}

}  // namespace airlock::server
