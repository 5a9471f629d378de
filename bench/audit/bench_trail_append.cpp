// What one audit record costs the request thread that appends it (Trail::append: seal, write,
// and with audit_fsync_ms 0 the wait for the group-committed fdatasync), from 1 and 16 threads at
// once, with a sync per record (arg 0) and every 100 ms (arg 100). The record is shaped like a
// streamed /api/chat record with audit_content full. The trail goes to $TMPDIR, so run it on the
// file system the audit folder will live on:
//   build/bench/audit/bench_trail_append --benchmark_min_time=2
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

#include "audit/trail.h"

namespace {
namespace fs = std::filesystem;

nlohmann::ordered_json request_record(int64_t i) {
  return {{"type", "request"},
          {"request_id", "bench-" + std::to_string(i)},
          {"client", "127.0.0.1:40000"},
          {"key", nullptr},
          {"method", "POST"},
          {"route", "/api/chat"},
          {"status", 200},
          {"duration_ms", 143.2},
          {"model", "registry.ollama.ai/library/llama:latest"},
          {"model_digest", "sha256:" + std::string(64, 'a')},
          {"options", {{"stream", true}, {"options", {{"num_predict", 16}, {"temperature", 0.7}, {"seed", i}}}}},
          {"input", {{"messages", {{{"role", "user"}, {"content", "Request " + std::to_string(i) +
                                                                   ": tell me about the number 7919 and why it is prime."}}}}}},
          {"output", "Seven thousand nine hundred and nineteen is the thousandth prime, and it has no divisors."},
          {"prompt_tokens", 24},
          {"eval_tokens", 16}};
}

std::unique_ptr<airlock::audit::Trail> trail;
fs::path dir;

void BM_Append(benchmark::State& state) {
  if (state.thread_index() == 0) {
    dir = fs::temp_directory_path() / ("airlock-bench-trail-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    airlock::audit::TrailOptions o;
    o.dir = dir;
    o.fsync_every = std::chrono::milliseconds(state.range(0));
    trail = std::make_unique<airlock::audit::Trail>(o);
  }
  int64_t i = 0;
  for (auto _ : state) trail->append(request_record(++i));
  state.SetItemsProcessed(state.iterations());
  if (state.thread_index() == 0) {
    trail.reset();
    fs::remove_all(dir);
  }
}
BENCHMARK(BM_Append)->Arg(0)->Arg(100)->Threads(1)->Threads(16)->UseRealTime();
}  // namespace
