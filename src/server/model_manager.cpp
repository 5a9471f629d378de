#include "server/model_manager.h"

#include <airlock/error.h>

#include <algorithm>

#include "server/request_note.h"
#include "gguf/gguf.h"
#include "server/request_note.h"
#include "tensor/thread_pool.h"

namespace airlock::server {

using Clock = std::chrono::steady_clock;

namespace {

// The context length the model was trained for, from the GGUF header, to check a request's num_ctx
// before loading anything.
int64_t trained_context(const std::filesystem::path& path) {
  const auto file = gguf::File::open(path);
  const std::string arch = file->get_string("general.architecture").value_or("");
  const auto n = file->get_int(arch + ".context_length");
  if (!n || *n < 1) throw Error(path.string() + ": no valid " + arch + ".context_length in the GGUF header");
  return *n;
}

}  // namespace

Lease::~Lease() { mgr_.release(runner_.get(), keep_alive_); }

ModelManager::ModelManager(const ServerConfig& config, ThreadPool* pool) : config_(config), pool_(pool) {
  reaper_ = std::thread([this] { reap_loop(); });
}

ModelManager::~ModelManager() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  reap_cv_.notify_all();
  reaper_.join();
  Entries dropped;
  {
    std::lock_guard lock(mu_);
    dropped.swap(entries_);
  }
}

bool ModelManager::expired(const Entry& e, Clock::time_point now) {
  if (e.users > 0) return false;
  if (e.retired) return true;
  if (e.keep_alive < KeepAlive::zero()) return false;
  return now >= e.last_used + e.keep_alive;
}

void ModelManager::evict_locked(size_t limit, std::vector<std::shared_ptr<Runner>>& dropped) {
  const auto now = Clock::now();
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (expired(it->second, now)) {
      dropped.push_back(std::move(it->second.runner));
      it = entries_.erase(it);
    } else {
      ++it;
    }
  }
  while (entries_.size() > limit) {
    auto lru = entries_.end();
    for (auto it = entries_.begin(); it != entries_.end(); ++it)
      if (it->second.users == 0 && (lru == entries_.end() || it->second.last_used < lru->second.last_used)) lru = it;
    if (lru == entries_.end()) break;  // all busy: go over the limit rather than fail requests
    dropped.push_back(std::move(lru->second.runner));
    entries_.erase(lru);
  }
}

ModelManager::Settings ModelManager::settle(const LoadOptions& load, int64_t n_ctx_train,
                                            const nlohmann::json& parameters) const {
  Settings s;
  if (load.num_ctx > 0) {
    // Scripts send one num_ctx to every model (4096 is common); a model trained for less serves
    // its trained context instead, noted in the request log and shown by /api/ps.
    s.n_ctx = std::min(load.num_ctx, n_ctx_train);
    if (s.n_ctx < load.num_ctx) request_note().num_ctx_capped_to = s.n_ctx;
  } else {
    // A Modelfile's num_ctx was checked for type when the model was created; the server's default
    // may be more than a small model was trained for. Both are capped, as the familiar server does.
    int64_t want = config_.num_ctx;
    if (auto p = parameters.find("num_ctx"); p != parameters.end() && p->is_number() && p->get<double>() >= 1)
      want = static_cast<int64_t>(std::min(p->get<double>(), static_cast<double>(n_ctx_train)));
    s.n_ctx = std::clamp<int64_t>(want, 1, n_ctx_train);
  }
  s.threads = load.num_thread > 0 ? load.num_thread : pool_->size();
  return s;
}

ModelManager::Entries::iterator ModelManager::find_locked(const std::string& key,
                                                          const std::optional<LoadOptions>& load) {
  auto [first, last] = entries_.equal_range(key);
  auto found = entries_.end();
  std::optional<Settings> want;
  for (auto it = first; it != last; ++it) {
    const Entry& e = it->second;
    if (e.retired) continue;
    if (!load) {  // any instance: the most recently used
      if (found == entries_.end() || e.last_used > found->second.last_used) found = it;
      continue;
    }
    if (!want) want = settle(*load, e.runner->n_ctx_train(), e.runner->resolved().parameters);
    if (e.runner->n_ctx() == want->n_ctx && e.runner->threads() == want->threads) return it;
  }
  return found;
}

std::shared_ptr<Lease> ModelManager::lease_locked(Entry& e, std::optional<KeepAlive> keep_alive, int64_t load_ns) {
  ++e.users;
  e.last_used = Clock::now();
  if (keep_alive) e.keep_alive = *keep_alive;
  request_note().model_digest = e.runner->resolved().digest;  // the handler's thread: for the audit
  return std::make_shared<Lease>(*this, e.runner, keep_alive, load_ns);
}

