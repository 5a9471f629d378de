// The end-to-end guarantee: a simulated model (random logits, temperature 1.0, random seeds and
// token budgets) sampling under the constraint with the real Llama 3 vocabulary always produces
// JSON that parses and validates against its schema, across 24 schemas and 504 outputs.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "grammar/constraint.h"
#include "grammar/json_schema.h"
#include "schema_validator.h"
#include "support/fixtures.h"
#include "vocab_pieces.h"

namespace airlock::grammar {
namespace {

const char* kSchemas[] = {
    // medical summary
    R"({"type":"object","properties":{"patient_id":{"type":"string","pattern":"^P-[0-9]{6}$"},
      "visit_date":{"type":"string","format":"date"},"summary":{"type":"string","maxLength":200},
      "diagnoses":{"type":"array","items":{"type":"object","properties":{"code":{"type":"string","pattern":"^[A-Z][0-9]{2}(\\.[0-9]{1,2})?$"},
        "description":{"type":"string"},"severity":{"enum":["mild","moderate","severe"]}},"required":["code","description","severity"]},
        "minItems":1,"maxItems":4},
      "medications":{"type":"array","items":{"type":"object","properties":{"name":{"type":"string"},
        "dose_mg":{"type":"number","minimum":0,"maximum":5000},"daily":{"type":"boolean"}},"required":["name","dose_mg"]}},
      "follow_up_days":{"type":["integer","null"],"minimum":0,"maximum":365}},
      "required":["patient_id","visit_date","summary","diagnoses"]})",
    // log analysis
    R"({"type":"object","properties":{"source":{"type":"string","maxLength":30},
      "time_range":{"type":"object","properties":{"start":{"type":"string","format":"date-time"},"end":{"type":"string","format":"date-time"}},"required":["start","end"]},
      "error_count":{"type":"integer","minimum":0},"levels":{"type":"array","items":{"enum":["DEBUG","INFO","WARN","ERROR","FATAL"]}},
      "top_errors":{"type":"array","items":{"type":"object","properties":{"message":{"type":"string","maxLength":60},
        "count":{"type":"integer","minimum":1},"first_seen":{"type":"string","format":"time"}},"required":["message","count"]},"maxItems":3},
      "anomalies_detected":{"type":"boolean"},"host_ip":{"type":"string","pattern":"^(\\d{1,3}\\.){3}\\d{1,3}$"}},
      "required":["source","error_count","levels","anomalies_detected"]})",
    // Pydantic: $defs, nullable anyOf, title/default annotations, email
    R"({"$defs":{"Address":{"title":"Address","type":"object","properties":{"street":{"title":"Street","type":"string"},
      "city":{"type":"string","maxLength":20},"zip":{"type":"string","pattern":"^[0-9]{5}(-[0-9]{4})?$"}},"required":["street","city"]}},
      "title":"Person","type":"object","properties":{"name":{"type":"string","minLength":1,"maxLength":40},
      "age":{"type":"integer","minimum":0,"maximum":130},"address":{"anyOf":[{"$ref":"#/$defs/Address"},{"type":"null"}],"default":null},
      "email":{"type":"string","format":"email"}},"required":["name","age"]})",
    // recursive tree
    R"({"$defs":{"node":{"type":"object","properties":{"label":{"type":"string","maxLength":8},
      "children":{"type":"array","items":{"$ref":"#/$defs/node"},"maxItems":3}},"required":["label","children"]}},"$ref":"#/$defs/node"})",
    // recursive linked list through "#"
    R"({"type":"object","properties":{"value":{"type":"integer"},"next":{"anyOf":[{"$ref":"#"},{"type":"null"}]}},"required":["value","next"]})",
    // zod style
    R"({"type":"object","properties":{"id":{"type":"string","format":"uuid"},"status":{"type":"string","enum":["active","inactive","pending"]},
      "score":{"type":"number","minimum":0,"maximum":100},"tags":{"type":"array","items":{"type":"string","maxLength":10},"maxItems":4}},
      "required":["id","status","score","tags"],"additionalProperties":false,"$schema":"http://json-schema.org/draft-07/schema#"})",
    R"({"type":"array","items":{"type":"integer","minimum":-50,"maximum":50},"minItems":2,"maxItems":6})",
    R"({"type":"object","properties":{"choice":{"enum":["a",1,true,null,{"x":[1,2]}]},"c":{"const":"fixed"}},"required":["choice","c"]})",
    // discriminated union
    R"({"oneOf":[{"type":"object","properties":{"kind":{"const":"circle"},"radius":{"type":"number","minimum":0}},"required":["kind","radius"]},
      {"type":"object","properties":{"kind":{"const":"rect"},"w":{"type":"integer"},"h":{"type":"integer"}},"required":["kind","w","h"]}]})",
    R"({"$defs":{"base":{"type":"object","properties":{"id":{"type":"integer","minimum":1}},"required":["id"]}},
      "allOf":[{"$ref":"#/$defs/base"},{"properties":{"name":{"type":"string","maxLength":12},"active":{"type":"boolean"}},"required":["name"]}]})",
    R"({"type":"object","additionalProperties":{"type":"integer"}})",
    R"({"type":"object"})",
    R"({"type":"object","properties":{"matrix":{"type":"array","items":{"type":"array","items":{"type":"number"},"minItems":1,"maxItems":3},"maxItems":3}},"required":["matrix"]})",
    R"({"type":"object","properties":{"phone":{"type":"string","pattern":"^\\+?[0-9]{1,3}[- ]?\\(?[0-9]{3}\\)?[- ]?[0-9]{3}-[0-9]{4}$"},
      "code":{"type":"string","pattern":"^[A-Z]{3}_[a-z0-9]+$"},"slug":{"type":"string","pattern":"^[a-z]+(-[a-z]+)*$"}},"required":["phone","code","slug"]})",
    R"({"type":"object","properties":{"d":{"type":"string","format":"date"},"t":{"type":"string","format":"time"},"dt":{"type":"string","format":"date-time"}},"required":["d","t","dt"]})",
    R"({"type":"object","properties":{"a":{"type":["string","null"]},"b":{"type":"integer","nullable":true},"c":{"type":["number","boolean"]}},"required":["a","b","c"]})",
    R"({"type":"object","properties":{"pct":{"type":"integer","exclusiveMinimum":0,"exclusiveMaximum":100},"neg":{"type":"integer","maximum":-10},
      "big":{"type":"integer","minimum":1000000}},"required":["pct","neg","big"]})",
    R"({"type":"object","properties":{"short":{"type":"string","maxLength":3},"exact":{"type":"string","minLength":4,"maxLength":4},
      "long":{"type":"string","minLength":5}},"required":["short","exact","long"]})",
    R"({"type":"array","items":{"type":"number","minimum":-5,"maximum":-1},"minItems":1,"maxItems":4})",
    // recursive expression tree through anyOf
    R"({"$defs":{"expr":{"anyOf":[{"type":"integer","minimum":0,"maximum":9},{"type":"object","properties":{"op":{"enum":["+","-","*"]},
      "args":{"type":"array","items":{"$ref":"#/$defs/expr"},"minItems":2,"maxItems":2}},"required":["op","args"]}]}},"$ref":"#/$defs/expr"})",
    R"({"definitions":{"item":{"type":"object","properties":{"sku":{"type":"string","pattern":"^SKU-[0-9]{4}$"},"qty":{"type":"integer","minimum":1,"maximum":99}},
      "required":["sku","qty"]}},"type":"object","properties":{"order_id":{"type":"integer"},"items":{"type":"array","items":{"$ref":"#/definitions/item"},"minItems":1},
      "note":{"type":"string"}},"required":["order_id","items"]})",
    R"({"type":"object","properties":{"meta":{},"data":{"type":"array"}},"required":["meta","data"]})",
    R"({"type":"object","properties":{"flag":{"type":"boolean"},"nothing":{"type":"null"},"ratio":{"type":"number"}}})",
    R"({"type":"object","properties":{"word":{"type":"string","pattern":"^[\\w]{2,5}$"},"unicode":{"type":"string","pattern":"^[^a-z\"]{1,6}$"},
      "any":{"type":"string","pattern":"^.{3}$"}},"required":["word","unicode","any"]})",
};

