#include "template/chat_template.h"

#include <airlock/error.h>

#include <cstdio>
#include <ctime>

namespace airlock::tmpl {

const char* const kChatMLTemplate =
    "{%- for message in messages -%}"
    "{{- '<|im_start|>' ~ message.role ~ '\\n' ~ message.content ~ '<|im_end|>\\n' -}}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{- '<|im_start|>assistant\\n' -}}{%- endif -%}";

static TemplateOptions chat_options() {
  TemplateOptions o;
  o.trim_blocks = true;
  o.lstrip_blocks = true;
  return o;
}

ChatTemplate::ChatTemplate(const std::string& source) : tmpl_(source, chat_options()), source_(source) {}

ChatTemplate::ChatTemplate(const std::string& source, bool fallback)
    : tmpl_(source, chat_options()), source_(source), fallback_(fallback) {}

ChatTemplate ChatTemplate::or_chatml(const std::string& source, const std::string& origin) {
  if (source.empty()) {
    std::fprintf(stderr, "airlock: warning: %s has no chat template; using ChatML\n", origin.c_str());
    return ChatTemplate(kChatMLTemplate, true);
  }
  try {
    return ChatTemplate(source, false);
  } catch (const Error& e) {
    std::fprintf(stderr, "airlock: warning: %s: chat template does not parse (%s); using ChatML\n", origin.c_str(),
                 e.what());
    return ChatTemplate(kChatMLTemplate, true);
  }
}

std::string format_date(const std::string& date, const std::string& fmt) {
  std::tm tm{};
  if (date.empty()) {
    std::time_t now = std::time(nullptr);
    gmtime_r(&now, &tm);
  } else {
    int y = 0, m = 0, d = 0;
    char tail = 0;
    if (std::sscanf(date.c_str(), "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 || m < 1 || m > 12 || d < 1 || d > 31)
      throw Error("date '" + date + "' is not YYYY-MM-DD");
    tm.tm_year = y - 1900;
    tm.tm_mon = m - 1;
    tm.tm_mday = d;
    std::time_t t = timegm(&tm);  // normalises and fills in the weekday and day of year
    gmtime_r(&t, &tm);
  }
  if (fmt.empty()) return "";
  char buf[512];
  size_t n = std::strftime(buf, sizeof buf, fmt.c_str(), &tm);
  if (n == 0) throw Error("strftime_now: format '" + fmt + "' gives no output or is too long");
  return std::string(buf, n);
}

std::string ChatTemplate::render(const nlohmann::ordered_json& messages, const ChatOptions& opt) const {
  if (!messages.is_array()) throw Error("chat messages must be a JSON array");
  ContainerArena arena;  // the converted messages too: a template may append a list to itself
  Value ctx = Value::make_dict();
  auto& d = *ctx.dict;
  d.set(Value::string("messages"), Value::from_json(messages));
  d.set(Value::string("add_generation_prompt"), Value::boolean(opt.add_generation_prompt));
  d.set(Value::string("bos_token"), Value::string(opt.bos_token));
  d.set(Value::string("eos_token"), Value::string(opt.eos_token));
  if (!opt.tools.is_null()) d.set(Value::string("tools"), Value::from_json(opt.tools));
  std::string date = opt.date;
  format_date(date, "");  // validate the date up front, not on the template's first call
  d.set(Value::string("strftime_now"), Value::function([date](Interpreter&, CallArgs& a) {
          if (a.args.empty() || !a.args[0].is_string()) throw Error("strftime_now: expected a format string");
          return Value::string(format_date(date, a.args[0].s));
        }));
  if (opt.extra.is_object())
    for (auto it = opt.extra.begin(); it != opt.extra.end(); ++it)
      d.set(Value::string(it.key()), Value::from_json(it.value()));
  return tmpl_.render(ctx);
}

std::string render_chat(const std::string& template_source, const nlohmann::ordered_json& messages,
                        const ChatOptions& opt) {
  return ChatTemplate(template_source).render(messages, opt);
}

}  // namespace airlock::tmpl
