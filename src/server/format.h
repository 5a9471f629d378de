// Structured output: a request's `format` ("json" or a JSON schema) or `grammar` (GBNF text) on
// the native API, or OpenAI `response_format`, as the compiled constraint its output follows. The
// model's runner compiles and caches them, so requests with the same schema share one automaton.
#pragma once
#include <nlohmann/json.hpp>

#include "engine/constraint.h"

namespace airlock::server {

class Runner;

// Native `format` (null or "": none) and `grammar` (null or "": none); they are exclusive. Throws
// airlock::Error "format: ..." / "grammar: ..." for anything unusable.
engine::CompiledConstraint constraint_for_native(const Runner& r, const nlohmann::ordered_json& format,
                                                 const nlohmann::ordered_json& grammar);
// {"type": "text" | "json_object" | "json_schema", "json_schema": {"schema": {...}}}.
engine::CompiledConstraint constraint_for_response_format(const Runner& r, const nlohmann::ordered_json& rf);

}  // namespace airlock::server
