// The `rag` field of /api/chat and /v1/chat/completions ({"collection": NAME, "top_k": K,
// "min_similarity": S, "path_prefix": P}), and POST /api/rag/chat, which is /api/chat with that
// field. Before the chat handling, the step retrieves chunks for the last user message and puts
// them into the conversation as a system message of numbered sources; after it, the final answer
// object (or the last stream chunk) gets a `sources` array. When nothing relevant is found and the
// server is strict (rag_strict), the reply says so without generating.
#pragma once
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "rag/retrieve.h"
#include "server/server_state.h"

namespace airlock::server {

class RagStep {
 public:
  RagStep(std::string collection, std::vector<rag::SearchHit> hits, bool nothing_found)
      : collection_(std::move(collection)), hits_(std::move(hits)), nothing_found_(nothing_found) {}

  // True when the reply is the "nothing found" text, not a generation.
  bool nothing_found() const { return nothing_found_; }
  // A streamed answer's pieces, so the last chunk can name the sources the whole answer cited.
  void seen(const std::string& piece);
  // The sources the answer cited ([n]), or all it was given when it cited none; each says whether
  // it was cited. Without an argument, the answer is the pieces seen.
  nlohmann::json sources(const std::string& answer) const;
  nlohmann::json sources() const;

 private:
  std::string collection_;
  std::vector<rag::SearchHit> hits_;
  bool nothing_found_;
  mutable std::mutex mu_;
  std::string answer_;
};

// Reads the body's `rag` field; without one (or null) returns nullptr and leaves `messages` alone.
// Otherwise retrieves and rewrites `messages`. Throws airlock::Error for a bad field, an unknown
// collection or a conversation without a user message.
std::shared_ptr<RagStep> rag_step(ServerState& state, const nlohmann::ordered_json& body,
                                  nlohmann::ordered_json& messages);

// /api/chat's handler (native_api.cpp), which /api/rag/chat runs with a `rag` field.
void native_chat(ServerState& state, const httplib::Request& http, httplib::Response& res);

// The "nothing found" reply in each API's shape, streamed or not.
void send_nothing_found_native(httplib::Response& res, const std::string& model, bool stream);
void send_nothing_found_openai(httplib::Response& res, const std::string& model, bool stream);

}  // namespace airlock::server
