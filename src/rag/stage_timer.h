// Wall and thread-CPU time of one stage of work, added to a SearchTimings::Stage when it ends.
#pragma once
#include <time.h>

#include <chrono>

#include "rag/retrieve.h"

namespace airlock::rag {

class StageTimer {
 public:
  explicit StageTimer(SearchTimings::Stage* into) : into_(into) {
    if (into_) wall_ = std::chrono::steady_clock::now(), cpu_ = thread_cpu_ms();
  }
  ~StageTimer() {
    if (!into_) return;
    into_->wall_ms += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - wall_).count();
    into_->cpu_ms += thread_cpu_ms() - cpu_;
  }
  StageTimer(const StageTimer&) = delete;
  StageTimer& operator=(const StageTimer&) = delete;

 private:
  static double thread_cpu_ms() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
  }
  SearchTimings::Stage* into_;
  std::chrono::steady_clock::time_point wall_;
  double cpu_ = 0;
};

}  // namespace airlock::rag
