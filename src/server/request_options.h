// Options of a request, from the model's Modelfile PARAMETERs overridden by the request's `options`
// object (native API) — both in the familiar server's names. Every key of the familiar clients'
// Options type is known here, and handled one of four ways:
//  - applied: sampling and stopping keys, num_batch (this request's prompt chunk size), num_keep
//    (the leading tokens a truncated prompt and a shifted context keep);
//  - load options: num_ctx and num_thread choose the model instance (see load_options());
//  - accepted and ignored: hardware and memory hints with no effect on the output here (numa,
//    num_gpu, main_gpu, low_vram, f16_kv, use_mmap, use_mlock, vocab_only, logits_all,
//    embedding_only), penalize_newline (a no-op in the familiar server too), mirostat_tau / mirostat_eta (only
//    read when mirostat is on); they are listed in the request's log line;
//  - refused unless off: mirostat (0) and tfs_z (1), samplers we do not have, which would change
//    the output.
// Any other key in a request is refused with "options.<key>: unknown option"; a typo must not
// silently fall back to a default. A Modelfile's unknown PARAMETERs and unsupported samplers were
// accepted when the model was created or imported, so they are skipped instead.
#pragma once
#include <nlohmann/json.hpp>

#include "server/generation.h"

namespace airlock::server {

enum class OptionSource { Request, Modelfile };

// Applies `options` to req; throws airlock::Error "options.<key>: ..." for a value of the wrong
// type or range, an unknown key (from a request) or an unsupported sampler.
void apply_options(const nlohmann::json& options, GenRequest& req, OptionSource source = OptionSource::Request);

// The options that decide which instance of a model serves the request. 0: not asked for.
struct LoadOptions {
  int64_t num_ctx = 0;   // context positions; capped at the model's trained context on load
  int num_thread = 0;    // compute threads, 1 .. this machine's hardware threads
};
// Reads num_ctx and num_thread from `options` (null or an object); throws airlock::Error for a
// value of the wrong type or range.
LoadOptions load_options(const nlohmann::json& options);

// The request's own fields a JSON body may hold, with a clear error for the wrong type.
std::string string_field(const nlohmann::json& body, const char* key, const std::string& fallback = "");
bool bool_field(const nlohmann::json& body, const char* key, bool fallback);

}  // namespace airlock::server
