#include "server/rag_chat.h"

#include <airlock/error.h>

#include <ctime>

#include "rag/answer_prompt.h"
#include "server/rag_retrieval.h"

namespace airlock::server {

namespace {

using json = nlohmann::json;
using ojson = nlohmann::ordered_json;

// What retrieval asks for: the last user message's text.
std::string last_user_text(const ojson& messages) {
  for (auto it = messages.rbegin(); it != messages.rend(); ++it)
    if (it->is_object() && it->value("role", "") == "user") {
      const auto c = it->find("content");
      if (c != it->end() && c->is_string() && !c->get<std::string>().empty()) return c->get<std::string>();
    }
  throw Error("rag: the messages need a user message with text to search the collection for");
}

// The sources as a system message: merged into the conversation's own system message, if it has
// one, since some chat templates allow only one and only first.
void add_sources_message(ojson& messages, const std::string& sources) {
  if (!messages.empty() && messages[0].is_object() && messages[0].value("role", "") == "system" &&
      messages[0].contains("content") && messages[0]["content"].is_string()) {
    messages[0]["content"] = messages[0]["content"].get<std::string>() + "\n\n" + sources;
    return;
  }
  messages.insert(messages.begin(), ojson{{"role", "system"}, {"content", sources}});
}

}  // namespace

void RagStep::seen(const std::string& piece) {
  std::lock_guard lock(mu_);
  answer_ += piece;
}

json RagStep::sources() const {
  std::string answer;
  {
    std::lock_guard lock(mu_);
    answer = answer_;
  }
  return sources(answer);
}

json RagStep::sources(const std::string& answer) const {
  json out = json::array();
  if (nothing_found_) return out;
  const auto cited = rag::cited_sources(answer, hits_.size());
  for (size_t i = 0; i < hits_.size(); ++i) {
    const int n = static_cast<int>(i + 1);
    if (!cited.empty() && !cited.contains(n)) continue;
    json s = rag::source_json(hits_[i], n);
    s["collection"] = collection_;
    s["cited"] = cited.contains(n);
    out.push_back(std::move(s));
  }
  return out;
}

std::shared_ptr<RagStep> rag_step(ServerState& state, const ojson& body, ojson& messages) {
  const auto f = body.find("rag");
  if (f == body.end() || f->is_null()) return nullptr;
  if (!f->is_object()) throw Error("rag: expected an object {\"collection\": NAME, \"top_k\": K}");
  const auto field = [&](const char* key) { return f->contains(key) ? (*f)[key] : ojson(); };
  const ojson name = field("collection");
  if (!name.is_string() || name.get<std::string>().empty()) throw Error("rag.collection: expected a collection name");
  rag::SearchOptions opts{.k = 5};
  if (const ojson k = field("top_k"); !k.is_null()) {
    if (!k.is_number_integer() || k.get<int64_t>() < 1 || k.get<int64_t>() > 50) throw Error("rag.top_k: expected 1..50");
    opts.k = static_cast<size_t>(k.get<int64_t>());
  }
  double min_similarity = 0.5;  // as `airlock rag ask`
  if (const ojson s = field("min_similarity"); !s.is_null()) {
    if (!s.is_number() || s.get<double>() < -1 || s.get<double>() > 1) throw Error("rag.min_similarity: expected -1..1");
    min_similarity = s.get<double>();
  }
  if (const ojson p = field("path_prefix"); !p.is_null()) {
    if (!p.is_string()) throw Error("rag.path_prefix: expected a string");
    opts.path_prefix = p.get<std::string>();
  }
  const std::string collection = name.get<std::string>();
  auto result = retrieve(state, collection, last_user_text(messages), opts);
  const bool nothing = state.config.rag_strict && !rag::relevant(result.hits, min_similarity);
  if (!nothing) add_sources_message(messages, rag::sources_system_prompt(result.hits));
  return std::make_shared<RagStep>(collection, nothing ? std::vector<rag::SearchHit>{} : std::move(result.hits), nothing);
}

void send_nothing_found_native(httplib::Response& res, const std::string& model, bool stream) {
  const std::string now = iso_time(std::chrono::system_clock::now());
  const json message = {{"role", "assistant"}, {"content", rag::kNothingFound}};
  json done = {{"model", model},         {"created_at", now},       {"done", true},
               {"done_reason", "stop"},  {"total_duration", 0},     {"load_duration", 0},
               {"prompt_eval_count", 0}, {"eval_count", 0},         {"sources", json::array()}};
  if (!stream) {
    done["message"] = message;
    return send_json(res, done);
  }
  const json piece = {{"model", model}, {"created_at", now}, {"done", false}, {"message", message}};
  done["message"] = {{"role", "assistant"}, {"content", ""}};
  res.set_content(piece.dump() + "\n" + done.dump() + "\n", "application/x-ndjson");
}

void send_nothing_found_openai(httplib::Response& res, const std::string& model, bool stream) {
  const int64_t created = std::time(nullptr);
  json base = {{"id", "chatcmpl-rag" + std::to_string(created)}, {"object", "chat.completion"}, {"created", created},
               {"model", model}, {"system_fingerprint", "fp_airlock"}};
  if (!stream) {
    base["choices"] = json::array({{{"index", 0}, {"finish_reason", "stop"}, {"logprobs", nullptr},
                                    {"message", {{"role", "assistant"}, {"content", rag::kNothingFound}}}}});
    base["usage"] = {{"prompt_tokens", 0}, {"completion_tokens", 0}, {"total_tokens", 0}};
    base["sources"] = json::array();
    return send_json(res, base);
  }
  base["object"] = "chat.completion.chunk";
  auto chunk = [&base](const json& delta, const json& finish) {
    json j = base;
    j["choices"] = json::array({{{"index", 0}, {"delta", delta}, {"finish_reason", finish}, {"logprobs", nullptr}}});
    return j;
  };
  json last = chunk(json::object(), "stop");
  last["sources"] = json::array();
  res.set_content("data: " + chunk({{"role", "assistant"}, {"content", rag::kNothingFound}}, nullptr).dump() +
                      "\n\ndata: " + last.dump() + "\n\ndata: [DONE]\n\n",
                  "text/event-stream");
}

}  // namespace airlock::server
