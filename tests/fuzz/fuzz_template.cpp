// libFuzzer target: any bytes as a chat template, parsed and rendered with a small conversation
// under tight limits. Anything but a clean airlock::Error (crash, hang, sanitizer report) is a bug.
#include <airlock/error.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "template/template.h"

using namespace airlock::tmpl;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const Value context = [] {
    Value ctx = Value::from_json(nlohmann::ordered_json::parse(R"({
      "messages": [{"role": "system", "content": "Be brief."},
                   {"role": "user", "content": "Hi \u00fcnicode"},
                   {"role": "assistant", "content": null,
                    "tool_calls": [{"type": "function", "function": {"name": "f", "arguments": {"a": 1}}}]}],
      "tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}],
      "add_generation_prompt": true, "bos_token": "<s>", "eos_token": "</s>"})"));
    return ctx;
  }();
  TemplateOptions opt;
  opt.trim_blocks = opt.lstrip_blocks = true;
  opt.limits.max_steps = 200'000;
  opt.limits.max_output = 1 << 20;
  opt.limits.max_items = 100'000;
  opt.limits.max_string_bytes = 64u << 20;
  try {
    Template t(std::string(reinterpret_cast<const char*>(data), size), opt);
    t.render(context);
  } catch (const airlock::Error&) {
  }
  return 0;
}
