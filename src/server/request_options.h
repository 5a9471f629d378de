// Sampling and stopping options of a request, from the model's Modelfile PARAMETERs overridden by
// the request's `options` object (native API) — both in the familiar server's names.
#pragma once
#include <nlohmann/json.hpp>

#include "server/generation.h"

namespace airlock::server {

// Applies every known key of `options` to req; throws airlock::Error "options.<key>: ..." for a
// value of the wrong type or range. Unknown keys are ignored, as the familiar server does.
// num_ctx, num_batch, num_thread and the like are accepted but the server's settings win.
void apply_options(const nlohmann::json& options, GenRequest& req);

// The request's own fields a JSON body may hold, with a clear error for the wrong type.
std::string string_field(const nlohmann::json& body, const char* key, const std::string& fallback = "");
bool bool_field(const nlohmann::json& body, const char* key, bool fallback);

}  // namespace airlock::server
