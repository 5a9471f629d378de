#include "server/logprobs.h"

#include <airlock/error.h>

#include <string>

namespace airlock::server {

namespace {

using json = nlohmann::json;
using ojson = nlohmann::ordered_json;

size_t top_count(const ojson& v, const char* field) {
  if (!v.is_number_integer() || v.get<int64_t>() < 0 || v.get<int64_t>() > kMaxTopLogprobs)
    throw Error(std::string(field) + ": expected an integer from 0 to " + std::to_string(kMaxTopLogprobs));
  return static_cast<size_t>(v.get<int64_t>());
}

// Raw bytes as numbers: a token may be part of a multi-byte character, which its text cannot show.
json bytes_of(const std::string& s) {
  json out = json::array();
  for (unsigned char c : s) out.push_back(c);
  return out;
}

json token_json(const std::string& token, float logprob) {
  return {{"token", token}, {"logprob", logprob}, {"bytes", bytes_of(token)}};
}

}  // namespace

void read_logprobs(const ojson& body, GenRequest& req, bool top_needs_logprobs) {
  if (auto v = body.find("logprobs"); v != body.end() && !v->is_null()) {
    if (!v->is_boolean()) throw Error("logprobs: expected true or false");
    req.logprobs = v->get<bool>();
  }
  if (auto v = body.find("top_logprobs"); v != body.end() && !v->is_null()) {
    req.top_logprobs = top_count(*v, "top_logprobs");
    if (req.top_logprobs > 0 && !req.logprobs) {
      if (top_needs_logprobs) throw Error("top_logprobs: requires logprobs to be true");
      req.logprobs = true;
    }
  }
}

void read_completion_logprobs(const ojson& body, GenRequest& req) {
  if (auto v = body.find("logprobs"); v != body.end() && !v->is_null()) {
    req.top_logprobs = top_count(*v, "logprobs");
    req.logprobs = true;
  }
}

json native_logprobs(const std::vector<TokenLogprob>& tokens) {
  json out = json::array();
  for (const auto& t : tokens) {
    json j = token_json(t.token, t.logprob);
    if (!t.top.empty()) {
      j["top_logprobs"] = json::array();
      for (const auto& a : t.top) j["top_logprobs"].push_back(token_json(a.token, a.logprob));
    }
    out.push_back(std::move(j));
  }
  return out;
}

json openai_chat_logprobs(const std::vector<TokenLogprob>& tokens) {
  json content = json::array();
  for (const auto& t : tokens) {
    json j = token_json(t.token, t.logprob);
    j["top_logprobs"] = json::array();
    for (const auto& a : t.top) j["top_logprobs"].push_back(token_json(a.token, a.logprob));
    content.push_back(std::move(j));
  }
  return {{"content", content}, {"refusal", nullptr}};
}

json openai_completion_logprobs(const std::vector<TokenLogprob>& tokens, size_t& offset) {
  json out = {{"tokens", json::array()}, {"token_logprobs", json::array()}, {"top_logprobs", json::array()},
              {"text_offset", json::array()}};
  for (const auto& t : tokens) {
    out["tokens"].push_back(t.token);
    out["token_logprobs"].push_back(t.logprob);
    json top = json::object();
    for (const auto& a : t.top) top[a.token] = a.logprob;
    out["top_logprobs"].push_back(std::move(top));
    out["text_offset"].push_back(offset);
    offset += t.token.size();
  }
  return out;
}

}  // namespace airlock::server