std::shared_ptr<Lease> ModelManager::acquire(const std::string& name, std::optional<KeepAlive> keep_alive,
                                             std::optional<LoadOptions> load) {
  if (name.empty()) throw Error("model is required");
  store::Store st(config_.models_dir);
  const store::ModelRef ref = store::ModelRef::parse(name);
  const std::string key = ref.full();
  {
    std::lock_guard lock(mu_);
    if (auto it = find_locked(key, load); it != entries_.end()) return lease_locked(it->second, keep_alive, 0);
  }
  if (!st.manifest_digest(ref)) throw Error("model '" + ref.display() + "' not found", ErrorKind::NotFound);
  std::lock_guard load_lock(load_mu_);
  {  // loaded by another request while this one waited
    std::lock_guard lock(mu_);
    if (auto it = find_locked(key, load); it != entries_.end()) return lease_locked(it->second, keep_alive, 0);
  }
  if (!st.manifest_digest(ref)) throw Error("model '" + ref.display() + "' not found", ErrorKind::NotFound);  // deleted meanwhile
  store::ResolvedModel resolved = st.resolve(name);
  const Settings want = settle(load.value_or(LoadOptions{}), trained_context(resolved.model_path), resolved.parameters);
  std::vector<std::shared_ptr<Runner>> dropped;
  {
    std::lock_guard lock(mu_);
    auto [first, last] = entries_.equal_range(key);
    for (auto it = first; it != last; ++it) it->second.retired = true;
    evict_locked(static_cast<size_t>(config_.max_loaded_models) - 1, dropped);
  }
  dropped.clear();  // unloads outside mu_
  const auto start = Clock::now();
  ++loading_;
  std::shared_ptr<Runner> runner;
  try {
    RunnerParams rp;
    rp.num_parallel = config_.num_parallel;
    rp.max_queue = config_.max_queue;
    rp.prefix_sharing = config_.prefix_sharing;
    rp.num_ctx = want.n_ctx;
    rp.num_thread = want.threads;
    runner = std::make_shared<Runner>(std::move(resolved), rp, pool_);
  } catch (const Error& e) {
    --loading_;
    // The model in the store is broken or the machine is: the server's fault, not the request's.
    throw Error("model '" + ref.display() + "' failed to load: " + e.what(), ErrorKind::Fault);
  } catch (...) {
    --loading_;
    throw;
  }
  --loading_;
  const int64_t load_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count();
  std::lock_guard lock(mu_);
  Entry& e = entries_.emplace(key, Entry{})->second;
  e.runner = runner;
  e.keep_alive = config_.keep_alive;
  return lease_locked(e, keep_alive, load_ns);
}

void ModelManager::release(Runner* r, std::optional<KeepAlive> keep_alive) {
  std::vector<std::shared_ptr<Runner>> dropped;
  {
    std::lock_guard lock(mu_);
    for (auto& [key, e] : entries_) {
      if (e.runner.get() != r) continue;
      if (e.users > 0) --e.users;
      e.last_used = Clock::now();
      if (keep_alive) e.keep_alive = *keep_alive;
    }
    evict_locked(static_cast<size_t>(config_.max_loaded_models), dropped);
  }
}

void ModelManager::unload(const std::string& name) {
  const std::string key = store::ModelRef::parse(name).full();
  std::vector<std::shared_ptr<Runner>> dropped;
  std::lock_guard lock(mu_);
  auto [it, last] = entries_.equal_range(key);
  while (it != last) {
    it->second.keep_alive = KeepAlive::zero();
    if (it->second.users == 0) {
      dropped.push_back(std::move(it->second.runner));
      it = entries_.erase(it);
    } else {
      ++it;
    }
  }
}

void ModelManager::retire(const std::string& name) {
  const std::string key = store::ModelRef::parse(name).full();
  std::vector<std::shared_ptr<Runner>> dropped;
  {
    std::lock_guard lock(mu_);
    auto [first, last] = entries_.equal_range(key);
    for (auto it = first; it != last; ++it) it->second.retired = true;
    evict_locked(static_cast<size_t>(config_.max_loaded_models), dropped);
  }
}

std::vector<LoadedInfo> ModelManager::loaded() const {
  std::vector<LoadedInfo> out;
  std::lock_guard lock(mu_);
  const auto now_sys = std::chrono::system_clock::now();
  const auto now = Clock::now();
  for (const auto& [key, e] : entries_) {
    LoadedInfo i;
    i.resolved = e.runner->resolved();
    i.kv_bytes = e.runner->is_encoder() ? 0 : e.runner->kv_bytes();
    i.n_ctx = e.runner->n_ctx();
    i.users = e.users;
    i.pending = e.runner->is_encoder() ? 0 : e.runner->pending();
    i.encoder = e.runner->is_encoder();
    i.expires = e.keep_alive < KeepAlive::zero()
                    ? std::chrono::system_clock::time_point::max()
                    : now_sys + std::chrono::duration_cast<std::chrono::system_clock::duration>(
                                    e.last_used + e.keep_alive - now);
    out.push_back(std::move(i));
  }
  return out;
}

size_t ModelManager::loaded_count() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

size_t ModelManager::queue_depth() const {
  std::lock_guard lock(mu_);
  size_t n = 0;
  for (const auto& [key, e] : entries_) n += e.runner->is_encoder() ? 0 : e.runner->pending();
  return n;
}

void ModelManager::reap_loop() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    reap_cv_.wait_for(lock, std::chrono::milliseconds(500));
    std::vector<std::shared_ptr<Runner>> dropped;
    evict_locked(static_cast<size_t>(config_.max_loaded_models), dropped);
    lock.unlock();
    dropped.clear();
    lock.lock();
  }
}

}  // namespace airlock::server
