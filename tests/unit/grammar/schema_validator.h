// An independent JSON Schema validator for the tests, written separately from the compiler and
// using different machinery (std::wregex for patterns, arithmetic checks for formats), so that
// generated outputs are judged by something that does not share the compiler's mistakes.
#pragma once
#include <string>

#include <nlohmann/json.hpp>

namespace airlock::grammar::testing {

// "" when `value` satisfies `schema`, else the first problem found.
std::string validate(const nlohmann::json& schema, const nlohmann::json& value);

}  // namespace airlock::grammar::testing
