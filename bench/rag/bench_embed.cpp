// Embedding throughput of ingestion: chunks of a fixed token count embedded through LocalEmbedder,
// the path `airlock rag ingest` takes (the model imported into a temporary store, all cores, one
// chunk per worker). The chunks are English text from /usr/share/common-licenses cut to size.
//
//   bench_embed MODEL.gguf [--tokens 400] [--chunks 32] [--reps 3] [--threads 0]
//
// Prints one JSON object: chunks/s and tokens/s per repetition and their mean, and the process's
// CPU seconds per chunk: on a shared, overloaded machine wall time mostly measures the other
// processes, CPU time less so.
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "rag/local_embedder.h"
#include "store/store.h"

namespace {

namespace fs = std::filesystem;

double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

std::vector<std::string> words_of(const fs::path& file) {
  std::ifstream in(file);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: bench_embed MODEL.gguf [--tokens N] [--chunks N] [--reps N] [--threads N]\n");
    return 2;
  }
  const fs::path model = argv[1];
  size_t tokens = 400, chunks = 32, reps = 3;
  int threads = 0;
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string a = argv[i], v = argv[i + 1];
    if (a == "--tokens") tokens = std::stoul(v);
    else if (a == "--chunks") chunks = std::stoul(v);
    else if (a == "--reps") reps = std::stoul(v);
    else if (a == "--threads") threads = std::stoi(v);
  }
  const fs::path store = fs::temp_directory_path() / ("airlock-bench-embed-" + std::to_string(::getpid()));
  airlock::store::Store(store).import_gguf(model, "m", {"bench", nullptr, nullptr});
  airlock::rag::LocalEmbedder e(store, "m", threads);
  const auto words = words_of("/usr/share/common-licenses/GPL-3");
  if (words.empty()) {
    std::fprintf(stderr, "bench_embed: /usr/share/common-licenses/GPL-3 is missing\n");
    return 1;
  }
  // Each chunk starts at another word; words are added while the chunk (plus the [CLS] and [SEP]
  // the model adds) stays within `tokens`.
  std::vector<std::string> texts;
  size_t chunk_tokens = 0;
  for (size_t c = 0, w = 0; c < chunks; ++c) {
    std::string text;
    for (w = (c * 997) % words.size();; w = (w + 1) % words.size()) {
      const std::string longer = text.empty() ? words[w] : text + " " + words[w];
      if (e.count_tokens(longer) + 2 > tokens) break;
      text = longer;
    }
    chunk_tokens += e.count_tokens(text) + 2;
    texts.push_back(text);
  }
  e.embed({texts[0]});  // warm-up: pages the weights in
  nlohmann::json runs = nlohmann::json::array();
  double sum = 0, cpu_sum = 0;
  for (size_t r = 0; r < reps; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    const double c0 = cpu_seconds();
    const auto out = e.embed(texts);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double cpu = cpu_seconds() - c0;
    runs.push_back({{"seconds", s}, {"cpu_seconds", cpu}, {"chunks_per_second", static_cast<double>(chunks) / s},
                    {"tokens_per_second", static_cast<double>(chunk_tokens) / s}});
    sum += static_cast<double>(chunks) / s;
    cpu_sum += cpu;
  }
  fs::remove_all(store);
  const nlohmann::json out = {{"model", model.string()},
                              {"tokens_per_chunk", static_cast<double>(chunk_tokens) / static_cast<double>(chunks)},
                              {"chunks", chunks},
                              {"threads", threads},
                              {"runs", runs},
                              {"mean_chunks_per_second", sum / static_cast<double>(reps)},
                              {"cpu_seconds_per_chunk", cpu_sum / static_cast<double>(reps * chunks)}};
  std::printf("%s\n", out.dump(2).c_str());
  return 0;
}
