// What the request log line reports beyond the HTTP facts: the handler thread notes the model, the
// token counts and the options it ignored while it serves the request (a streamed body is written
// by the same thread before the log line), and the logger reads them afterwards.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace airlock::server {

struct RequestNote {
  std::string model;
  int64_t prompt_tokens = -1;  // -1: not counted (no generation or embedding)
  int64_t eval_tokens = -1;
  std::vector<std::string> ignored_options;  // accepted hardware hints without an effect here
  int64_t num_ctx_capped_to = -1;  // the request's num_ctx was above the model's trained context
  bool cancelled = false;  // the client went away before the answer was complete
};

// This thread's note; reset_request_note() at the start of every request.
RequestNote& request_note();
void reset_request_note();

}  // namespace airlock::server
