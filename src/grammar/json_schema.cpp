#include "grammar/json_schema.h"

#include <cctype>
#include <cmath>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "airlock/error.h"
#include "grammar/gbnf_text.h"
#include "grammar/integer_range.h"
#include "grammar/regex_to_gbnf.h"

namespace airlock::grammar {
namespace {

using json = nlohmann::ordered_json;

// Shared building blocks, emitted only when used.
const std::map<std::string, std::string>& builtins() {
  static const std::map<std::string, std::string> rules = {
      {"ws", "[ \\t\\n]{0," + std::to_string(kMaxWhitespace) + "}"},
      // Escapes exclude lone surrogates (\uD800-\uDFFF), which JSON parsers reject.
      {"char", "[^\"\\\\\\x00-\\x1F] | \"\\\\\" ( [\"\\\\/bfnrt] | \"u\" ( [0-9a-cA-CeEfF] hex hex hex | [dD] [0-7] hex hex ) )"},
      {"hex", "[0-9a-fA-F]"},
      {"string", "\"\\\"\" char* \"\\\"\""},
      {"integer", "\"-\"? ( \"0\" | [1-9] [0-9]{0,15} )"},
      {"number", "integer ( \".\" [0-9]{1,16} )? ( [eE] [-+]? [0-9]{1,2} )?"},
      {"boolean", "\"true\" | \"false\""},
      {"null", "\"null\""},
      {"value", "object | array | string | number | boolean | null"},
      {"object", "\"{\" ws ( member ( ws \",\" ws member )* ws )? \"}\""},
      {"member", "string ws \":\" ws value"},
      {"array", "\"[\" ws ( value ( ws \",\" ws value )* ws )? \"]\""},
      {"date", "[0-9]{4} \"-\" ( ( \"0\" [13578] | \"1\" [02] ) \"-\" ( \"0\" [1-9] | [12] [0-9] | \"3\" [01] ) | "
               "( \"0\" [469] | \"11\" ) \"-\" ( \"0\" [1-9] | [12] [0-9] | \"30\" ) | "
               "\"02-\" ( \"0\" [1-9] | \"1\" [0-9] | \"2\" [0-8] ) )"},
      {"time", "( [01] [0-9] | \"2\" [0-3] ) \":\" [0-5] [0-9] \":\" [0-5] [0-9] ( \".\" [0-9]{1,6} )? "
               "( \"Z\" | [+-] ( [01] [0-9] | \"2\" [0-3] ) \":\" [0-5] [0-9] )"},
      {"date-time", "date \"T\" time"},
      {"uuid", "hex{8} \"-\" hex{4} \"-\" hex{4} \"-\" hex{4} \"-\" hex{12}"},
      {"email", "[a-zA-Z0-9_%+-]{1,24} ( \".\" [a-zA-Z0-9_%+-]{1,24} ){0,2} \"@\" ( [a-zA-Z0-9]{1,24} \".\" ){1,3} [a-zA-Z]{2,8}"},
  };
  return rules;
}

// Which builtins each builtin uses, so that emitting one emits its dependencies.
const std::map<std::string, std::vector<std::string>>& builtin_deps() {
  static const std::map<std::string, std::vector<std::string>> deps = {
      {"char", {"hex"}}, {"string", {"char"}}, {"number", {"integer"}},
      {"value", {"object", "array", "string", "number", "boolean", "null"}},
      {"object", {"ws", "member"}}, {"member", {"string", "ws", "value"}}, {"array", {"ws", "value"}},
      {"date-time", {"date", "time"}}, {"uuid", {"hex"}},
  };
  return deps;
}

const std::set<std::string>& annotations() {
  static const std::set<std::string> a = {"title", "description", "default", "examples", "$schema", "$id", "$comment",
                                          "deprecated", "readOnly", "writeOnly", "$defs", "definitions"};
  return a;
}

const std::set<std::string>& supported() {
  static const std::set<std::string> s = {
      "type", "properties", "required", "additionalProperties", "enum", "const", "items", "minItems", "maxItems",
      "minLength", "maxLength", "pattern", "format", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
      "anyOf", "oneOf", "allOf", "$ref", "nullable"};
  return s;
}

// Compiling, and dumping a const or enum value, recurse over the schema: deeper documents and
// longer $ref chains are refused so that a hostile request cannot overflow the stack.
constexpr int kMaxDepth = 128;

template <class Json>
bool deeper_than(const Json& j, int levels) {
  if (levels < 0) return true;
  if (j.is_structured())
    for (const auto& child : j)
      if (deeper_than(child, levels - 1)) return true;
  return false;
}

template <class Json>
void check_depth(const Json& schema) {
  if (deeper_than(schema, kMaxDepth))
    throw Error("JSON schema: nested deeper than " + std::to_string(kMaxDepth) + " levels");
}

class SchemaCompiler {
 public:
  explicit SchemaCompiler(const json& root) : root_(root) {}

