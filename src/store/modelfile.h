// Modelfiles, the recipe `airlock create` reads: FROM (a GGUF path or a store name), PARAMETER,
// TEMPLATE, SYSTEM, MESSAGE, LICENSE. Values may be bare (to the end of the line), "quoted" or
// """triple-quoted""" (spanning lines). Instructions are case-insensitive; '#' starts a comment line.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace airlock::store {

struct Modelfile {
  std::string from;
  std::optional<std::string> template_text;
  std::optional<std::string> system;
  std::optional<std::string> license;
  nlohmann::json parameters = nlohmann::json::object();  // "stop" is always an array
  nlohmann::json messages = nlohmann::json::array();     // [{"role", "content"}]

  // Throws airlock::Error naming `origin`, the line and the problem (unknown instruction, missing
  // FROM, unterminated quote, ADAPTER which airlock does not support yet).
  static Modelfile parse(std::string_view text, std::string_view origin);
  // Renders it back as Modelfile text (used by `show --modelfile`).
  std::string render() const;
};

}  // namespace airlock::store
