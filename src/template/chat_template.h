// Chat prompt rendering with a model's Jinja2 chat template, set up the way the model hubs render
// them: trim_blocks and lstrip_blocks on, raise_exception(msg), strftime_now(fmt) using a given
// date, `tools` and extra variables passed through.
#pragma once
#include <nlohmann/json.hpp>

#include <string>

#include "template/template.h"

namespace airlock::tmpl {

struct ChatOptions {
  bool add_generation_prompt = false;
  std::string bos_token;
  std::string eos_token;
  std::string date;              // "YYYY-MM-DD" for strftime_now; empty means today (UTC)
  nlohmann::ordered_json tools;  // null: `tools` stays undefined in the template
  nlohmann::ordered_json extra;  // object of further variables (e.g. enable_thinking)
};

// ChatML (<|im_start|>role ... <|im_end|>), the fallback when a model has no usable template.
extern const char* const kChatMLTemplate;

class ChatTemplate {
 public:
  // Parses once; throws airlock::Error on a syntax error.
  explicit ChatTemplate(const std::string& source);

  // `messages` is an array of {role, content, [name], [tool_calls], ...}. Throws airlock::Error
  // ("template line N: ...") when the template fails or raises.
  std::string render(const nlohmann::ordered_json& messages, const ChatOptions& opt) const;

  // The model's template, or ChatML with a warning on stderr when `source` is empty or does not
  // parse. `origin` names where the template came from, for the warning.
  static ChatTemplate or_chatml(const std::string& source, const std::string& origin);

  bool is_chatml_fallback() const { return fallback_; }
  // The template text (ChatML's for a fallback): callers recognise a model's conventions in it,
  // e.g. the markers its tool calls are wrapped in.
  const std::string& source() const { return source_; }

 private:
  ChatTemplate(const std::string& source, bool fallback);
  Template tmpl_;
  std::string source_;
  bool fallback_ = false;
};

// One-shot convenience: parse and render.
std::string render_chat(const std::string& template_source, const nlohmann::ordered_json& messages,
                        const ChatOptions& opt);

// strftime(fmt) at midnight UTC of `date` ("YYYY-MM-DD"; empty means today). Throws on a bad date.
std::string format_date(const std::string& date, const std::string& fmt);

}  // namespace airlock::tmpl
