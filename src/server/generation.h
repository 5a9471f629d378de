// One generation request as the scheduler sees it, and the channel its results travel back on:
// the HTTP thread waits on the channel while the model's scheduler thread pushes text pieces and
// finally one Done or Error event.
#pragma once
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "engine/constraint.h"
#include "sample/sampler.h"

namespace airlock::server {

struct GenStats {
  int64_t prompt_tokens = 0;   // prompt tokens evaluated (cached prefix excluded)
  int64_t prompt_total = 0;    // prompt length
  int64_t eval_tokens = 0;     // tokens generated
  int64_t prompt_ns = 0, eval_ns = 0;
  int64_t ttft_ns = 0;         // submit to first generated token
};

struct GenEvent {
  enum class Kind { Text, Done, Error } kind = Kind::Text;
  std::string text;         // Text: the piece; Error: the message
  std::string done_reason;  // Done: "stop", "length"
  GenStats stats;
  int status = 500;         // Error: HTTP status to report when nothing was sent yet
};

class EventChannel {
 public:
  void push(GenEvent ev) {
    {
      std::lock_guard lock(mu_);
      events_.push_back(std::move(ev));
    }
    cv_.notify_one();
  }
  // Waits up to `timeout` for the next event; false on timeout.
  bool pop(GenEvent& out, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    if (!cv_.wait_for(lock, timeout, [&] { return !events_.empty(); })) return false;
    out = std::move(events_.front());
    events_.pop_front();
    return true;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<GenEvent> events_;
};

struct GenRequest {
  std::vector<int32_t> prompt;
  SamplingParams sampling;
  std::vector<std::string> stop;
  int64_t num_predict = -1;  // < 0: until the context is full
  int64_t num_batch = 0;     // most prompt tokens evaluated per step; 0: as many as the batch holds
  engine::CompiledConstraint constraint;  // `format`/`grammar`/tools: output constrained to it
  std::chrono::steady_clock::time_point submitted = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
  std::atomic<bool> cancelled{false};  // set by the HTTP side when the client goes away
  // Called by the runner when a cancelled request leaves its slot, with what it had generated.
  std::function<void(const GenStats&)> on_cancelled;
  EventChannel channel;
};

}  // namespace airlock::server
