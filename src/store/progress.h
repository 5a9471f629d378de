// Progress of long copies: a redrawn bar on a terminal, a plain line every 10% otherwise (logs
// and pipes stay readable).
#pragma once
#include <cstdint>
#include <cstdio>
#include <string>

#include "store/blob_writer.h"

namespace airlock::store {

class ProgressPrinter {
 public:
  ProgressPrinter(std::string label, std::FILE* out = stderr);
  ~ProgressPrinter();  // ends the bar's line
  ProgressPrinter(const ProgressPrinter&) = delete;
  ProgressPrinter& operator=(const ProgressPrinter&) = delete;

  void update(uint64_t done, uint64_t total);
  // A ProgressFn that forwards to update(); valid while this object lives.
  ProgressFn fn() {
    return [this](uint64_t d, uint64_t t) { update(d, t); };
  }

 private:
  std::string label_;
  std::FILE* out_;
  bool tty_;
  int last_step_ = -1;
  uint64_t last_done_ = 0;
  double start_ = 0, last_draw_ = 0;
  bool drew_ = false;
};

}  // namespace airlock::store
