// airlock bench: prompt-processing and generation speed of a model, like llama-bench, plus the
// machine's memory read bandwidth (the bound on generation) and batched decode of several sequences.
#include <airlock/error.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "command.h"
#include "model_arg.h"
#include "model/context.h"
#include "model/model.h"
#include "gguf/file_type.h"
#include "tensor/bandwidth.h"
#include "tensor/cpu_path.h"
#include "tensor/thread_pool.h"

namespace {

using airlock::model::Batch;
using airlock::model::Context;
using airlock::model::ContextParams;
using airlock::model::Model;
using Clock = std::chrono::steady_clock;

struct BenchArgs {
  std::string model;
  int prompt = 512;
  int gen = 128;
  int depth = 0;  // tokens already in the KV cache before each test
  int threads = 0;
  int reps = 3;
  std::vector<int> batch{1, 4, 8};
  size_t bandwidth_mib = 1024;
  bool json = false;
};

struct Stats {
  double mean = 0, stddev = 0;
};

Stats stats(const std::vector<double>& v) {
  Stats s;
  for (double x : v) s.mean += x;
  s.mean /= static_cast<double>(v.size());
  for (double x : v) s.stddev += (x - s.mean) * (x - s.mean);
  s.stddev = v.size() > 1 ? std::sqrt(s.stddev / static_cast<double>(v.size() - 1)) : 0;
  return s;
}

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

double process_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// Wall time, and the process's CPU time: on a shared machine the threads wait for a core, and
// tokens / (CPU seconds / threads) estimates the speed with a core per thread (spin-waiting counts
// as CPU time, so the estimate errs low).
struct Timing {
  double wall = 0, cpu = 0;
};

template <class Fn>
Timing timed(Fn&& fn) {
  const auto t0 = Clock::now();
  const double c0 = process_cpu_seconds();
  fn();
  return {seconds_since(t0), process_cpu_seconds() - c0};
}

// Token ids spread over the vocabulary; speed does not depend on which tokens they are.
int32_t token_at(int64_t i, int64_t n_vocab) { return static_cast<int32_t>((i * 7919 + 13) % n_vocab); }

// Fills sequence 0 with `depth` tokens (untimed, in batches of n_batch) and gives every other
// sequence a copy, so that each test starts from a cache already that deep.
void fill_depth(Context& ctx, int depth, int n_seq) {
  ctx.truncate(0, 0);
  for (int begin = 0; begin < depth;) {
    const int n = static_cast<int>(std::min<int64_t>(ctx.n_batch(), depth - begin));
    Batch b(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i)
      b[static_cast<size_t>(i)] = {token_at(begin + i, ctx.model().hparams().n_vocab), begin + i, 0, i == n - 1};
    ctx.forward(b);
    begin += n;
  }
  for (int s = 1; s < n_seq; ++s) {
    ctx.truncate(s, 0);
    ctx.copy_prefix(0, s, 0, depth);
  }
}

// One prompt of n tokens after `depth` cached ones, in a single forward pass (only the last
// token's logits, as generation needs).
Timing prompt_timing(Context& ctx, int n, int depth) {
  Batch b(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i)
    b[static_cast<size_t>(i)] = {token_at(depth + i, ctx.model().hparams().n_vocab), depth + i, 0, i == n - 1};
  ctx.truncate(0, depth);
  return timed([&] { ctx.forward(b); });
}

// n decode steps after `depth` cached tokens; each step feeds one token to each of n_seq
// sequences in one forward pass.
Timing decode_timing(Context& ctx, int n, int n_seq, int depth) {
  for (int s = 0; s < n_seq; ++s) ctx.truncate(s, depth);
  Batch b(static_cast<size_t>(n_seq));
  return timed([&] {
    for (int i = 0; i < n; ++i) {
      for (int s = 0; s < n_seq; ++s)
        b[static_cast<size_t>(s)] = {token_at(depth + i + s, ctx.model().hparams().n_vocab), depth + i, s, true};
      ctx.forward(b);
    }
  });
}

// Bytes of weights one decode step reads: every matrix once (the embedding table only one row).
double weight_bytes_per_token(const Model& m) {
  auto bytes = [](const airlock::WeightView& w) {
    return w.data ? static_cast<double>(*airlock::row_bytes(w.type, w.cols)) * static_cast<double>(w.rows) : 0.0;
  };
  const auto& w = m.weights();
  double total = bytes(w.output);
  for (const auto& L : w.layers)
    for (const auto* v : {&L.wq, &L.wk, &L.wv, &L.wo, &L.ffn_gate, &L.ffn_up, &L.ffn_down}) total += bytes(*v);
  return total;
}

double parameter_count(const Model& m) {
  double n = 0;
  for (const auto& t : m.file().tensors()) n += static_cast<double>(t.n_elements());
  return n;
}

// "llama 1.24B Q4_K_M": architecture, size and the file type the model was written as.
std::string describe(const Model& m) {
  char params[32];
  std::snprintf(params, sizeof params, " %.2fB", parameter_count(m) / 1e9);
  std::string name = m.file().architecture() + params;
  if (const auto id = m.file().get_int("general.file_type")) name += " " + airlock::gguf::file_type_name(*id);
  return name;
}

struct Row {
  std::string test;
  int threads, batch;
  Stats tps, cpu_tps;  // tokens per wall second; per (CPU second / threads)
};

// Repeats a test and turns its timings into tokens/s.
template <class Fn>
Row repeat(std::string test, int threads, int batch, int reps, double tokens, Fn&& run_once) {
  std::vector<double> wall, cpu;
  for (int r = 0; r < reps; ++r) {
    const Timing t = run_once();
    wall.push_back(tokens / t.wall);
    cpu.push_back(tokens / (t.cpu / threads));
  }
  return {std::move(test), threads, batch, stats(wall), stats(cpu)};
}

void run(const BenchArgs& a) {
  if (a.prompt < 0 || a.gen < 0 || a.depth < 0) throw airlock::Error("bench: -p, -n and -d must not be negative");
  if (a.reps < 1) throw airlock::Error("bench: -r must be at least 1");
  for (int b : a.batch)
    if (b < 1 || b > 256) throw airlock::Error("bench: --batch sizes must be in [1, 256]");
  const auto t_load = Clock::now();
  const std::unique_ptr<Model> model = Model::load(airlock::cli::resolve_model_arg(a.model));
  const double load_s = seconds_since(t_load);
  if (!model->hparams().arch->causal) throw airlock::Error("bench: " + a.model + " is not a generative model");
  airlock::ThreadPool pool(a.threads);
  const int threads = pool.size();
  const int max_seq = *std::max_element(a.batch.begin(), a.batch.end());

  ContextParams cp;
  cp.n_ctx = a.depth + std::max(a.prompt, a.gen) + 1;
  cp.n_seq = std::max(1, max_seq);
  // Room to fill the depth in chunks of up to 512 tokens too.
  cp.n_batch = std::max({a.prompt, max_seq, std::min(a.depth, 512), 1});
  if (cp.n_ctx > model->hparams().n_ctx_train)
    throw airlock::Error("bench: -d/-p/-n exceed the model's context of " + std::to_string(model->hparams().n_ctx_train));
  Context ctx(*model, cp, &pool);

  std::vector<Row> rows;
  rows.reserve(2 + a.batch.size());  // no reallocation: tg points into rows
  const Row* tg = nullptr;  // single-sequence decode, for the bandwidth share
  // One untimed pass first: page in the weights and size every scratch buffer.
  decode_timing(ctx, 1, 1, 0);
  fill_depth(ctx, a.depth, cp.n_seq);
  // Named as the reference bench names tests at a depth ("tg32 @ d2048").
  const std::string at = a.depth > 0 ? " @ d" + std::to_string(a.depth) : "";
  if (a.prompt > 0)
    rows.push_back(repeat("pp" + std::to_string(a.prompt) + at, threads, 1, a.reps, a.prompt,
                          [&] { return prompt_timing(ctx, a.prompt, a.depth); }));
  if (a.gen > 0) {
    rows.push_back(repeat("tg" + std::to_string(a.gen) + at, threads, 1, a.reps, a.gen,
                          [&] { return decode_timing(ctx, a.gen, 1, a.depth); }));
    tg = &rows.back();
    for (int b : a.batch) {
      if (b == 1) continue;  // the tg row above
      rows.push_back(repeat("tg" + std::to_string(a.gen) + " x" + std::to_string(b) + at, threads, b, a.reps,
                            static_cast<double>(a.gen) * b, [&] { return decode_timing(ctx, a.gen, b, a.depth); }));
    }
  }
  const airlock::Bandwidth bw = measure_read_bandwidth(a.bandwidth_mib << 20, 5, &pool);
  const double per_token = weight_bytes_per_token(*model);
  // Decode's share of the bandwidth, by wall time and by CPU time (each against its own measure).
  const double share = tg && bw.bytes_per_second > 0 ? per_token * tg->tps.mean / bw.bytes_per_second : 0;
  const double cpu_share = tg && bw.cpu_bytes_per_second > 0 ? per_token * tg->cpu_tps.mean / bw.cpu_bytes_per_second : 0;

  const std::string name = describe(*model);
  const double size_mib = static_cast<double>(model->file().file_size()) / (1 << 20);
  const double params = parameter_count(*model);
  const char* path = airlock::cpu_path_name(airlock::active_cpu_path());

  if (a.json) {
    nlohmann::json j;
    j["model"] = a.model;
    j["name"] = name;
    j["size_bytes"] = model->file().file_size();
    j["params"] = params;
    j["cpu_path"] = path;
    j["threads"] = threads;
    j["load_seconds"] = load_s;
    j["tests"] = nlohmann::json::array();
    for (const Row& r : rows)
      j["tests"].push_back({{"test", r.test}, {"batch", r.batch}, {"tokens_per_second", r.tps.mean},
                            {"stddev", r.tps.stddev}, {"depth", a.depth}, {"tokens_per_cpu_second_per_thread", r.cpu_tps.mean},
                            {"repetitions", a.reps}});
    j["bandwidth"] = {{"bytes_per_second", bw.bytes_per_second}, {"cpu_bytes_per_second", bw.cpu_bytes_per_second},
                      {"buffer_bytes", bw.buffer_bytes}, {"passes", bw.passes}};
    j["decode_weight_bytes_per_token"] = per_token;
    j["decode_bandwidth_share"] = share;
    j["decode_bandwidth_share_cpu"] = cpu_share;
    std::printf("%s\n", j.dump(2).c_str());
    return;
  }
  std::printf("| %-28s | %10s | %8s | %-7s | %7s | %12s | %18s | %18s |\n", "model", "size", "params", "backend",
              "threads", "test", "t/s", "t/s (cpu time)");
  std::printf("| %s | %s | %s | %s | %s | %s | %s | %s |\n", std::string(28, '-').c_str(), std::string(10, '-').c_str(),
              std::string(8, '-').c_str(), std::string(7, '-').c_str(), std::string(7, '-').c_str(),
              std::string(12, '-').c_str(), std::string(18, '-').c_str(), std::string(18, '-').c_str());
  for (const Row& r : rows) {
    char mib[32], par[32], tps[48], cpu[48];
    std::snprintf(mib, sizeof mib, "%.2f MiB", size_mib);
    std::snprintf(par, sizeof par, "%.2f B", params / 1e9);
    std::snprintf(tps, sizeof tps, "%.2f ± %.2f", r.tps.mean, r.tps.stddev);
    std::snprintf(cpu, sizeof cpu, "%.2f ± %.2f", r.cpu_tps.mean, r.cpu_tps.stddev);
    std::printf("| %-28.28s | %10s | %8s | %-7s | %7d | %12s | %18s | %18s |\n", name.c_str(), mib, par, path,
                r.threads, r.test.c_str(), tps, cpu);
  }
  std::printf("\nload: %.3f s\n", load_s);
  std::printf("memory read bandwidth: %.2f GB/s, by cpu time %.2f GB/s (best of %d passes over %zu MiB, %d threads)\n",
              bw.bytes_per_second / 1e9, bw.cpu_bytes_per_second / 1e9, bw.passes, bw.buffer_bytes >> 20, threads);
  if (tg)
    std::printf("decode reads %.1f MiB of weights per token: %s at %.2f t/s uses %.1f%% of it (bound %.1f t/s); "
                "by cpu time %.2f t/s, %.1f%% (bound %.1f t/s)\n",
                per_token / (1 << 20), tg->test.c_str(), tg->tps.mean, 100 * share, bw.bytes_per_second / per_token,
                tg->cpu_tps.mean, 100 * cpu_share, bw.cpu_bytes_per_second / per_token);
  std::printf("tgN xB: aggregate tokens/s of B sequences decoded together; cpu time: tokens / (process CPU s /"
              " threads), the speed with a core per thread\n");
}

airlock::cli::Registrar reg("bench", [](CLI::App& app) {
  auto args = std::make_shared<BenchArgs>();
  auto* cmd = app.add_subcommand("bench", "Measure prompt and generation speed of a model (like llama-bench)");
  cmd->add_option("model", args->model, "GGUF model file or model-store NAME[:TAG]")->required();
  cmd->add_option("-p,--n-prompt", args->prompt, "Prompt tokens processed in one pass (0: skip)");
  cmd->add_option("-n,--n-gen", args->gen, "Tokens generated one at a time (0: skip)");
  cmd->add_option("-d,--n-depth", args->depth, "Tokens already in the KV cache before each test (generation at depth)");
  cmd->add_option("-t,--threads", args->threads, "Threads (default: physical cores)");
  cmd->add_option("-r,--repetitions", args->reps, "Repetitions of each test");
  cmd->add_option("--batch", args->batch, "Sequences decoded together, comma-separated")->delimiter(',');
  cmd->add_option("--bandwidth-mib", args->bandwidth_mib, "Buffer for the bandwidth measurement, MiB");
  cmd->add_flag("--json", args->json, "Print JSON instead of the table");
  cmd->callback([args] { run(*args); });
});

}  // namespace
