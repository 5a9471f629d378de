// The guarantee end to end through the public API: the real engine on random-weight fixture models
// (garbage when unconstrained), random seeds, temperature 1.0 and small random num_predict budgets,
// and every output must parse and validate against its schema with the independent validator of
// tests/unit/grammar. Set AIRLOCK_STRUCTURED_OUTPUTS=FILE to also write each {schema, output} as a
// JSON line (the e2e test re-validates them with ajv); AIRLOCK_SEED fixes the seeds.
#include <gtest/gtest.h>

#include <airlock/airlock.h>

#include <cstdlib>
#include <fstream>
#include <random>

#include "grammar/automaton.h"
#include "grammar/json_schema.h"
#include "schema_corpus.h"
#include "support/fixtures.h"
#include "unit/grammar/schema_validator.h"

namespace airlock {
namespace {

constexpr int kRunsPerSchemaPerModel = 11;

// Tokens enough to write the shortest valid output one byte per token: below this the budget
// could force an incomplete output, which the API does not promise to avoid.
int64_t shortest_output_bytes(const std::string& schema_text) {
  grammar::Automaton a(grammar::json_schema_to_grammar(std::string_view(schema_text)));
  auto lock = a.lock();
  return static_cast<int64_t>(a.shortest(a.initial()));
}

uint32_t base_seed() {
  if (const char* s = std::getenv("AIRLOCK_SEED")) return static_cast<uint32_t>(std::strtoul(s, nullptr, 10));
  return std::random_device{}();
}

TEST(StructuredGeneration, EveryOutputValidatesAgainstItsSchema) {
  AIRLOCK_REQUIRE_FIXTURES();
  const auto schemas = testing::load_schema_corpus();
  ASSERT_GE(schemas.size(), 20u);
  std::ofstream dump;
  if (const char* path = std::getenv("AIRLOCK_STRUCTURED_OUTPUTS")) dump.open(path);
  const uint32_t seed0 = base_seed();
  std::printf("AIRLOCK_SEED=%u\n", seed0);
  std::mt19937 rng(seed0);
  int outputs = 0, valid = 0, length = 0;
  for (const char* file : {"qwen2-gpt2-q8_0.gguf", "llama-spm-q8_0.gguf"}) {
    auto model = Model::load(fixtures::dir() / "models" / file, {.n_ctx = 512, .n_threads = 1});
    auto session = model->new_session();
    for (size_t i = 0; i < schemas.size(); ++i) {
      const auto schema = nlohmann::json::parse(schemas[i]);
      const int64_t shortest = shortest_output_bytes(schemas[i]);
      for (int run = 0; run < kRunsPerSchemaPerModel; ++run) {
        GenerateOptions opts;
        opts.format = schemas[i];
        opts.sampling.temperature = 1.0f;
        opts.sampling.seed = rng();
        opts.sampling.has_seed = true;
        opts.num_predict = shortest + std::uniform_int_distribution<int64_t>(0, 24)(rng);
        const auto r = session->generate("Summarise as JSON: the patient", opts, nullptr);
        const std::string where = std::string(file) + " schema " + std::to_string(i) + " seed " +
                                  std::to_string(opts.sampling.seed) + " num_predict " +
                                  std::to_string(opts.num_predict) + ": ";
        ++outputs;
        if (dump.is_open()) dump << nlohmann::json{{"schema", i}, {"output", r.text}}.dump() << "\n";
        ASSERT_LE(r.generated_tokens, opts.num_predict) << where;
        ASSERT_TRUE(r.done_reason == "stop" || r.done_reason == "length") << where << r.done_reason;
        if (r.generated_tokens == opts.num_predict) {
          EXPECT_EQ(r.done_reason, "length") << where;
        }
        length += r.done_reason == "length";
        const auto value = nlohmann::json::parse(r.text, nullptr, false);
        ASSERT_FALSE(value.is_discarded()) << where << "not JSON: " << r.text;
        ASSERT_EQ(grammar::testing::validate(schema, value), "") << where << r.text;
        ++valid;
      }
    }
  }
  std::printf("%d outputs from %zu schemas on 2 models, %d valid, %d ended by the budget (\"length\")\n", outputs,
              schemas.size(), valid, length);
  EXPECT_GE(outputs, 500);
  EXPECT_EQ(valid, outputs);
}

}  // namespace
}  // namespace airlock
