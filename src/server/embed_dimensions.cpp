#include "server/embed_dimensions.h"

#include <airlock/error.h>

#include <cmath>
#include <string>

namespace airlock::server {

size_t read_dimensions(const nlohmann::json& body) {
  const auto d = body.find("dimensions");
  if (d == body.end() || d->is_null()) return 0;
  if (!d->is_number_integer() || d->get<int64_t>() < 1) throw Error("dimensions: expected a positive integer");
  return static_cast<size_t>(d->get<int64_t>());
}

std::vector<float> cut_to_dimensions(std::vector<float> v, size_t dims) {
  if (dims == 0) return v;
  if (dims > v.size())
    throw Error("dimensions: " + std::to_string(dims) + " is more than the model's " + std::to_string(v.size()));
  v.resize(dims);
  double norm = 0;
  for (float x : v) norm += static_cast<double>(x) * x;
  norm = std::sqrt(norm);
  if (norm > 0)
    for (float& x : v) x = static_cast<float>(x / norm);
  return v;
}

}  // namespace airlock::server
