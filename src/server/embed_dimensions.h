// `dimensions` on /api/embed and /v1/embeddings: Matryoshka-trained models (nomic-embed, recent
// OpenAI-style embedders) keep most of their quality in a prefix of the vector, so a client may
// ask for a shorter one. The vector is cut to that prefix and made unit length again, as the
// familiar servers do.
#pragma once
#include <cstddef>
#include <vector>

#include <nlohmann/json.hpp>

namespace airlock::server {

// The request's `dimensions`: 0 when absent or null. Throws airlock::Error for anything but a
// positive integer.
size_t read_dimensions(const nlohmann::json& body);
// The first `dims` values of `v`, renormalised; `dims` 0 leaves `v` as it is. Throws
// airlock::Error when the model's vectors are shorter than `dims`.
std::vector<float> cut_to_dimensions(std::vector<float> v, size_t dims);

}  // namespace airlock::server
