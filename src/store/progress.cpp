#include "store/progress.h"

#include <unistd.h>

#include <chrono>

namespace airlock::store {

namespace {
double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
}  // namespace

ProgressPrinter::ProgressPrinter(std::string label, std::FILE* out)
    : label_(std::move(label)), out_(out), tty_(::isatty(::fileno(out)) == 1), start_(now()) {}

ProgressPrinter::~ProgressPrinter() {
  if (tty_ && drew_) std::fputc('\n', out_);
}

void ProgressPrinter::update(uint64_t done, uint64_t total) {
  last_done_ = done;
  double t = now();
  double mb = done / 1e6;
  double rate = t > start_ ? mb / (t - start_) : 0;
  if (tty_) {
    if (t - last_draw_ < 0.1 && done != total) return;
    last_draw_ = t;
    drew_ = true;
    if (total > 0) {
      int width = 30, filled = static_cast<int>(width * static_cast<double>(done) / static_cast<double>(total));
      std::string bar(static_cast<size_t>(filled), '#');
      bar.resize(static_cast<size_t>(width), '.');
      std::fprintf(out_, "\r%s [%s] %3d%% %.0f/%.0f MB %.0f MB/s", label_.c_str(), bar.c_str(),
                   static_cast<int>(100.0 * static_cast<double>(done) / static_cast<double>(total)), mb,
                   total / 1e6, rate);
    } else {
      std::fprintf(out_, "\r%s %.0f MB %.0f MB/s", label_.c_str(), mb, rate);
    }
    std::fflush(out_);
    return;
  }
  if (total == 0) return;
  int step = static_cast<int>(10.0 * static_cast<double>(done) / static_cast<double>(total));
  if (step == last_step_) return;
  last_step_ = step;
  std::fprintf(out_, "%s: %d%% (%.0f of %.0f MB, %.0f MB/s)\n", label_.c_str(), step * 10, mb, total / 1e6, rate);
}

}  // namespace airlock::store
