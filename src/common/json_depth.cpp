#include "common/json_depth.h"

#include <airlock/error.h>

#include <string>

namespace airlock {

bool json_depth_within(std::string_view text, size_t max_depth) {
  size_t depth = 0;
  bool in_string = false, escaped = false;
  for (const char c : text) {
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
      continue;
    }
    switch (c) {
      case '"': in_string = true; break;
      case '[':
      case '{':
        if (++depth > max_depth) return false;
        break;
      case ']':
      case '}':
        if (depth > 0) --depth;
        break;
      default: break;
    }
  }
  return true;
}

void require_json_depth_within(std::string_view text, std::string_view what, size_t max_depth) {
  if (!json_depth_within(text, max_depth))
    throw Error(std::string(what) + ": JSON nested more than " + std::to_string(max_depth) + " levels deep");
}

}  // namespace airlock
