#include "server/request_options.h"

#include <airlock/error.h>

#include <cmath>
#include <limits>

namespace airlock::server {

namespace {

double number(const nlohmann::json& v, const std::string& key, double lo, double hi) {
  if (!v.is_number()) throw Error("options." + key + ": expected a number, got " + std::string(v.type_name()));
  const double x = v.get<double>();
  if (!std::isfinite(x) || x < lo || x > hi)
    throw Error("options." + key + ": " + v.dump() + " is out of range");
  return x;
}

}  // namespace

void apply_options(const nlohmann::json& options, GenRequest& req) {
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
