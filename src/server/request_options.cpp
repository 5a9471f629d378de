#include "server/request_options.h"

#include <airlock/error.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <thread>

#include "server/request_note.h"

namespace airlock::server {

namespace {

double number(const nlohmann::json& v, const std::string& key, double lo, double hi) {
  if (!v.is_number()) throw Error("options." + key + ": expected a number, got " + std::string(v.type_name()));
  const double x = v.get<double>();
  if (!std::isfinite(x) || x < lo || x > hi)
    throw Error("options." + key + ": " + v.dump() + " is out of range");
  return x;
}

int64_t whole(const nlohmann::json& v, const std::string& key, int64_t lo, int64_t hi) {
  const double x = number(v, key, static_cast<double>(lo), static_cast<double>(hi));
  if (x != std::floor(x)) throw Error("options." + key + ": expected a whole number, got " + v.dump());
  return static_cast<int64_t>(x);
}

bool one_of(const std::string& key, std::initializer_list<const char*> names) {
  return std::any_of(names.begin(), names.end(), [&](const char* n) { return key == n; });
}

// Hints about hardware and memory, or knobs that only matter for features we do not have: no
// effect on what is generated here.
bool harmless_hint(const std::string& key) {
  return one_of(key, {"numa", "num_gpu", "main_gpu", "low_vram", "f16_kv", "use_mmap", "use_mlock", "vocab_only",
                      "logits_all", "embedding_only", "penalize_newline", "mirostat_tau",
                      "mirostat_eta"});
}

int hardware_threads() { return static_cast<int>(std::max(1u, std::thread::hardware_concurrency())); }

constexpr int64_t kMaxNumCtx = int64_t{1} << 24;
constexpr int64_t kMaxNumBatch = 65536;

}  // namespace

LoadOptions load_options(const nlohmann::json& options) {
  LoadOptions o;
  if (options.is_null()) return o;
  if (!options.is_object()) throw Error("options: expected an object");
  if (auto v = options.find("num_ctx"); v != options.end() && !v->is_null())
    o.num_ctx = whole(*v, "num_ctx", 1, kMaxNumCtx);
  // 0 is the familiar clients' "default"; more threads than the machine has only slows it down.
  if (auto v = options.find("num_thread"); v != options.end() && !v->is_null())
    o.num_thread = static_cast<int>(whole(*v, "num_thread", 0, hardware_threads()));
  return o;
}

void apply_options(const nlohmann::json& options, GenRequest& req, OptionSource source) {
  if (options.is_null()) return;
  if (!options.is_object()) throw Error("options: expected an object");
  auto& sp = req.sampling;
  constexpr double kBig = 1e9;
  for (const auto& [key, v] : options.items()) {
    if (v.is_null()) continue;
    if (key == "temperature") sp.temperature = static_cast<float>(number(v, key, 0, 100));
    else if (key == "top_k") sp.top_k = static_cast<int>(number(v, key, -1, kBig));
    else if (key == "top_p") sp.top_p = static_cast<float>(number(v, key, 0, 1));
    else if (key == "min_p") sp.min_p = static_cast<float>(number(v, key, 0, 1));
    else if (key == "typical_p") sp.typical_p = static_cast<float>(number(v, key, 0, 1));
    else if (key == "repeat_penalty") sp.repeat_penalty = static_cast<float>(number(v, key, 0, 100));
    else if (key == "repeat_last_n") sp.repeat_last_n = static_cast<int>(number(v, key, -1, kBig));
    else if (key == "presence_penalty") sp.presence_penalty = static_cast<float>(number(v, key, -100, 100));
    else if (key == "frequency_penalty") sp.frequency_penalty = static_cast<float>(number(v, key, -100, 100));
    else if (key == "seed") {
      const double s = number(v, key, -kBig * kBig, std::ldexp(1.0, 64));
      if (s >= 0) {  // the familiar server treats -1 as "random"
        sp.seed = static_cast<uint64_t>(s);
        sp.has_seed = true;
      }
    } else if (key == "num_predict") {
      req.num_predict = static_cast<int64_t>(number(v, key, -2, kBig));
      if (req.num_predict < 0) req.num_predict = -1;
    } else if (key == "stop") {
      req.stop.clear();
      if (v.is_string()) req.stop.push_back(v.get<std::string>());
      else if (v.is_array()) {
        for (const auto& s : v) {
          if (!s.is_string()) throw Error("options.stop: expected strings");
          req.stop.push_back(s.get<std::string>());
        }
      } else {
        throw Error("options.stop: expected a string or an array of strings");
      }
    } else if (key == "num_keep") {
      // -1 is the familiar clients' "default".
      if (const int64_t n = whole(v, key, -1, kMaxNumCtx); n >= 0) req.n_keep = n;
    } else if (key == "num_batch") {
      req.num_batch = whole(v, key, 1, kMaxNumBatch);
    } else if (key == "num_ctx" || key == "num_thread") {
      // The same checks as load_options(); the model manager applies them.
      if (source == OptionSource::Request) load_options({{key, v}});
    } else if (key == "mirostat") {
      if (source == OptionSource::Request && number(v, key, 0, 2) != 0)
        throw Error("options.mirostat: mirostat sampling is not supported (only 0, off)");
    } else if (key == "tfs_z") {
      if (source == OptionSource::Request && number(v, key, 0, kBig) != 1)
        throw Error("options.tfs_z: tail-free sampling is not supported (only 1, off)");
    } else if (harmless_hint(key)) {
      if (source == OptionSource::Request) request_note().ignored_options.push_back(key);
    } else if (source == OptionSource::Request) {
      throw Error("options." + key + ": unknown option");
    }
  }
}

std::string string_field(const nlohmann::json& body, const char* key, const std::string& fallback) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return fallback;
  if (!it->is_string()) throw Error(std::string(key) + ": expected a string, got " + it->type_name());
  return it->get<std::string>();
}

bool bool_field(const nlohmann::json& body, const char* key, bool fallback) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return fallback;
  if (!it->is_boolean()) throw Error(std::string(key) + ": expected true or false, got " + it->type_name());
  return it->get<bool>();
}

}  // namespace airlock::server
