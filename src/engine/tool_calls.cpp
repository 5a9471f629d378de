// tool_call_grammar / parse_tool_call (include/airlock/tools.h): the tools' parameter schemas are
// combined into one JSON Schema, an anyOf of {"name": const, "arguments": parameters} objects,
// which the schema compiler turns into GBNF; plain text is a second alternative of the root.
#include <airlock/tools.h>

#include <cstdio>

#include "common/json_depth.h"
#include "airlock/error.h"
#include "grammar/grammar.h"
#include "grammar/json_schema.h"

namespace airlock {
namespace {

using ojson = nlohmann::ordered_json;

// Moves `tool`'s parameters into defs under "tool<i>" and its own $defs/definitions under
// "tool<i>-<name>", rewriting its $refs to match, so that each tool's references keep pointing
// into that tool's schema once all of them share one document.
void rewrite_refs(ojson& node, const std::string& prefix) {
  if (node.is_array()) {
    for (auto& item : node) rewrite_refs(item, prefix);
    return;
  }
  if (!node.is_object()) return;
  for (auto& [key, value] : node.items()) {
    if (key == "$ref" && value.is_string()) {
      const std::string ref = value.get<std::string>();
      if (ref == "#") value = "#/$defs/" + prefix;
      else if (ref.rfind("#/$defs/", 0) == 0) value = "#/$defs/" + prefix + "-" + ref.substr(8);
      else if (ref.rfind("#/definitions/", 0) == 0) value = "#/$defs/" + prefix + "-" + ref.substr(14);
    } else {
      rewrite_refs(value, prefix);
    }
  }
}

// A GBNF string literal holding exactly `text`.
std::string gbnf_literal(std::string_view text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    if (c == '"' || c == '\\' || c < 0x20 || c == 0x7f) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02X", c);
      out += hex;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

std::string_view trim(std::string_view s) {
  const auto ws = " \t\r\n";
  const size_t b = s.find_first_not_of(ws);
  if (b == std::string_view::npos) return {};
  return s.substr(b, s.find_last_not_of(ws) - b + 1);
}

}  // namespace

std::string tool_call_grammar(std::string_view tools_json, const ToolCallSyntax& syntax, bool allow_text) {
  require_json_depth_within(tools_json, "tools");
  const ojson tools = ojson::parse(tools_json, nullptr, false);
  if (tools.is_discarded() || !tools.is_array()) throw Error("tools: expected a JSON array of function tools");
  if (tools.empty()) throw Error("tools: the array is empty");
  if (!syntax.prefix.empty() && static_cast<unsigned char>(syntax.prefix[0]) >= 0x80)
    throw Error("tool call prefix: its first byte must be ASCII");

  ojson defs = ojson::object();
  ojson alternatives = ojson::array();
  for (size_t i = 0; i < tools.size(); ++i) {
    const std::string where = "tools[" + std::to_string(i) + "]";
    const ojson& tool = tools[i];
    if (!tool.is_object()) throw Error(where + ": expected an object");
    if (tool.contains("type") && tool["type"] != "function")
      throw Error(where + ".type: only \"function\" tools are supported");
    if (!tool.contains("function") || !tool["function"].is_object()) throw Error(where + ".function: missing");
    const ojson& fn = tool["function"];
    if (!fn.contains("name") || !fn["name"].is_string() || fn["name"].get<std::string>().empty())
      throw Error(where + ".function.name: missing or not a non-empty string");
    ojson params = fn.value("parameters", ojson{{"type", "object"}, {"properties", ojson::object()}});
    if (!params.is_object()) throw Error(where + ".function.parameters: expected a JSON Schema object");
    try {
      grammar::json_schema_to_gbnf(params);  // reports problems relative to the tool's own schema
    } catch (const Error& e) {
      throw Error(where + ".function.parameters: " + e.what());
    }
    const std::string prefix = "tool" + std::to_string(i);
    rewrite_refs(params, prefix);
    for (const char* key : {"$defs", "definitions"}) {
      if (!params.contains(key)) continue;
      for (auto& [name, def] : params[key].items()) defs[prefix + "-" + name] = def;
      params.erase(key);
    }
    params.erase("$schema");
    defs[prefix] = params;
    alternatives.push_back({{"type", "object"},
                            {"properties", {{"name", {{"const", fn["name"]}}}, {"arguments", {{"$ref", "#/$defs/" + prefix}}}}},
                            {"required", {"name", "arguments"}},
                            {"additionalProperties", false}});
  }
  const ojson schema = {{"$defs", defs}, {"anyOf", alternatives}};
  std::string gbnf = grammar::json_schema_to_gbnf(schema);
  // The schema's root becomes the call; the compiler never refers to "root" from another rule.
  if (gbnf.rfind("root ::= ", 0) != 0) throw Error("tools: unexpected grammar from the schema compiler");
  gbnf.replace(0, 4, "tool-call-json");
  std::string root = "root ::= tool-call";
  if (allow_text) {
    char first[8];
    std::snprintf(first, sizeof first, "\\x%02X",
                  static_cast<unsigned char>(syntax.prefix.empty() ? '{' : syntax.prefix[0]));
    root += " | tool-text\ntool-text ::= [^" + std::string(first) + " \\t\\r\\n] .*";
  }
  root += "\ntool-call ::= ";
  if (!syntax.prefix.empty()) root += gbnf_literal(syntax.prefix) + " ";
  root += "tool-call-json";
  if (!syntax.suffix.empty()) root += " " + gbnf_literal(syntax.suffix);
  gbnf = root + "\n" + gbnf;
  grammar::Grammar::parse(gbnf);  // a mistake here is ours, not the caller's: fail loudly now
  return gbnf;
}

std::optional<ToolCall> parse_tool_call(std::string_view text, const ToolCallSyntax& syntax) {
  std::string_view body = trim(text);
  if (!syntax.prefix.empty()) {
    const std::string_view prefix = trim(syntax.prefix);
    if (!body.starts_with(prefix)) return std::nullopt;
    body.remove_prefix(prefix.size());
  }
  if (!syntax.suffix.empty()) {
    const std::string_view suffix = trim(syntax.suffix);
    if (body.ends_with(suffix)) body.remove_suffix(suffix.size());
  }
  if (!json_depth_within(trim(body))) return std::nullopt;
  ojson call = ojson::parse(trim(body), nullptr, false);
  if (call.is_discarded() || !call.is_object()) return std::nullopt;
  auto name = call.find("name");
  auto args = call.find("arguments");
  if (name == call.end() || !name->is_string() || args == call.end() || !args->is_object()) return std::nullopt;
  return ToolCall{name->get<std::string>(), *args};
}

}  // namespace airlock