  std::string run() {
    std::string body = compile(root_, "#");
    std::string out = "root ::= " + body + "\n";
    for (const auto& [name, rule] : rules_) out += name + " ::= " + rule + "\n";
    for (const auto& name : used_builtins_) out += name + " ::= " + builtins().at(name) + "\n";
    return out;
  }

 private:
  [[noreturn]] static void fail(const std::string& path, const std::string& msg) {
    throw Error("JSON schema " + path + ": " + msg);
  }

  std::string use(const std::string& builtin) {
    if (used_builtins_.insert(builtin).second) {
      auto it = builtin_deps().find(builtin);
      if (it != builtin_deps().end())
        for (const auto& d : it->second) use(d);
    }
    return builtin;
  }

  // A rule name from a path-like hint: letters, digits and '-' only, unique.
  std::string fresh_name(const std::string& hint) {
    std::string base;
    for (char c : hint) base += (std::isalnum(static_cast<unsigned char>(c)) ? c : '-');
    base = "s" + base;  // never clashes with a builtin or "root", never starts with '-'
    std::string name = base;
    for (int n = 2; rules_.count(name) || reserved_.count(name); ++n) name = base + "-" + std::to_string(n);
    reserved_.insert(name);
    return name;
  }

  std::string define(const std::string& hint, const std::string& body) {
    std::string name = fresh_name(hint);
    rules_[name] = body;
    return name;
  }

  const json& resolve(const std::string& ref, const std::string& path) {
    if (ref == "#") return root_;
    if (ref.rfind("#/", 0) != 0) fail(path, "$ref '" + ref + "' is not a local reference (only '#/...' is supported)");
    const json* node = &root_;
    size_t start = 2;
    while (start <= ref.size()) {
      size_t slash = ref.find('/', start);
      std::string token = ref.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
      std::string key;
      for (size_t i = 0; i < token.size(); ++i) {
        if (token[i] == '~' && i + 1 < token.size() && (token[i + 1] == '0' || token[i + 1] == '1')) {
          key += token[i + 1] == '0' ? '~' : '/';
          ++i;
        } else {
          key += token[i];
        }
      }
      if (!node->is_object() || !node->contains(key)) fail(path, "$ref '" + ref + "' points to nothing");
      node = &(*node)[key];
      if (slash == std::string::npos) break;
      start = slash + 1;
    }
    return *node;
  }

  std::string ref_rule(const std::string& ref, const std::string& path) {
    auto it = ref_rules_.find(ref);
    if (it != ref_rules_.end()) return it->second;
    const json& target = resolve(ref, path);
    std::string name = fresh_name(ref == "#" ? "ref-root" : "ref-" + ref.substr(ref.rfind('/') + 1));
    ref_rules_[ref] = name;  // before compiling, so recursive references find it
    rules_[name] = compile(target, ref);
    return name;
  }

