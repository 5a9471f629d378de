#include "server/model_manager.h"

#include <airlock/error.h>

#include <algorithm>

namespace airlock::server {

using Clock = std::chrono::steady_clock;

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
  std::map<std::string, Entry> dropped;
  {
    std::lock_guard lock(mu_);
    dropped.swap(entries_);
  }
}

bool ModelManager::expired(const Entry& e, Clock::time_point now) {
  if (e.users > 0 || e.keep_alive < KeepAlive::zero()) return false;
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

std::shared_ptr<Lease> ModelManager::acquire(const std::string& name, std::optional<KeepAlive> keep_alive) {
  if (name.empty()) throw Error("model is required");
  store::Store st(config_.models_dir);
  const store::ModelRef ref = store::ModelRef::parse(name);
  const std::string key = ref.full();
  {
    std::lock_guard lock(mu_);
    if (auto it = entries_.find(key); it != entries_.end()) {
      ++it->second.users;
      it->second.last_used = Clock::now();
      if (keep_alive) it->second.keep_alive = *keep_alive;
      return std::make_shared<Lease>(*this, it->second.runner, keep_alive, 0);
    }
  }
  if (!st.manifest_digest(ref)) throw HttpError(404, "model '" + ref.display() + "' not found");
  std::lock_guard load_lock(load_mu_);
  {  // loaded by another request while this one waited
    std::lock_guard lock(mu_);
    if (auto it = entries_.find(key); it != entries_.end()) {
      ++it->second.users;
      it->second.last_used = Clock::now();
      return std::make_shared<Lease>(*this, it->second.runner, keep_alive, 0);
    }
  }
  std::vector<std::shared_ptr<Runner>> dropped;
  {
    std::lock_guard lock(mu_);
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
    rp.num_ctx = config_.num_ctx;
    runner = std::make_shared<Runner>(st.resolve(name), rp, pool_);
  } catch (...) {
    --loading_;
    throw;
  }
  --loading_;
  const int64_t load_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count();
  std::lock_guard lock(mu_);
  Entry& e = entries_[key];
  e.runner = runner;
  e.users = 1;
  e.last_used = Clock::now();
  e.keep_alive = keep_alive.value_or(config_.keep_alive);
  return std::make_shared<Lease>(*this, runner, keep_alive, load_ns);
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
  std::shared_ptr<Runner> dropped;
  std::lock_guard lock(mu_);
  if (auto it = entries_.find(key); it != entries_.end()) {
    it->second.keep_alive = KeepAlive::zero();
    if (it->second.users == 0) {
      dropped = std::move(it->second.runner);
      entries_.erase(it);
    }
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
