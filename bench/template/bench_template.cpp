// What a chat template costs per request: parsing (once per model load) and rendering (once per
// request) a real template, for a short and a long conversation, with and without tools.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "template/chat_template.h"

namespace {

std::string read_template(const char* name) {
  const char* env = std::getenv("AIRLOCK_FIXTURES");
  std::filesystem::path p = std::filesystem::path(env ? env : AIRLOCK_DEFAULT_FIXTURES) / "templates" / name;
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

nlohmann::ordered_json conversation(int turns) {
  nlohmann::ordered_json m = nlohmann::ordered_json::array();
  m.push_back({{"role", "system"}, {"content", "You are a helpful assistant."}});
  for (int k = 0; k < turns; ++k) {
    m.push_back({{"role", "user"}, {"content", "Question number " + std::to_string(k) + ", about 60 bytes of text."}});
    m.push_back({{"role", "assistant"}, {"content", "Answer number " + std::to_string(k) + ", also about 60 bytes long."}});
  }
  m.push_back({{"role", "user"}, {"content", "Last question?"}});
  return m;
}

void BM_Parse(benchmark::State& state, const char* name) {
  std::string src = read_template(name);
  if (src.empty()) {
    state.SkipWithError("fixture missing");
    return;
  }
  for (auto _ : state) benchmark::DoNotOptimize(airlock::tmpl::ChatTemplate(src));
}

void BM_Render(benchmark::State& state, const char* name) {
  std::string src = read_template(name);
  if (src.empty()) {
    state.SkipWithError("fixture missing");
    return;
  }
  airlock::tmpl::ChatTemplate t(src);
  auto messages = conversation(static_cast<int>(state.range(0)));
  airlock::tmpl::ChatOptions opt;
  opt.add_generation_prompt = true;
  opt.bos_token = "<s>";
  opt.date = "2026-01-15";
  if (state.range(1))
    opt.tools = nlohmann::ordered_json::parse(R"([{"type": "function", "function": {"name": "get_weather",
      "description": "Current weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
      "required": ["city"]}}}])");
  for (auto _ : state) benchmark::DoNotOptimize(t.render(messages, opt));
}

BENCHMARK_CAPTURE(BM_Parse, llama31, "meta-llama-Llama-3.1-8B-Instruct.jinja")->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Parse, functionary32, "meetkai-functionary-medium-v3.2.jinja")->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Render, llama31, "meta-llama-Llama-3.1-8B-Instruct.jinja")
    ->Args({1, 0})->Args({100, 0})->Args({1, 1})->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Render, qwen25, "Qwen-Qwen2.5-7B-Instruct.jinja")
    ->Args({1, 0})->Args({100, 0})->Args({1, 1})->Unit(benchmark::kMicrosecond);

}  // namespace
