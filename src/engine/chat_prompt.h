// A conversation turned into prompt tokens, the one way for every caller (the CLI's chat, the
// server, the library): the model's chat template (ChatML when it has none) renders the messages
// with the model's BOS/EOS text; tokenising adds BOS once even when the template already wrote it,
// and recognises control tokens written as text.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "template/chat_template.h"

namespace airlock::tokenizer {
class Tokenizer;
}

namespace airlock::engine {

class ChatPrompt {
 public:
  // `tok` must outlive this. `template_source`: the model's tokenizer.chat_template (may be empty);
  // `origin` names the model in a warning about the fallback.
  ChatPrompt(const tokenizer::Tokenizer& tok, const std::string& template_source, const std::string& origin);

  // messages: [{role, content, ...}]; tools: the template's `tools` (null: undefined); extra: further
  // template variables (an object, or null). Throws airlock::Error for a failing template.
  std::string render(const nlohmann::ordered_json& messages, const nlohmann::ordered_json& tools = nullptr,
                     const nlohmann::ordered_json& extra = nullptr, bool add_generation_prompt = true) const;
  std::vector<int32_t> tokenize(std::string_view rendered) const;
  const tmpl::ChatTemplate& chat_template() const { return template_; }

 private:
  const tokenizer::Tokenizer& tok_;
  tmpl::ChatTemplate template_;
};

}  // namespace airlock::engine
