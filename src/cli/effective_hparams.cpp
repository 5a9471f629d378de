#include "effective_hparams.h"

#include <algorithm>
#include <cstdio>
#include <string>

#include "airlock/error.h"
#include "model/hparams.h"

namespace airlock::cli {
namespace {

using nlohmann::json;
using model::Hparams;

const char* rope_style_name(model::RopeStyle s) {
  switch (s) {
    case model::RopeStyle::None: return "none";
    case model::RopeStyle::Normal: return "normal";
    case model::RopeStyle::NeoX: return "neox";
  }
  return "?";
}

const char* rope_scaling_name(model::RopeScaling s) {
  switch (s) {
    case model::RopeScaling::None: return "none";
    case model::RopeScaling::Linear: return "linear";
    case model::RopeScaling::Llama3: return "llama3";
  }
  return "?";
}

json rope_json(const Hparams& h) {
  json r = {{"style", rope_style_name(h.arch->rope)}};
  if (h.arch->rope == model::RopeStyle::None) return r;
  r["dimensions"] = h.n_rot;
  r["base"] = h.rope_base;
  r["scaling"] = rope_scaling_name(h.rope_scaling);
  r["factor"] = h.rope_scaling == model::RopeScaling::Llama3 ? h.llama3.factor : h.rope_scale;
  r["window_layers_base"] = h.rope_base_swa;
  r["window_layers_factor"] = h.rope_scale_swa;
  return r;
}

// One letter per layer: W attends within the window, G globally.
std::string layer_pattern(const Hparams& h) {
  std::string p;
  for (int64_t il = 0; il < h.n_layer; ++il) p += h.is_swa_layer(il) ? 'W' : 'G';
  return p;
}

std::string number(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", x);
  return buf;
}

}  // namespace

json effective_hparams(const gguf::File& f) {
  Hparams h;
  try {
    h = model::read_hparams(f);
  } catch (const Error& e) {
    return {{"error", e.what()}};
  }
  const std::string pattern = layer_pattern(h);
  return {{"attention_scale", h.attn_scale},
          {"attention_scale_rule", h.attn_scale_rule},
          {"sliding_window",
           {{"window", h.sliding_window},
            {"windowed_layers", std::count(pattern.begin(), pattern.end(), 'W')},
            {"layer_pattern", pattern}}},
          {"rope", rope_json(h)},
          {"attention_softcap", h.attn_softcap},
          {"final_softcap", h.final_softcap},
          {"norm_epsilon", h.norm_eps}};
}

void print_effective_hparams(const json& e) {
  auto line = [](const char* label, const std::string& value) { std::printf("  %-18s %s\n", label, value.c_str()); };
  if (e.contains("error")) {
    std::printf("effective values:    not available (%s)\n", e["error"].get<std::string>().c_str());
    return;
  }
  std::printf("effective values:\n");
  line("attention scale:", number(e["attention_scale"].get<double>()) + " (" +
                               e["attention_scale_rule"].get<std::string>() + ")");
  const json& w = e["sliding_window"];
  line("sliding window:", w["window"].get<int64_t>() == 0 || w["windowed_layers"].get<int64_t>() == 0
                              ? std::string("none")
                              : w["window"].dump() + " tokens on " + w["windowed_layers"].dump() + " of " +
                                    std::to_string(w["layer_pattern"].get<std::string>().size()) + " layers (" +
                                    w["layer_pattern"].get<std::string>() + ")");
  const json& r = e["rope"];
  std::string rope = r["style"].get<std::string>();
  if (r.contains("base")) {
    rope += ", " + r["dimensions"].dump() + " dims, base " + number(r["base"].get<double>()) + ", scaling " +
            r["scaling"].get<std::string>();
    if (r["scaling"] != "none") rope += " x" + number(r["factor"].get<double>());
    if (w["windowed_layers"].get<int64_t>() > 0)
      rope += "; windowed layers: base " + number(r["window_layers_base"].get<double>()) + ", factor " +
              number(r["window_layers_factor"].get<double>());
  }
  line("rope:", rope);
  auto cap = [](const json& v) { return v.get<double>() > 0 ? number(v.get<double>()) : std::string("off"); };
  line("soft-caps:", "attention " + cap(e["attention_softcap"]) + ", final " + cap(e["final_softcap"]));
  line("norm epsilon:", number(e["norm_epsilon"].get<double>()));
}

}  // namespace airlock::cli