  // Returns a GBNF expression (alternatives allowed) for values valid under `s`.
  std::string compile(const json& s, const std::string& path) {
    struct DepthGuard {
      int& depth;
      ~DepthGuard() { --depth; }
    } guard{++depth_};
    if (depth_ > kMaxDepth) fail(path, "schemas nested (or $ref chained) deeper than " + std::to_string(kMaxDepth));
    if (s.is_boolean()) {
      if (!s.get<bool>()) fail(path, "schema 'false' matches nothing");
      return use("value");
    }
    if (!s.is_object()) fail(path, "a schema must be an object or a boolean");
    for (const auto& [key, _] : s.items())
      if (!annotations().count(key) && !supported().count(key)) fail(path, "unsupported keyword '" + key + "'");

    std::string nullable;
    if (s.contains("nullable")) {
      if (!s["nullable"].is_boolean()) fail(path, "'nullable' must be a boolean");
      if (s["nullable"].get<bool>()) nullable = " | " + use("null");
    }
    if (s.contains("$ref")) {
      for (const auto& [key, _] : s.items())
        if (supported().count(key) && key != "$ref" && key != "nullable")
          fail(path, "keyword '" + key + "' next to $ref is not supported");
      if (!s["$ref"].is_string()) fail(path, "'$ref' must be a string");
      return ref_rule(s["$ref"].get<std::string>(), path) + nullable;
    }
    for (const char* comb : {"anyOf", "oneOf", "allOf"}) {
      if (!s.contains(comb)) continue;
      for (const auto& [key, _] : s.items())
        if (supported().count(key) && key != comb && key != "nullable")
          fail(path, std::string("keyword '") + key + "' next to " + comb + " is not supported");
      const json& list = s[comb];
      if (!list.is_array() || list.empty()) fail(path, std::string("'") + comb + "' must be a non-empty array");
      if (std::string(comb) == "allOf") return compile_all_of(list, path + "/allOf") + nullable;
      std::string out;
      for (size_t i = 0; i < list.size(); ++i) {
        std::string sub = path + "/" + comb + "/" + std::to_string(i);
        out += (i ? " | " : "") + define(sub.substr(1), compile(list[i], sub));
      }
      return out + nullable;
    }
    if (s.contains("const")) return gbnf_literal(s["const"].dump()) + nullable;
    if (s.contains("enum")) {
      const json& e = s["enum"];
      if (!e.is_array() || e.empty()) fail(path, "'enum' must be a non-empty array");
      std::string out;
      for (size_t i = 0; i < e.size(); ++i) out += (i ? " | " : "") + gbnf_literal(e[i].dump());
      return "(" + out + ")" + nullable;
    }

    std::vector<std::string> types;
    if (s.contains("type")) {
      const json& t = s["type"];
      if (t.is_string()) types.push_back(t.get<std::string>());
      else if (t.is_array() && !t.empty())
        for (const auto& x : t) {
          if (!x.is_string()) fail(path, "'type' entries must be strings");
          types.push_back(x.get<std::string>());
        }
      else fail(path, "'type' must be a string or a non-empty array of strings");
    } else if (s.contains("properties") || s.contains("additionalProperties")) {
      types.push_back("object");
    } else if (s.contains("items") || s.contains("minItems") || s.contains("maxItems")) {
      types.push_back("array");
    } else if (s.contains("pattern") || s.contains("format") || s.contains("minLength") || s.contains("maxLength")) {
      types.push_back("string");
    } else {
      return use("value") + nullable;
    }
    std::string out;
    for (size_t i = 0; i < types.size(); ++i) out += (i ? " | " : "") + compile_type(s, types[i], path);
    return out + nullable;
  }