constexpr int kRunsPerSchema = 21;

struct Stats {
  int outputs = 0, valid = 0, forced = 0, ended_by_eos = 0;
};

TEST(GeneratedOutputs, AlwaysValidateAgainstTheirSchema) {
  AIRLOCK_REQUIRE_FIXTURES();
  auto vocab = testing::load_vocab_pieces(fixtures::dir() / "vocab" / "ggml-vocab-llama-bpe.gguf");
  auto trie = std::make_shared<TokenTrie>(vocab.pieces, vocab.end_tokens, vocab.control_tokens);
  std::vector<float> logits(trie->vocab_size());
  Stats stats;
  uint32_t seed = 1;
  for (const char* schema_text : kSchemas) {
    auto schema = nlohmann::json::parse(schema_text);
    auto grammar = json_schema_to_grammar(std::string_view(schema_text));
    auto automaton = std::make_shared<Automaton>(grammar);  // shared across runs, as a server would
    for (int run = 0; run < kRunsPerSchema; ++run, ++seed) {
      std::mt19937 rng(seed);
      GrammarConstraint c(grammar, trie, automaton);
      const uint64_t budget = c.shortest_completion_bytes() + std::uniform_int_distribution<uint64_t>(0, 45)(rng);
      uint64_t noise = seed * 0x9E3779B97F4A7C15ull;  // splitmix64: cheap logits for 128k tokens a step
      std::string text;
      uint64_t used = 0;
      bool forced = false;
      while (!c.done() && used < budget) {
        for (float& l : logits) {
          uint64_t z = (noise += 0x9E3779B97F4A7C15ull);
          z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
          z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
          l = static_cast<float>((z ^ (z >> 31)) >> 40) * (8.0f / 16777216.0f) - 4.0f;  // uniform in [-4, 4)
        }
        // Budget pressure: the rest of the output has to be as short as possible from here on.
        forced = forced || budget - used <= c.shortest_completion_bytes() + 1;
        c.apply(logits.data(), budget - used);
        // Softmax sampling at temperature 1.0 over what is left.
        float top = -INFINITY;
        for (float l : logits) top = std::max(top, l);
        ASSERT_TRUE(std::isfinite(top)) << "no token allowed after: " << text;
        double total = 0;
        for (float& l : logits) {
          l = std::isinf(l) ? 0.0f : std::exp(l - top);  // now the unnormalised probability
          total += l;
        }
        double r = std::uniform_real_distribution<double>(0, total)(rng);
        int32_t token = -1;
        for (size_t id = 0; id < logits.size() && token < 0; ++id) {
          r -= logits[id];
          if (r <= 0 && logits[id] > 0) token = static_cast<int32_t>(id);
        }
        if (token < 0)  // rounding at the very end of the distribution
          for (size_t id = logits.size(); id-- > 0 && token < 0;)
            if (logits[id] > 0) token = static_cast<int32_t>(id);
        c.accept(token);
        if (trie->is_end(token)) {
          ++stats.ended_by_eos;
          break;
        }
        text += trie->piece(token);
        ++used;
      }
      ++stats.outputs;
      stats.forced += forced;
      auto value = nlohmann::json::parse(text, nullptr, false);
      ASSERT_FALSE(value.is_discarded()) << "seed " << seed << " budget " << budget << ": not JSON: " << text;
      std::string problem = testing::validate(schema, value);
      ASSERT_EQ(problem, "") << "seed " << seed << ": " << text << "\nschema: " << schema_text;
      ++stats.valid;
    }
  }
  EXPECT_GE(stats.outputs, 500);
  EXPECT_EQ(stats.valid, stats.outputs);
  std::printf("%d outputs from %zu schemas, %d valid; %d finished under budget pressure, %d ended by EOS\n", stats.outputs,
              std::size(kSchemas), stats.valid, stats.forced, stats.ended_by_eos);
}

