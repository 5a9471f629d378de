// Per-token cost of grammar masking with the Llama 3 vocabulary (128,256 tokens) and a JSON-schema
// grammar: the mask at several fixed states, cold (new automaton: every transition computed) and
// warm (transitions cached from earlier requests), and a whole constrained decode (mask + accept
// per token) of a realistic output.
//   build/bench/grammar/bench_grammar_mask   (AIRLOCK_FIXTURES overrides the fixtures folder)
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <unordered_map>

#include "grammar/constraint.h"
#include "grammar/json_schema.h"
#include "unit/grammar/vocab_pieces.h"

namespace airlock::grammar {
namespace {

const char* kSchema = R"({"type":"object","properties":{
  "patient_id":{"type":"string","pattern":"^P-[0-9]{6}$"},
  "visit_date":{"type":"string","format":"date"},
  "summary":{"type":"string","maxLength":400},
  "diagnoses":{"type":"array","items":{"type":"object","properties":{
      "code":{"type":"string"},"description":{"type":"string"},"severity":{"enum":["mild","moderate","severe"]}},
      "required":["code","description","severity"]},"minItems":1,"maxItems":8},
  "medications":{"type":"array","items":{"type":"object","properties":{"name":{"type":"string"},
      "dose_mg":{"type":"number","minimum":0,"maximum":5000},"daily":{"type":"boolean"}},"required":["name","dose_mg"]}},
  "follow_up_days":{"type":["integer","null"],"minimum":0,"maximum":365}},
  "required":["patient_id","visit_date","summary","diagnoses"]})";

const char* kOutput = R"({"patient_id": "P-004211", "visit_date": "2024-03-18", "summary": "Patient presents with persistent )"
                      R"(cough and mild fever for five days; lungs clear on auscultation.", "diagnoses": [{"code": "J06.9", )"
                      R"("description": "Acute upper respiratory infection", "severity": "mild"}], "medications": [{"name": )"
                      R"("Paracetamol", "dose_mg": 500, "daily": true}], "follow_up_days": 7})";

struct Setup {
  std::shared_ptr<const TokenTrie> trie;
  std::shared_ptr<const Grammar> grammar;
  std::unordered_map<std::string, int32_t> by_piece;

  Setup() {
    const char* env = std::getenv("AIRLOCK_FIXTURES");
    std::filesystem::path dir = env ? env : AIRLOCK_DEFAULT_FIXTURES;
    auto v = testing::load_vocab_pieces(dir / "vocab" / "ggml-vocab-llama-bpe.gguf");
    trie = std::make_shared<TokenTrie>(v.pieces, v.end_tokens, v.control_tokens);
    grammar = json_schema_to_grammar(std::string_view(kSchema));
    for (size_t id = 0; id < v.pieces.size(); ++id)
      if (trie->is_text(static_cast<int32_t>(id))) by_piece.emplace(v.pieces[id], static_cast<int32_t>(id));
  }

  // Greedy longest-match split of text into vocabulary tokens (a stand-in for the tokenizer).
  std::vector<int32_t> tokens(std::string_view text) const {
    std::vector<int32_t> out;
    for (size_t i = 0; i < text.size();) {
      for (size_t len = std::min<size_t>(24, text.size() - i); len > 0; --len) {
        auto it = by_piece.find(std::string(text.substr(i, len)));
        if (it != by_piece.end()) {
          out.push_back(it->second);
          i += len;
          break;
        }
      }
    }
    return out;
  }
};

const Setup& setup() {
  static Setup s;
  return s;
}

// Prefixes of kOutput that leave the constraint in typical states.
const char* kStates[] = {"", R"({"patient_id": ")", R"({"patient_id": "P-004211", "visit_date": "2024-)",
                         R"({"patient_id": "P-004211", "visit_date": "2024-03-18", "summary": "Patient presents with)",
                         R"({"patient_id": "P-004211", "visit_date": "2024-03-18", "summary": "x", "diagnoses": [{"code": "J06.9", "description": "y", "severity": )",
                         R"({"patient_id": "P-004211", "visit_date": "2024-03-18", "summary": "x", "diagnoses": [{"code": "a", "description": "b", "severity": "mild"}], "medications": [{"name": "P", "dose_mg": 5)"};

void at_state(benchmark::State& state, bool warm) {
  const Setup& s = setup();
  std::string prefix = kStates[state.range(0)];
  auto shared = std::make_shared<Automaton>(s.grammar);
  std::vector<float> logits(s.trie->vocab_size(), 0.0f);
  auto prepare = [&](std::shared_ptr<Automaton> a) {
    GrammarConstraint c(s.grammar, s.trie, std::move(a));
    for (int32_t t : s.tokens(prefix)) c.accept(t);
    return c;
  };
  GrammarConstraint ready = prepare(shared);  // its mask is not computed yet
  GrammarConstraint(ready).apply(logits.data());  // fills the shared automaton's transition table
  size_t allowed = 0;
  for (auto _ : state) {
    state.PauseTiming();
    GrammarConstraint c = warm ? ready : prepare(nullptr);
    state.ResumeTiming();
    c.apply(logits.data());
    state.PauseTiming();
    allowed = c.allowed().size();
    state.ResumeTiming();
  }
  state.counters["allowed"] = static_cast<double>(allowed);
  state.SetLabel(prefix.empty() ? "start" : "..." + prefix.substr(prefix.size() > 24 ? prefix.size() - 24 : 0));
}

void BM_MaskCold(benchmark::State& state) { at_state(state, false); }
void BM_MaskWarm(benchmark::State& state) { at_state(state, true); }
BENCHMARK(BM_MaskCold)->DenseRange(0, 5)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_MaskWarm)->DenseRange(0, 5)->Unit(benchmark::kMillisecond);

// A whole constrained decode: per token, mask the logits then accept the chosen token.
void BM_DecodePerToken(benchmark::State& state) {
  const Setup& s = setup();
  std::vector<int32_t> tokens = s.tokens(kOutput);
  std::vector<float> logits(s.trie->vocab_size(), 0.0f);
  auto shared = std::make_shared<Automaton>(s.grammar);
  bool cold = state.range(0) == 0;
  for (auto _ : state) {
    GrammarConstraint c(s.grammar, s.trie, cold ? nullptr : shared);
    for (int32_t t : tokens) {
      c.apply(logits.data());
      c.accept(t);
    }
    if (!c.done()) state.SkipWithError("decode did not finish the structure");
  }
  state.counters["tokens"] = static_cast<double>(tokens.size());
  // Seconds per token (printed with an SI prefix: 680u = 0.68 ms).
  state.counters["s_per_token"] = benchmark::Counter(static_cast<double>(tokens.size()),
                                                     benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
  state.SetLabel(cold ? "cold automaton" : "warm automaton");
}
BENCHMARK(BM_DecodePerToken)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace airlock::grammar

BENCHMARK_MAIN();
