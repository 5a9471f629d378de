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

#include <airlock/error.h>

#include "engine/constraint.h"
#include "engine/scheduler.h"

namespace airlock::server {

// What a generation reports: the engine scheduler's per-job counters.
using GenStats = engine::JobStats;

// One generated token of a request that asked for logprobs: its raw bytes (a piece of a
// multi-byte character stays partial), its log-probability and the most likely alternatives.
struct TokenLogprob {
  struct Alt {
    std::string token;
    float logprob;
  };
  std::string token;
  float logprob = 0;
  std::vector<Alt> top;
};

struct GenEvent {
  enum class Kind { Text, Done, Error } kind = Kind::Text;
  std::string text;         // Text: the piece; Error: the message
  std::string done_reason;  // Done: "stop", "length"
  GenStats stats;
  ErrorKind error = ErrorKind::Fault;  // Error: whose fault, for the status when nothing was sent yet
  // Text, Done: the tokens generated since the previous event (with logprobs asked for). A token
  // whose text is still held back (a possible stop string) travels with the event that shows it.
  std::vector<TokenLogprob> logprobs;
  std::string thinking;  // Text: a piece of a thinking model's block (beside or instead of text)
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

// One request as the engine's scheduler runs it (prompt, sampling, limits, cancellation are the
// Job's), plus what the HTTP side waits on: the compiled constraint the runner turns into the
// job's per-request constraint, and the channel its results arrive on.
struct GenRequest : engine::Job {
  engine::CompiledConstraint compiled;  // `format`/`grammar`/tools: output constrained to it
  // Called when a cancelled request leaves the scheduler, with what it had generated.
  std::function<void(const GenStats&)> on_cancelled;
  bool hide_thinking = false;  // a thinking block is split off and dropped (think false)
  EventChannel channel;
  std::vector<TokenLogprob> unsent_logprobs;  // the scheduler's thread only
};

}  // namespace airlock::server