// The validator itself must reject bad documents, or the test above proves nothing.
TEST(GeneratedOutputs, ValidatorRejectsInvalidDocuments) {
  auto s = nlohmann::json::parse(kSchemas[0]);
  auto good = nlohmann::json::parse(R"({"patient_id":"P-000001","visit_date":"2024-02-29","summary":"ok",
      "diagnoses":[{"code":"J06.9","description":"d","severity":"mild"}],"follow_up_days":null})");
  EXPECT_EQ(testing::validate(s, good), "");
  auto bad = good;
  bad["visit_date"] = "2023-02-29";
  EXPECT_NE(testing::validate(s, bad), "");
  bad = good;
  bad["patient_id"] = "P-00001";
  EXPECT_NE(testing::validate(s, bad), "");
  bad = good;
  bad["diagnoses"] = nlohmann::json::array();
  EXPECT_NE(testing::validate(s, bad), "");
  bad = good;
  bad["follow_up_days"] = 366;
  EXPECT_NE(testing::validate(s, bad), "");
  bad = good;
  bad.erase("summary");
  EXPECT_NE(testing::validate(s, bad), "");
  bad = good;
  bad["diagnoses"][0]["severity"] = "fatal";
  EXPECT_NE(testing::validate(s, bad), "");
  auto tree = nlohmann::json::parse(kSchemas[3]);
  EXPECT_EQ(testing::validate(tree, nlohmann::json::parse(R"({"label":"a","children":[{"label":"b","children":[]}]})")), "");
  EXPECT_NE(testing::validate(tree, nlohmann::json::parse(R"({"label":"a","children":[{"label":"b"}]})")), "");
  auto shapes = nlohmann::json::parse(kSchemas[8]);
  EXPECT_NE(testing::validate(shapes, nlohmann::json::parse(R"({"kind":"circle","w":1,"h":2})")), "");
}

}  // namespace
}  // namespace airlock::grammar
