// The public API (include/airlock/airlock.h) on top of the model, engine and tokenizer modules.
#include <airlock/airlock.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>

#include "common/json_depth.h"
#include "engine/chat_prompt.h"
#include "engine/constraint.h"
#include "engine/encoder.h"
#include "engine/scheduler.h"
#include "engine/session.h"
#include "engine/text_codec.h"
#include "model/embed.h"
#include "model/model.h"
#include "tensor/thread_pool.h"
#include "tensor/type_traits.h"
#include "tokenizer/tokenizer.h"

namespace airlock {

struct Model::Impl {
  std::unique_ptr<model::Model> model;
  std::unique_ptr<engine::TextCodec> codec;
  LoadOptions opts;
  TensorType kv_type = TensorType::F16;
  ModelInfo info;
  std::unique_ptr<engine::ConstraintCache> constraints;
  // Made on first use: a model without a template warns that it falls back to ChatML, which a
  // caller that never renders a chat should not see.
  mutable std::once_flag chat_once;
  mutable std::unique_ptr<engine::ChatPrompt> chat_prompt;
  const engine::ChatPrompt& chat() const {
    std::call_once(chat_once, [this] {
      chat_prompt = std::make_unique<engine::ChatPrompt>(
          codec->tokenizer(), model->file().get_string("tokenizer.chat_template").value_or(""), info.path);
    });
    return *chat_prompt;
  }
  // submit()'s batched loop, started on first use; declared last so it stops before the rest goes.
  mutable std::once_flag scheduler_once;
  mutable std::unique_ptr<ThreadPool> scheduler_pool;
  mutable std::unique_ptr<engine::Scheduler> scheduler;

  model::ContextParams context_params(int n_seq = 1) const {
    return {.n_ctx = info.n_ctx, .n_seq = n_seq, .n_batch = opts.n_batch, .kv_type = kv_type};
  }
  engine::Scheduler& batched() const {
    std::call_once(scheduler_once, [this] {
      scheduler_pool = std::make_unique<ThreadPool>(opts.n_threads);
      const engine::TextCodec* c = codec.get();
      scheduler = std::make_unique<engine::Scheduler>(*model, context_params(opts.n_parallel), scheduler_pool.get(),
                                                      [c] { return c->stream(); }, static_cast<size_t>(opts.max_queue));
    });
    return *scheduler;
  }
};

// A submitted job and what its waiter collects.
struct Request::Impl : engine::Job {
  std::mutex mu;
  std::condition_variable cv;
  bool finished = false;
  GenerateResult result;
  std::optional<Error> error;
};

struct Session::Impl {
  explicit Impl(std::shared_ptr<const Model::Impl> m)
      : model(std::move(m)), session(*model->model, model->context_params(), model->opts.n_threads) {}
  std::shared_ptr<const Model::Impl> model;  // keeps the weights alive as long as the session
  engine::Session session;
};

namespace {

int64_t elapsed_ns(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - since).count();
}

}  // namespace

std::shared_ptr<Model> Model::load(const std::filesystem::path& path, const LoadOptions& opts) {
  const auto t0 = std::chrono::steady_clock::now();
  if (opts.n_ctx < 1) throw Error("n_ctx must be at least 1");
  if (opts.n_batch < 1) throw Error("n_batch must be at least 1");
  if (opts.n_parallel < 1) throw Error("n_parallel must be at least 1");
  if (opts.max_queue < 0) throw Error("max_queue must not be negative");
  auto impl = std::make_shared<Impl>();
  const TypeTraits* kv_type = find_type_traits(opts.kv_type);
  if (!kv_type) throw Error("kv_type: unknown tensor type '" + opts.kv_type + "'");
  impl->kv_type = kv_type->type;
  impl->model = model::Model::load(path);
  impl->codec = std::make_unique<engine::TextCodec>(impl->model->file());
  impl->opts = opts;
  const engine::TextCodec* codec = impl->codec.get();
  impl->constraints = std::make_unique<engine::ConstraintCache>([codec] { return codec->vocab_pieces(); });
  const model::Model& m = *impl->model;
  const model::Hparams& hp = m.hparams();
  ModelInfo& info = impl->info;
  info.path = path.string();
  info.arch = std::string(hp.arch->name);
  info.name = m.file().get_string("general.name").value_or("");
  info.n_vocab = hp.n_vocab;
  info.n_ctx_train = hp.n_ctx_train;
  info.n_ctx = std::min(opts.n_ctx, hp.n_ctx_train);
  info.n_embd = hp.n_embd;
  info.n_layer = hp.n_layer;
  info.file_size = m.file().file_size();
  info.is_embedding = !hp.arch->causal;
  info.chat_template = m.file().get_string("tokenizer.chat_template").value_or("");
  info.bos = impl->codec->bos();
  info.eos = impl->codec->eos();
  info.kv_cache_bytes = model::KvCache(hp, info.n_ctx, 1, impl->kv_type).bytes();
  info.load_ns = elapsed_ns(t0);
  return std::shared_ptr<Model>(new Model(std::move(impl)));
}