  std::string compile_type(const json& s, const std::string& type, const std::string& path) {
    if (type == "object") return compile_object(s, path);
    if (type == "array") return compile_array(s, path);
    if (type == "string") return compile_string(s, path);
    if (type == "integer") return compile_integer(s, path);
    if (type == "number") return compile_number(s, path);
    if (type == "boolean") return use("boolean");
    if (type == "null") return use("null");
    fail(path, "unknown type '" + type + "'");
  }

  std::optional<size_t> count_of(const json& s, const char* key, const std::string& path) {
    if (!s.contains(key)) return std::nullopt;
    const json& v = s[key];
    if (!v.is_number_integer() || v.get<int64_t>() < 0) fail(path, std::string("'") + key + "' must be a non-negative integer");
    if (v.get<int64_t>() > 1000) fail(path, std::string("'") + key + "' above 1000 is not supported");
    return static_cast<size_t>(v.get<int64_t>());
  }

  std::string repeat(const std::string& item, std::optional<size_t> min, std::optional<size_t> max) {
    size_t lo = min.value_or(0);
    if (!max) return lo == 0 ? item + "*" : item + "{" + std::to_string(lo) + ",}";
    return item + "{" + std::to_string(lo) + "," + std::to_string(*max) + "}";
  }

  std::string compile_object(const json& s, const std::string& path) {
    use("ws");
    const json empty = json::object();
    const json& props = s.contains("properties") ? s["properties"] : empty;
    if (!props.is_object()) fail(path, "'properties' must be an object");
    std::set<std::string> required;
    if (s.contains("required")) {
      if (!s["required"].is_array()) fail(path, "'required' must be an array");
      for (const auto& r : s["required"]) {
        if (!r.is_string()) fail(path, "'required' entries must be strings");
        if (!props.contains(r.get<std::string>()))
          fail(path, "required property '" + r.get<std::string>() + "' is not declared in 'properties'");
        required.insert(r.get<std::string>());
      }
    }
    const json* extra = nullptr;
    if (s.contains("additionalProperties")) {
      const json& ap = s["additionalProperties"];
      if (!ap.is_boolean() && !ap.is_object()) fail(path, "'additionalProperties' must be a boolean or a schema");
      if (!(ap.is_boolean() && !ap.get<bool>())) extra = &ap;
    }
    if (props.empty()) {
      if (!extra) return "\"{\" ws \"}\"";
      // A free-form map: any keys, values under the additionalProperties schema.
      std::string value = ap_value(*extra, path);
      std::string member = define(path.substr(1) + "-entry", use("string") + " ws \":\" ws " + value);
      return "\"{\" ws ( " + member + " ( ws \",\" ws " + member + " )* ws )? \"}\"";
    }
    // Declared properties in order. first_i: properties i.. with none written yet; rest_i: some
    // property already written, so each one written here is preceded by a comma.
    std::vector<std::string> keys, kvs;
    for (const auto& [key, sub] : props.items()) {
      std::string sub_path = path + "/properties/" + key;
      keys.push_back(key);
      kvs.push_back(define(sub_path.substr(1) + "-kv",
                           gbnf_literal(json(key).dump()) + " ws \":\" ws " + wrap(compile(sub, sub_path))));
    }
    size_t n = keys.size();
    std::vector<std::string> first(n + 1), rest(n + 1);
    std::string base = path.substr(1);
    first[n] = rest[n] = "";
    for (size_t i = n; i-- > 0;) {
      bool req = required.count(keys[i]) > 0;
      std::string rest_body = req ? "ws \",\" ws " + kvs[i] + " " + rest[i + 1]
                                  : "( ws \",\" ws " + kvs[i] + " )? " + rest[i + 1];
      rest[i] = define(base + "-rest", rest_body);
      std::string first_body = kvs[i] + " " + rest[i + 1];
      if (!req) first_body += " | " + (first[i + 1].empty() ? std::string("") : first[i + 1]);
      first[i] = define(base + "-first", first_body);
    }
    return "\"{\" ws " + first[0] + " ws \"}\"";
  }

