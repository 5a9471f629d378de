// JSON Schema -> GBNF, for `format: {schema}` and `response_format: {type: json_schema}`, and the
// fixed grammar for `format: "json"` / `{type: json_object}` (any JSON object).
//
// Supported: type (one or a list), properties (declared order; required ones always present,
// optional ones optional), required, additionalProperties (false or absent: only declared
// properties are generated; true/schema: a free-form map when no properties are declared), enum,
// const, items, minItems/maxItems, string minLength/maxLength/pattern/format (date, date-time,
// time, uuid, email), number/integer minimum/maximum (and integer exclusiveMinimum/Maximum;
// number bounds must be integers), boolean, null, nullable, anyOf/oneOf (as alternatives), allOf
// (one subschema, or object subschemas merged), $ref into $defs/definitions (recursion included)
// or "#". Annotations (title, description, default, examples, ...) are ignored. Any other keyword
// throws airlock::Error naming it and where it is.
//
// Generated JSON has at most kMaxWhitespace white-space characters between tokens, numbers at most
// 16 integer digits, so a model cannot loop on spaces or digits.
#pragma once
#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "grammar/grammar.h"

namespace airlock::grammar {

inline constexpr int kMaxWhitespace = 12;

// Property order is the schema's declared order, which only an ordered_json (or the schema text)
// keeps; a plain nlohmann::json has already sorted its keys alphabetically.
std::string json_schema_to_gbnf(std::string_view schema_text);
std::string json_schema_to_gbnf(const nlohmann::ordered_json& schema);
std::string json_schema_to_gbnf(const nlohmann::json& schema);
std::shared_ptr<const Grammar> json_schema_to_grammar(std::string_view schema_text);
std::shared_ptr<const Grammar> json_schema_to_grammar(const nlohmann::ordered_json& schema);

// Any JSON object (format: "json").
std::string json_object_gbnf();
std::shared_ptr<const Grammar> json_object_grammar();

}  // namespace airlock::grammar
