// A guard for JSON text that comes from outside (HTTP bodies, manifests, bundle indexes, config
// files, tool schemas): nesting deep enough to exhaust the stack in any recursive walk of the
// parsed value (dump, copy, comparison) is refused before the text is parsed.
#pragma once
#include <cstddef>
#include <string_view>

namespace airlock {

// Deeper than any real request, schema or manifest; far below what overflows a thread's stack.
inline constexpr size_t kMaxJsonDepth = 128;

// Whether arrays and objects in `text` nest at most `max_depth` deep. Brackets inside strings do
// not count. Linear, no allocation; says nothing about whether the text is otherwise valid JSON.
bool json_depth_within(std::string_view text, size_t max_depth = kMaxJsonDepth);

// Throws airlock::Error("<what>: JSON nested more than N levels deep") when arrays and objects in
// `text` nest deeper than `max_depth`.
void require_json_depth_within(std::string_view text, std::string_view what, size_t max_depth = kMaxJsonDepth);

}  // namespace airlock
