// The schemas of the structured-output tests (tests/e2e/structured/schemas.jsonl, one per line),
// shared by the C++ generation test and the ajv end-to-end check.
#pragma once
#include <string>
#include <vector>

namespace airlock::testing {

// Each schema's JSON text exactly as written (property order matters to the compiler).
std::vector<std::string> load_schema_corpus();

}  // namespace airlock::testing
