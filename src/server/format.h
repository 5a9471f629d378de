// Structured output: a request's `format` ("json" or a JSON schema) or OpenAI `response_format`
// as the grammar its output is constrained to.
#pragma once
#include <memory>

#include <nlohmann/json.hpp>

#include "grammar/grammar.h"

namespace airlock::server {

// null or "": no constraint. Throws airlock::Error "format: ..." for anything else it cannot use.
std::shared_ptr<const grammar::Grammar> grammar_for_format(const nlohmann::ordered_json& format);
// {"type": "text" | "json_object" | "json_schema", "json_schema": {"schema": {...}}}.
std::shared_ptr<const grammar::Grammar> grammar_for_response_format(const nlohmann::ordered_json& rf);

}  // namespace airlock::server
