#include "server/prompt.h"

#include <airlock/error.h>

#include <cctype>

#include "server/tools.h"

namespace airlock::server {

namespace {

std::string trim(const std::string& s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return s.substr(b, e - b);
}

}  // namespace

std::string render_chat(const Runner& r, nlohmann::ordered_json messages, const nlohmann::ordered_json& tools,
                        const nlohmann::ordered_json& extra) {
  if (!messages.is_array()) throw Error("messages: expected an array");
  for (size_t i = 0; i < messages.size(); ++i) {
    const auto& m = messages[i];
    const std::string where = "messages[" + std::to_string(i) + "]";
    if (!m.is_object() || !m.contains("role") || !m["role"].is_string())
      throw Error(where + ": expected an object with a string role");
    if (m.contains("images") && !m["images"].is_null() && !m["images"].empty())
      throw Error(where + ".images: images are not supported yet");
    if (m.contains("content") && !m["content"].is_string() && !m["content"].is_null())
      throw Error(where + ".content: expected a string");
  }
  prepare_tool_messages(messages);
  // Earlier thinking, as the native API sends it, reaches templates under the name they read
  // (Qwen3's: reasoning_content, which OpenAI clients send as it is).
  for (auto& m : messages)
    if (m.contains("thinking") && m["thinking"].is_string() && !m.contains("reasoning_content"))
      m["reasoning_content"] = m["thinking"];
  const auto& sys = r.resolved().system;
  const bool has_system = !messages.empty() && messages[0]["role"] == "system";
  if (sys && !sys->empty() && !has_system)
    messages.insert(messages.begin(), nlohmann::ordered_json{{"role", "system"}, {"content", *sys}});
  return r.chat_prompt().render(messages, tools, extra);
}

std::string render_generate(const Runner& r, const std::string& prompt, const std::string& system,
                            const nlohmann::ordered_json& extra) {
  nlohmann::ordered_json messages = nlohmann::ordered_json::array();
  const std::string sys = !system.empty() ? system : r.resolved().system.value_or("");
  if (!sys.empty()) messages.push_back({{"role", "system"}, {"content", sys}});
  messages.push_back({{"role", "user"}, {"content", prompt}});
  return r.chat_prompt().render(messages, nullptr, extra);
}

std::string render_go_template(const std::string& tmpl, const std::string& system, const std::string& prompt) {
  std::string out;
  // One entry per open {{ if }}: whether its branch currently emits.
  struct Cond { bool parent_on, value, in_else; };
  std::vector<Cond> stack;
  auto on = [&] { return stack.empty() || (stack.back().parent_on && (stack.back().value != stack.back().in_else)); };
  size_t i = 0;
  while (i < tmpl.size()) {
    const size_t open = tmpl.find("{{", i);
    std::string text = tmpl.substr(i, open == std::string::npos ? std::string::npos : open - i);
    if (open == std::string::npos) {
      if (on()) out += text;
      break;
    }
    const size_t close = tmpl.find("}}", open + 2);
    if (close == std::string::npos) throw Error("template: unclosed {{");
    std::string action = tmpl.substr(open + 2, close - open - 2);
    const bool trim_left = !action.empty() && action.front() == '-';
    const bool trim_right = !action.empty() && action.back() == '-';
    if (trim_left) {
      action.erase(0, 1);
      while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
    }
    if (trim_right) action.pop_back();
    if (on()) out += text;
    i = close + 2;
    if (trim_right)
      while (i < tmpl.size() && std::isspace(static_cast<unsigned char>(tmpl[i]))) ++i;
    action = trim(action);
    auto value = [&](const std::string& field) -> const std::string* {
      if (field == ".System") return &system;
      if (field == ".Prompt") return &prompt;
      static const std::string empty;
      if (field == ".Response") return &empty;
      return nullptr;
    };
    if (const std::string* v = value(action)) {
      if (on()) out += *v;
    } else if (action.rfind("if ", 0) == 0) {
      const std::string* v = value(trim(action.substr(3)));
      if (!v) throw Error("template: unsupported condition {{" + action + "}}");
      const bool parent = on();
      stack.push_back({parent, !v->empty(), false});
    } else if (action == "else") {
      if (stack.empty()) throw Error("template: {{ else }} without {{ if }}");
      stack.back().in_else = true;
    } else if (action == "end") {
      if (stack.empty()) throw Error("template: {{ end }} without {{ if }}");
      stack.pop_back();
    } else {
      throw Error("template: unsupported action {{" + action + "}} (supported: .System, .Prompt, .Response, if/else/end)");
    }
  }
  if (!stack.empty()) throw Error("template: {{ if }} without {{ end }}");
  return out;
}

std::vector<int32_t> fill_in_middle_prompt(const Runner& r, const std::string& prefix, const std::string& suffix) {
  if (!r.fim())
    throw Error("suffix: model '" + r.resolved().ref.display() +
                "' does not support fill-in-the-middle (its vocabulary has no FIM tokens)");
  return engine::fim_prompt(r.tokenizer(), *r.fim(), prefix, suffix);
}

std::vector<int32_t> tokenize_prompt(const Runner& r, const std::string& text) { return r.chat_prompt().tokenize(text); }

std::string leading_system(const Runner& r, const nlohmann::ordered_json& messages) {
  if (messages.is_array() && !messages.empty() && messages[0].is_object() && messages[0].value("role", "") == "system") {
    const auto& c = messages[0].find("content");
    return c != messages[0].end() && c->is_string() ? c->get<std::string>() : "";
  }
  return r.resolved().system.value_or("");
}

int64_t system_prefix_tokens(const Runner& r, const std::string& text, const std::vector<int32_t>& prompt,
                             const std::string& system) {
  const size_t at = system.empty() ? std::string::npos : text.find(system);
  const std::string head = at == std::string::npos ? "" : text.substr(0, at + system.size());
  // Tokenised alone, the head may end in a token the whole text merges differently: the shared
  // tokens are the ones kept.
  const std::vector<int32_t> ids = tokenize_prompt(r, head);
  size_t n = 0;
  while (n < ids.size() && n < prompt.size() && ids[n] == prompt[n]) ++n;
  return static_cast<int64_t>(n);
}

}  // namespace airlock::server
