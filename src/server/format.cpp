#include "server/format.h"

#include <airlock/error.h>

#include "server/runner.h"

namespace airlock::server {

namespace {

// The engine names the field "format"; an OpenAI client knows it by another name.
engine::CompiledConstraint schema(const Runner& r, const nlohmann::ordered_json& schema, const std::string& field) {
  try {
    return r.constraint("", schema.dump());
  } catch (const Error& e) {
    std::string m = e.what();
    if (m.rfind("format: ", 0) == 0) m = m.substr(8);
    throw Error(field + ": " + m);
  }
}

bool unset(const nlohmann::ordered_json& v) { return v.is_null() || (v.is_string() && v.get<std::string>().empty()); }

}  // namespace

engine::CompiledConstraint constraint_for_native(const Runner& r, const nlohmann::ordered_json& format,
                                                 const nlohmann::ordered_json& grammar) {
  if (!unset(grammar)) {
    if (!grammar.is_string()) throw Error("grammar: expected GBNF text");
    if (!unset(format)) throw Error("grammar: cannot be combined with format");
    return r.constraint(grammar.get<std::string>(), "");
  }
  if (unset(format)) return {};
  if (format == "json") return r.constraint("", "json");
  if (format.is_object()) return schema(r, format, "format");
  throw Error("format: expected \"json\" or a JSON schema object");
}

engine::CompiledConstraint constraint_for_response_format(const Runner& r, const nlohmann::ordered_json& rf) {
  if (rf.is_null()) return {};
  if (!rf.is_object() || !rf.contains("type") || !rf["type"].is_string())
    throw Error("response_format: expected {\"type\": \"text\" | \"json_object\" | \"json_schema\"}");
  const std::string type = rf["type"];
  if (type == "text") return {};
  if (type == "json_object") return r.constraint("", "json");
  if (type == "json_schema") {
    const auto js = rf.find("json_schema");
    if (js == rf.end() || !js->is_object() || !js->contains("schema"))
      throw Error("response_format.json_schema.schema is required");
    return schema(r, (*js)["schema"], "response_format.json_schema.schema");
  }
  throw Error("response_format.type: unknown type '" + type + "'");
}

}  // namespace airlock::server
