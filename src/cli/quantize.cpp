// airlock quantize IN.gguf OUT.gguf TYPE: converts an F16/F32/BF16 GGUF file to a llama.cpp file
// type without the store, so an air-gapped site can quantize a downloaded file where it lies.
#include <airlock/error.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "command.h"
#include "store/quantize.h"

namespace {

struct QuantizeArgs {
  std::string input, output, type, imatrix;
  int threads = 0;
};

void run(const QuantizeArgs& a) {
  namespace fs = std::filesystem;
  std::error_code ec;
  // Writing over the input would replace the file being read; refuse rather than guess.
  if (fs::equivalent(a.input, a.output, ec))
    throw airlock::Error("quantize: " + a.output + " is the input file; choose another output");
  const auto start = std::chrono::steady_clock::now();
  airlock::store::quantize_gguf(a.input, a.output, a.type,
                                {.threads = a.threads,
                                 .progress =
                                     [](size_t i, size_t n) {
                                       std::fprintf(stderr, "\rquantize: tensor %zu/%zu", i, n);
                                       if (i == n) std::fprintf(stderr, "\n");
                                     },
                                 .imatrix = a.imatrix});
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("wrote %s: %s, %.1f MiB in %.1f s\n", a.output.c_str(), a.type.c_str(),
              static_cast<double>(fs::file_size(a.output)) / (1 << 20), seconds);
}

airlock::cli::Registrar reg("quantize", [](CLI::App& app) {
  auto args = std::make_shared<QuantizeArgs>();
  auto* cmd = app.add_subcommand("quantize", "Quantize an F16/F32/BF16 GGUF file into another file");
  cmd->add_option("input", args->input, "Source .gguf (F16, F32 or BF16 weights)")->required();
  cmd->add_option("output", args->output, "Destination .gguf (written atomically)")->required();
  cmd->add_option("type", args->type, "File type: Q4_K_M, Q8_0, IQ4_XS, ... (see `airlock synth --list`)")->required();
  cmd->add_option("-t,--threads", args->threads, "Worker threads (default: one per physical core)");
  cmd->add_option("--imatrix", args->imatrix, "Importance matrix from llama-imatrix (weights each column's error)");
  cmd->callback([args] { run(*args); });
});

}  // namespace
