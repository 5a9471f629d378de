#include "server/runner.h"

#include <airlock/error.h>

#include <malloc.h>

#include <algorithm>

#include "engine/text_codec.h"
#include "grammar/constraint.h"
#include "tensor/thread_pool.h"

namespace airlock::server {

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
  chat_ = std::make_unique<engine::ChatPrompt>(*tok_, chat_template, resolved_.ref.display());
  if (is_encoder()) {
    encoder_ = std::make_unique<engine::Encoder>(*model_, params_.num_ctx, pool_);
    return;
  }
  fim_ = engine::find_fim_tokens(model_->file(), *tok_);
  model::ContextParams cp;
  cp.n_ctx = std::min<int64_t>(params_.num_ctx, model_->hparams().n_ctx_train);
  cp.n_seq = params_.num_parallel;
  cp.n_batch = params_.num_batch;
  const tokenizer::Tokenizer* tok = tok_.get();
  scheduler_ = std::make_unique<engine::Scheduler>(
      *model_, cp, pool_, [tok] { return engine::token_text(*tok); }, static_cast<size_t>(params_.max_queue),
      params_.prefix_sharing);
}

Runner::~Runner() = default;  // the scheduler fails what is still queued or running: "model unloaded"

int64_t Runner::n_ctx() const { return scheduler_ ? scheduler_->n_ctx() : encoder_->n_ctx(); }
int64_t Runner::n_ctx_train() const { return model_->hparams().n_ctx_train; }
int Runner::threads() const { return pool_->size(); }
size_t Runner::kv_bytes() const { return scheduler_ ? scheduler_->kv_bytes() : 0; }
size_t Runner::pending() const { return scheduler_ ? scheduler_->pending() : 0; }
size_t Runner::queued() const { return scheduler_ ? scheduler_->queued() : 0; }

bool Runner::submit(const std::shared_ptr<GenRequest>& req) {
  if (is_encoder()) throw Error("model '" + resolved_.ref.display() + "' is an embedding model and cannot generate");
  if (req->compiled.grammar)
    req->constraint = std::make_unique<grammar::GrammarConstraint>(req->compiled.grammar, token_trie(), req->compiled.automaton);
  GenRequest* r = req.get();  // the scheduler holds the request until its last callback
  if (r->logprobs) {
    const tokenizer::Tokenizer* tok = tok_.get();
    r->on_token = [r, tok](int32_t id, float logprob, std::span<const TokenChoice> top) {
      TokenLogprob t{tok->token_text(id), logprob, {}};
      for (const auto& c : top) t.top.push_back({tok->token_text(c.id), c.logprob});
      r->unsent_logprobs.push_back(std::move(t));
    };
  }
  // Tokens go with the next event that shows text (thinking or answer).
  auto text_event = [r] {
    GenEvent ev;
    ev.logprobs = std::move(r->unsent_logprobs);
    r->unsent_logprobs.clear();
    return ev;
  };
  r->on_text = [r, text_event](std::string_view text) {
    GenEvent ev = text_event();
    ev.text = text;
    r->channel.push(std::move(ev));
  };
  if (!r->hide_thinking)
    r->on_thinking = [r, text_event](std::string_view thinking) {
      GenEvent ev = text_event();
      ev.thinking = thinking;
      r->channel.push(std::move(ev));
    };
  r->on_done = [r, text_event](engine::DoneReason reason, const GenStats& stats) {
    if (reason == engine::DoneReason::Cancel && r->on_cancelled) r->on_cancelled(stats);
    GenEvent ev = text_event();
    ev.kind = GenEvent::Kind::Done;
    ev.done_reason = engine::done_reason_name(reason);
    ev.stats = stats;
    r->channel.push(std::move(ev));
  };
  r->on_error = [r](const Error& e, const GenStats& stats) {
    GenEvent ev;
    ev.kind = GenEvent::Kind::Error;
    ev.text = e.what();
    ev.stats = stats;
    ev.error = e.kind;
    r->channel.push(std::move(ev));
  };
  return scheduler_->submit(req);
}

std::vector<float> Runner::embed(std::vector<int32_t> tokens, bool truncate, bool normalize) {
  if (!is_encoder())
    throw Error("model '" + resolved_.ref.display() + "' does not support embeddings (it is not an embedding model)");
  // A WordPiece model's closing [SEP] stays when the input is cut.
  return encoder_->embed(std::move(tokens), truncate, tok_->add_eos(), normalize);
}

}  // namespace airlock::server
