// Which models are loaded: a model is loaded on first use, stays for its keep_alive after its last
// request, and when more than max_loaded models would be loaded the least recently used idle one
// is unloaded first. A Lease pins a model while a request uses it.
//
// A model is loaded as an instance with a context size (num_ctx) and a thread count (num_thread),
// both fixed for its life: the KV cache is sized at load, and the shared thread pool cannot be
// resized under other models. A request asking for other values than the loaded instance has gets
// a new instance loaded with them, and the model's older instances are retired: they take no new
// requests and unload as soon as the requests already running or queued on them have finished.
// This is the familiar server's "reload when num_ctx changes", except that the new instance loads
// beside the old one rather than after it drains, so no request waits on another's.
#pragma once
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "server/config.h"
#include "server/request_options.h"
#include "server/runner.h"

namespace airlock {
class ThreadPool;
}

namespace airlock::server {

class ModelManager;

class Lease {
 public:
  Lease(ModelManager& m, std::shared_ptr<Runner> r, std::optional<KeepAlive> keep_alive, int64_t load_ns)
      : mgr_(m), runner_(std::move(r)), keep_alive_(keep_alive), load_ns_(load_ns) {}
  ~Lease();
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;
  Runner& runner() const { return *runner_; }
  int64_t load_ns() const { return load_ns_; }

 private:
  ModelManager& mgr_;
  std::shared_ptr<Runner> runner_;
  std::optional<KeepAlive> keep_alive_;
  int64_t load_ns_;
};

struct LoadedInfo {
  store::ResolvedModel resolved;
  size_t kv_bytes = 0;
  int64_t n_ctx = 0;
  std::chrono::system_clock::time_point expires;  // max(): never
  size_t users = 0;
  size_t pending = 0;    // generation requests queued or in a slot
  bool encoder = false;  // an embedding model: no slots
};

class ModelManager {
 public:
  ModelManager(const ServerConfig& config, ThreadPool* pool);
  ~ModelManager();

  // Loads the model if needed. `load`: the request's num_ctx / num_thread (zero: the Modelfile's
  // num_ctx PARAMETER, else the server's num_ctx and thread pool); nullopt: any loaded instance
  // will do (tokenize, embeddings), else one with the defaults. Throws airlock::Error: NotFound
  // "model 'x' not found", Fault for a model that fails to load. A num_ctx beyond the model's
  // trained context is capped to it.
  std::shared_ptr<Lease> acquire(const std::string& name, std::optional<KeepAlive> keep_alive,
                                 std::optional<LoadOptions> load = std::nullopt);
  // keep_alive 0 with no prompt: unload now (waits for nothing; in-flight requests keep their lease).
  void unload(const std::string& name);
  // The name was deleted from the store: its instances take no new request (the next one gets
  // 404 from the store), idle ones unload now and busy ones when their requests finish.
  void retire(const std::string& name);
  std::vector<LoadedInfo> loaded() const;
  size_t loaded_count() const;
  bool loading() const { return loading_.load() > 0; }
  // Queued + running requests over all models.
  size_t queue_depth() const;

 private:
  friend class Lease;
  struct Entry {
    std::shared_ptr<Runner> runner;
    size_t users = 0;
    std::chrono::steady_clock::time_point last_used;
    KeepAlive keep_alive;
    bool retired = false;  // superseded by an instance with other settings: unload when idle
  };
  using Entries = std::multimap<std::string, Entry>;  // by manifest path (host/ns/model:tag)
  struct Settings {
    int64_t n_ctx = 0;
    int threads = 0;
  };
  // The settings an instance must have to serve `load`; a num_ctx is capped at the trained context.
  Settings settle(const LoadOptions& load, int64_t n_ctx_train, const nlohmann::json& parameters) const;
  // Caller holds mu_. A live instance of model `key` that serves `load`, or entries_.end().
  Entries::iterator find_locked(const std::string& key, const std::optional<LoadOptions>& load);
  std::shared_ptr<Lease> lease_locked(Entry& e, std::optional<KeepAlive> keep_alive, int64_t load_ns);
  void release(Runner* r, std::optional<KeepAlive> keep_alive);
  void reap_loop();
  // Caller holds mu_. Removes idle entries past their keep_alive, then LRU idle ones over `limit`.
  void evict_locked(size_t limit, std::vector<std::shared_ptr<Runner>>& dropped);
  static bool expired(const Entry& e, std::chrono::steady_clock::time_point now);

  ServerConfig config_;
  ThreadPool* pool_;
  mutable std::mutex mu_;
  std::mutex load_mu_;  // one load at a time
  Entries entries_;
  std::atomic<int> loading_{0};
  std::condition_variable reap_cv_;
  bool stop_ = false;
  std::thread reaper_;
};

}  // namespace airlock::server