Model::Model(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
Model::~Model() = default;

const ModelInfo& Model::info() const { return impl_->info; }

std::vector<int32_t> Model::tokenize(std::string_view text, bool add_special, bool parse_special) const {
  return impl_->codec->encode(text, add_special, parse_special);
}

std::string Model::detokenize(std::span<const int32_t> tokens) const { return impl_->codec->decode(tokens); }

bool Model::is_end_of_generation(int32_t token) const { return impl_->codec->is_end(token); }

void Model::compile_constraint(std::string_view grammar, std::string_view format) const {
  if (!grammar.empty() || !format.empty()) impl_->constraints->compile(grammar, format);
}

std::unique_ptr<Session> Model::new_session() const {
  if (impl_->info.is_embedding)
    throw Error(impl_->info.path + ": " + impl_->info.arch + " is an embedding model; it cannot generate");
  return std::unique_ptr<Session>(new Session(std::make_unique<Session::Impl>(impl_)));
}

std::vector<float> Model::embed(std::string_view text, bool normalize) const {
  const auto tokens = impl_->codec->encode(text, true, false);
  ThreadPool pool(impl_->opts.n_threads);
  model::Context ctx(*impl_->model, impl_->context_params(), &pool);
  return model::embed_tokens(ctx, tokens, normalize);
}

std::string Model::render_chat(const std::vector<ChatMessage>& messages) const {
  nlohmann::ordered_json m = nlohmann::ordered_json::array();
  for (const auto& msg : messages) m.push_back({{"role", msg.role}, {"content", msg.content}});
  return impl_->chat().render(m);
}

std::string Model::render_chat_json(std::string_view messages_json, std::string_view tools_json) const {
  require_json_depth_within(messages_json, "messages");
  require_json_depth_within(tools_json, "tools");
  const auto messages = nlohmann::ordered_json::parse(messages_json, nullptr, false);
  if (messages.is_discarded() || !messages.is_array()) throw Error("messages: expected a JSON array");
  nlohmann::ordered_json tools = nullptr;
  if (!tools_json.empty()) {
    tools = nlohmann::ordered_json::parse(tools_json, nullptr, false);
    if (tools.is_discarded() || !tools.is_array()) throw Error("tools: expected a JSON array");
  }
  return impl_->chat().render(messages, tools);
}

std::vector<int32_t> Model::tokenize_prompt(std::string_view rendered) const { return impl_->chat().tokenize(rendered); }

std::shared_ptr<Request> Model::submit(std::vector<int32_t> prompt, const GenerateOptions& opts,
                                       StreamCallbacks callbacks) const {
  if (impl_->info.is_embedding)
    throw Error(impl_->info.path + ": " + impl_->info.arch + " is an embedding model; it cannot generate");
  auto job = std::make_shared<Request::Impl>();
  job->prompt = std::move(prompt);
  job->sampling = opts.sampling;
  job->num_predict = opts.num_predict;
  job->stop = opts.stop;
  job->logprobs = opts.logprobs;
  if (!opts.grammar.empty() || !opts.format.empty()) job->constraint = impl_->constraints->start(opts.grammar, opts.format);
  const auto start = std::chrono::steady_clock::now();
  Request::Impl* r = job.get();  // the scheduler holds the job until its last callback
  job->on_text = [r, cb = callbacks.on_text](std::string_view text) {
    {
      std::lock_guard lock(r->mu);
      r->result.text += text;
    }
    if (cb && !cb(text)) r->cancelled = true;
  };
  const tokenizer::Tokenizer* tok = &impl_->codec->tokenizer();
  job->on_token = [r, tok, cb = callbacks.on_token](int32_t id, float logprob, std::span<const TokenChoice>) {
    {
      std::lock_guard lock(r->mu);
      r->result.tokens.push_back(id);
    }
    if (cb) cb({id, tok->token_text(id), logprob});
  };
  job->on_done = [r, start](engine::DoneReason reason, const engine::JobStats& s) {
    std::lock_guard lock(r->mu);
    r->result.done_reason = engine::done_reason_name(reason);
    r->result.prompt_tokens = s.prompt_tokens;
    r->result.generated_tokens = s.eval_tokens;
    r->result.prompt_eval_ns = s.prompt_ns;
    r->result.eval_ns = s.eval_ns;
    r->result.total_ns = elapsed_ns(start);
    r->finished = true;
    r->cv.notify_all();
  };
  job->on_error = [r](const Error& e, const engine::JobStats&) {
    std::lock_guard lock(r->mu);
    r->error = e;
    r->finished = true;
    r->cv.notify_all();
  };
  if (!impl_->batched().submit(job))
    throw Error("busy: " + std::to_string(impl_->opts.max_queue) + " requests already wait for this model", ErrorKind::Busy);
  return std::shared_ptr<Request>(new Request(std::move(job)));
}

std::vector<std::vector<float>> Model::embed_batch(const std::vector<std::string>& texts, bool normalize) const {
  ThreadPool pool(impl_->opts.n_threads);
  engine::Encoder encoder(*impl_->model, impl_->info.n_ctx, &pool);
  std::vector<std::vector<float>> out;
  out.reserve(texts.size());
  for (const auto& t : texts)
    out.push_back(encoder.embed(impl_->codec->encode(t, true, false), /*truncate=*/false, false, normalize));
  return out;
}

Request::Request(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
Request::~Request() = default;
void Request::cancel() { impl_->cancelled = true; }

bool Request::done() const {
  std::lock_guard lock(impl_->mu);
  return impl_->finished;
}

GenerateResult Request::wait() {
  std::unique_lock lock(impl_->mu);
  impl_->cv.wait(lock, [this] { return impl_->finished; });
  if (impl_->error) throw *impl_->error;
  return impl_->result;
}

Session::Session(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Session::~Session() = default;

GenerateResult Session::generate(std::span<const int32_t> prompt, const GenerateOptions& opts,
                                 const TextCallback& on_text) {
  const auto text = impl_->model->codec->stream();
  std::unique_ptr<grammar::GrammarConstraint> constraint;
  if (!opts.grammar.empty() || !opts.format.empty())
    constraint = impl_->model->constraints->start(opts.grammar, opts.format);
  const engine::Generation g = impl_->session.generate(
      prompt,
      {.sampling = opts.sampling,
       .num_predict = opts.num_predict,
       .stop = opts.stop,
       .context_shift = opts.context_shift,
       .n_keep = opts.n_keep,
       .constraint = constraint.get(),
       .think = {}},
      text, on_text);
  GenerateResult r;
  r.text = g.text;
  r.tokens = g.tokens;
  r.done_reason = engine::done_reason_name(g.done);
  r.context_shifts = g.context_shifts;
  r.prompt_tokens = g.prompt_tokens;
  r.generated_tokens = static_cast<int64_t>(g.tokens.size());
  r.prompt_eval_ns = g.prompt_eval_ns;
  r.eval_ns = g.eval_ns;
  r.total_ns = g.total_ns;
  return r;
}

GenerateResult Session::generate(std::string_view prompt, const GenerateOptions& opts,
                                 const TextCallback& on_text) {
  const auto tokens = impl_->model->codec->encode(prompt, true, false);
  return generate(std::span<const int32_t>(tokens), opts, on_text);
}

std::vector<float> Session::evaluate(std::span<const int32_t> tokens) {
  return impl_->session.evaluate_all(tokens);
}

const std::vector<int32_t>& Session::history() const { return impl_->session.history(); }

void Session::reset() { impl_->session.reset(); }

}  // namespace airlock
