#include "engine/chat_prompt.h"

#include "tokenizer/tokenizer.h"

namespace airlock::engine {

ChatPrompt::ChatPrompt(const tokenizer::Tokenizer& tok, const std::string& template_source, const std::string& origin)
    : tok_(tok), template_(tmpl::ChatTemplate::or_chatml(template_source, origin)) {}

std::string ChatPrompt::render(const nlohmann::ordered_json& messages, const nlohmann::ordered_json& tools,
                               const nlohmann::ordered_json& extra, bool add_generation_prompt) const {
  tmpl::ChatOptions opt;
  opt.add_generation_prompt = add_generation_prompt;
  if (tok_.bos() >= 0) opt.bos_token = tok_.vocab_text(tok_.bos());
  if (tok_.eos() >= 0) opt.eos_token = tok_.vocab_text(tok_.eos());
  opt.tools = tools;
  if (extra.is_object()) opt.extra = extra;
  return template_.render(messages, opt);
}

std::vector<int32_t> ChatPrompt::tokenize(std::string_view rendered) const {
  std::vector<int32_t> ids = tok_.encode(rendered, /*add_special=*/true, /*parse_special=*/true);
  // The template wrote BOS as text and the tokenizer added its own: keep one.
  if (ids.size() >= 2 && tok_.bos() >= 0 && ids[0] == tok_.bos() && ids[1] == tok_.bos()) ids.erase(ids.begin());
  return ids;
}

}  // namespace airlock::engine
