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

std::string tool_call_grammar(std::string_view tools_json, const ToolCallSyntax& syntax, bool allow_text,
                              bool parallel) {
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
  std::string root = parallel ? "root ::= tool-call (\"\\n\" tool-call)*" : "root ::= tool-call";
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

// The length of the JSON object at the start of `s` (brackets balanced outside strings), or npos
// when it does not start with one or the object is not closed.
namespace {
size_t object_length(std::string_view s) {
  if (s.empty() || s[0] != '{') return std::string_view::npos;
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if ((c == '}' || c == ']') && --depth == 0) {
      return i + 1;
    }
  }
  return std::string_view::npos;
}
}  // namespace

std::vector<ToolCall> parse_tool_calls(std::string_view text, const ToolCallSyntax& syntax) {
  const std::string_view prefix = trim(syntax.prefix), suffix = trim(syntax.suffix);
  std::vector<ToolCall> calls;
  std::string_view rest = trim(text);
  if (rest.empty()) return {};
  while (!rest.empty()) {
    if (!prefix.empty()) {
      if (!rest.starts_with(prefix)) return {};
      rest = trim(rest.substr(prefix.size()));
    }
    const size_t n = object_length(rest);
    if (n == std::string_view::npos) return {};
    const std::string_view body = rest.substr(0, n);
    if (!json_depth_within(body)) return {};
    ojson call = ojson::parse(body, nullptr, false);
    if (call.is_discarded() || !call.is_object()) return {};
    auto name = call.find("name");
    auto args = call.find("arguments");
    if (name == call.end() || !name->is_string() || args == call.end() || !args->is_object()) return {};
    calls.push_back(ToolCall{name->get<std::string>(), *args});
    rest = trim(rest.substr(n));
    if (!suffix.empty() && rest.starts_with(suffix)) rest = trim(rest.substr(suffix.size()));
  }
  return calls;
}

std::optional<ToolCall> parse_tool_call(std::string_view text, const ToolCallSyntax& syntax) {
  std::vector<ToolCall> calls = parse_tool_calls(text, syntax);
  if (calls.size() != 1) return std::nullopt;
  return std::move(calls[0]);
}

}  // namespace airlock