  std::string ap_value(const json& ap, const std::string& path) {
    if (ap.is_boolean()) return use("value");
    return wrap(compile(ap, path + "/additionalProperties"));
  }

  // Parenthesises an expression that has top-level alternatives, for use inside a sequence.
  static std::string wrap(const std::string& expr) { return "( " + expr + " )"; }

  std::string compile_array(const json& s, const std::string& path) {
    use("ws");
    std::string item = s.contains("items") ? define(path.substr(1) + "-item", compile(s["items"], path + "/items")) : use("value");
    auto min = count_of(s, "minItems", path), max = count_of(s, "maxItems", path);
    if (min && max && *max < *min) fail(path, "'maxItems' is below 'minItems'");
    if (max && *max == 0) return "\"[\" ws \"]\"";
    std::string more = "( ws \",\" ws " + item + " )";
    std::optional<size_t> more_min, more_max;
    if (min && *min > 0) more_min = *min - 1;
    if (max) more_max = *max - 1;
    std::string body = item + " " + repeat(more, more_min, more_max);
    if (min && *min > 0) return "\"[\" ws " + body + " ws \"]\"";
    return "\"[\" ws ( " + body + " ws )? \"]\"";
  }

  std::string compile_string(const json& s, const std::string& path) {
    std::string q = "\"\\\"\"";
    auto min = count_of(s, "minLength", path), max = count_of(s, "maxLength", path);
    if (min && max && *max < *min) fail(path, "'maxLength' is below 'minLength'");
    bool lengths = min || max;
    if (s.contains("pattern")) {
      if (lengths) fail(path, "'pattern' together with 'minLength'/'maxLength' is not supported");
      if (!s["pattern"].is_string()) fail(path, "'pattern' must be a string");
      return q + " " + wrap(regex_to_gbnf(s["pattern"].get<std::string>())) + " " + q;
    }
    if (s.contains("format")) {
      if (lengths) fail(path, "'format' together with 'minLength'/'maxLength' is not supported");
      if (!s["format"].is_string()) fail(path, "'format' must be a string");
      std::string f = s["format"].get<std::string>();
      if (f != "date" && f != "date-time" && f != "time" && f != "uuid" && f != "email")
        fail(path, "unsupported format '" + f + "'");
      return q + " " + use(f) + " " + q;
    }
    if (!lengths) return use("string");
    return q + " " + repeat(use("char"), min, max) + " " + q;
  }

  static std::optional<double> bound(const json& s, const char* key, const std::string& path) {
    if (!s.contains(key)) return std::nullopt;
    if (!s[key].is_number()) fail(path, std::string("'") + key + "' must be a number");
    return s[key].get<double>();
  }

  std::string compile_integer(const json& s, const std::string& path) {
    auto lo = bound(s, "minimum", path), hi = bound(s, "maximum", path);
    if (auto x = bound(s, "exclusiveMinimum", path)) lo = std::max(lo.value_or(-1e300), std::floor(*x) + 1);
    if (auto x = bound(s, "exclusiveMaximum", path)) hi = std::min(hi.value_or(1e300), std::ceil(*x) - 1);
    if (!lo && !hi) return use("integer");
    std::optional<int64_t> ilo, ihi;
    if (lo) ilo = clamp_bound(std::ceil(*lo), path);
    if (hi) ihi = clamp_bound(std::floor(*hi), path);
    if (ilo && ihi && *ihi < *ilo) fail(path, "no integer lies between 'minimum' and 'maximum'");
    return wrap(integer_range_gbnf(ilo, ihi));
  }

