// Runs a generation request on a leased model and delivers its events, either as a stream (NDJSON
// or SSE, chosen by the caller's formatter) or collected into one answer. A stream whose client
// goes away cancels the request, which frees its slot before the next decoding step.
#pragma once
#include <functional>
#include <memory>
#include <string>

#include <httplib.h>

#include "server/generation.h"
#include "server/model_manager.h"
#include "server/server_state.h"

namespace airlock::server {

struct StreamFormat {
  std::string content_type;
  // Wire text for: the first bytes (may be empty), a text piece, the final event, a mid-stream error.
  std::function<std::string()> start;
  std::function<std::string(const GenEvent& text)> piece;
  std::function<std::string(const GenEvent& done)> done;
  std::function<std::string(const GenEvent& error)> error;
};

// Queues the request; throws airlock::Error (Busy) when the model's queue is full.
void submit(ServerState& state, Lease& lease, const std::shared_ptr<GenRequest>& req);

// Streams the events into res (chunked); the lease is held until the stream ends.
void stream_events(ServerState& state, httplib::Response& res, std::shared_ptr<Lease> lease,
                   std::shared_ptr<GenRequest> req, StreamFormat format);

struct Collected {
  std::string text;
  std::string thinking;
  std::vector<TokenLogprob> logprobs;  // every token's, with logprobs asked for
  GenEvent done;
};
// Waits for the whole answer; throws the event's airlock::Error on an Error event. A client
// that closes its connection meanwhile cancels the request, as a stream's does.
Collected collect(ServerState& state, const httplib::Request& http, GenRequest& req);

}  // namespace airlock::server
