#include "server/format.h"

#include <airlock/error.h>

#include "grammar/json_schema.h"

namespace airlock::server {

namespace {
std::shared_ptr<const grammar::Grammar> from_schema(const nlohmann::ordered_json& schema, const char* field) {
  try {
    return grammar::json_schema_to_grammar(schema);
  } catch (const Error& e) {
    throw Error(std::string(field) + ": " + e.what());
  }
}
}  // namespace

std::shared_ptr<const grammar::Grammar> grammar_for_format(const nlohmann::ordered_json& format) {
  if (format.is_null() || (format.is_string() && format.get<std::string>().empty())) return nullptr;
  if (format == "json") return grammar::json_object_grammar();
  if (format.is_object()) return from_schema(format, "format");
  throw Error("format: expected \"json\" or a JSON schema object");
}

std::shared_ptr<const grammar::Grammar> grammar_for_response_format(const nlohmann::ordered_json& rf) {
  if (rf.is_null()) return nullptr;
  if (!rf.is_object() || !rf.contains("type") || !rf["type"].is_string())
    throw Error("response_format: expected {\"type\": \"text\" | \"json_object\" | \"json_schema\"}");
  const std::string type = rf["type"];
  if (type == "text") return nullptr;
  if (type == "json_object") return grammar::json_object_grammar();
  if (type == "json_schema") {
    const auto js = rf.find("json_schema");
    if (js == rf.end() || !js->is_object() || !js->contains("schema"))
      throw Error("response_format.json_schema.schema is required");
    return from_schema((*js)["schema"], "response_format.json_schema.schema");
  }
  throw Error("response_format.type: unknown type '" + type + "'");
}

}  // namespace airlock::server
