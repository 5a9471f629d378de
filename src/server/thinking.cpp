#include "server/thinking.h"

#include <airlock/error.h>

#include "engine/think_split.h"

namespace airlock::server {

namespace {

const std::string& template_of(const Runner& r) { return r.chat_prompt().chat_template().source(); }

}  // namespace

std::optional<bool> read_think(const nlohmann::ordered_json& body) {
  const auto t = body.find("think");
  if (t == body.end() || t->is_null()) return std::nullopt;
  if (t->is_boolean()) return t->get<bool>();
  if (t->is_string() && (*t == "low" || *t == "medium" || *t == "high")) return true;
  throw Error("think: expected true, false, \"low\", \"medium\" or \"high\"");
}

std::optional<bool> read_reasoning_effort(const nlohmann::ordered_json& body) {
  const auto e = body.find("reasoning_effort");
  if (e == body.end() || e->is_null()) return std::nullopt;
  if (*e == "none") return false;
  if (*e == "minimal" || *e == "low" || *e == "medium" || *e == "high") return true;
  throw Error("reasoning_effort: expected \"none\", \"minimal\", \"low\", \"medium\" or \"high\"");
}

bool template_thinks(const std::string& source) {
  return source.find("enable_thinking") != std::string::npos || source.find(engine::kThinkOpen) != std::string::npos;
}

nlohmann::ordered_json think_variables(const Runner& r, std::optional<bool> think) {
  if (!think) return nullptr;
  if (*think && !template_thinks(template_of(r)))
    throw Error("think: model '" + r.resolved().ref.display() + "' does not support thinking");
  if (template_of(r).find("enable_thinking") == std::string::npos) return nullptr;
  return {{"enable_thinking", *think}};
}

void set_thinking(const Runner& r, const std::string& rendered, std::optional<bool> think, GenRequest& req) {
  if (!template_thinks(template_of(r))) return;
  req.hide_thinking = think == false;
  req.think.split = true;
  req.think.inside = engine::prompt_opens_thinking(rendered);
  const auto ids = r.tokenizer().encode(std::string(engine::kThinkOpen), false, true);
  req.think.open_token = ids.size() == 1 ? ids[0] : -1;
}

}  // namespace airlock::server