  std::string compile_number(const json& s, const std::string& path) {
    for (const char* k : {"exclusiveMinimum", "exclusiveMaximum"})
      if (s.contains(k)) fail(path, std::string("'") + k + "' on a number is not supported (use it on an integer)");
    auto lo = bound(s, "minimum", path), hi = bound(s, "maximum", path);
    if (!lo && !hi) return use("number");
    for (auto b : {lo, hi})
      if (b && *b != std::floor(*b)) fail(path, "'minimum'/'maximum' on a number must be whole numbers");
    std::optional<int64_t> ilo, ihi;
    if (lo) ilo = clamp_bound(*lo, path);
    if (hi) ihi = clamp_bound(*hi, path);
    if (ilo && ihi && *ihi < *ilo) fail(path, "'maximum' is below 'minimum'");
    return wrap(bounded_number_gbnf(ilo, ihi));
  }

  static int64_t clamp_bound(double v, const std::string& path) {
    if (std::fabs(v) > 1e15) fail(path, "numeric bounds beyond 1e15 are not supported");
    return static_cast<int64_t>(v);
  }

  std::string compile_all_of(const json& list, const std::string& path) {
    if (list.size() == 1) return compile(list[0], path + "/0");
    // Merge object schemas: properties in order, required united, additionalProperties false if
    // any part says so.
    json merged = {{"type", "object"}, {"properties", json::object()}, {"required", json::array()}};
    for (size_t i = 0; i < list.size(); ++i) {
      const json* part = &list[i];
      std::string sub = path + "/" + std::to_string(i);
      for (int hops = 0; part->is_object() && part->contains("$ref"); ++hops) {
        if (hops > 32) fail(sub, "$ref chain too long");
        if (!(*part)["$ref"].is_string()) fail(sub, "'$ref' must be a string");
        part = &resolve((*part)["$ref"].get<std::string>(), sub);
      }
      if (!part->is_object() || !part->contains("properties"))
        fail(sub, "allOf is only supported for object schemas with 'properties'");
      for (const auto& [key, value] : part->items()) {
        if (key == "properties") {
          for (const auto& [p, ps] : value.items()) merged["properties"][p] = ps;
        } else if (key == "required") {
          for (const auto& r : value) merged["required"].push_back(r);
        } else if (key == "additionalProperties") {
          if (value.is_boolean() && !value.get<bool>()) merged["additionalProperties"] = false;
        } else if (key == "type") {
          if (value != "object") fail(sub, "allOf is only supported for object schemas");
        } else if (!annotations().count(key)) {
          fail(sub, "keyword '" + key + "' inside allOf is not supported");
        }
      }
    }
    return compile(merged, path);
  }

  const json& root_;
  int depth_ = 0;  // compile() calls in progress
  std::map<std::string, std::string> rules_;
  std::set<std::string> reserved_;
  std::map<std::string, std::string> ref_rules_;
  std::set<std::string> used_builtins_;
};

}  // namespace

std::string json_schema_to_gbnf(const nlohmann::ordered_json& schema) {
  check_depth(schema);
  return SchemaCompiler(schema).run();
}

std::string json_schema_to_gbnf(const nlohmann::json& schema) {
  check_depth(schema);  // before the recursive copy
  return json_schema_to_gbnf(nlohmann::ordered_json(schema));
}

std::string json_schema_to_gbnf(std::string_view schema_text) {
  nlohmann::ordered_json schema = nlohmann::ordered_json::parse(schema_text, nullptr, false);
  if (schema.is_discarded()) throw Error("JSON schema: not valid JSON");
  return json_schema_to_gbnf(schema);
}

std::shared_ptr<const Grammar> json_schema_to_grammar(std::string_view schema_text) {
  return Grammar::parse(json_schema_to_gbnf(schema_text));
}

std::shared_ptr<const Grammar> json_schema_to_grammar(const nlohmann::ordered_json& schema) {
  return Grammar::parse(json_schema_to_gbnf(schema));
}

std::string json_object_gbnf() {
  return json_schema_to_gbnf(nlohmann::ordered_json{{"type", "object"}, {"additionalProperties", true}});
}

std::shared_ptr<const Grammar> json_object_grammar() { return Grammar::parse(json_object_gbnf()); }

}  // namespace airlock::grammar
