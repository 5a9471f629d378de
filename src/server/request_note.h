// What the request log line and the audit record report beyond the HTTP facts: the handler thread
// notes the model, its manifest digest, the token counts, the options it ignored and (for the
// audit) the generated text while it serves the request (a streamed body is written by the same
// thread before the log line), and the logger reads them afterwards.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace airlock::server {

// Set by the pre-routing handler before any handler runs; kept by reset_request_note().
struct RequestWho {
  std::string request_id;
  std::string key_name;          // the API key's name; empty without authentication
  bool capture_output = false;   // the audit keeps the generated text (or its hash)
};

struct RequestNote {
  RequestWho who;
  std::string model;
  std::string model_digest;  // of the manifest served
  std::string output;        // generated text, when who.capture_output
  int64_t prompt_tokens = -1;  // -1: not counted (no generation or embedding)
  int64_t eval_tokens = -1;
  std::vector<std::string> ignored_options;  // accepted hardware hints without an effect here
  int64_t num_ctx_capped_to = -1;  // the request's num_ctx was above the model's trained context
  bool cancelled = false;  // the client went away before the answer was complete
};

// This thread's note: begin_request_note() at the start of every request; reset_request_note()
// (a handler starting) clears what handlers note and keeps `who`.
RequestNote& request_note();
void begin_request_note(RequestWho who);
void reset_request_note();

}  // namespace airlock::server
