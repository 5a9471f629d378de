#include "rag/similarity_moments.h"

#include <algorithm>

namespace airlock::rag {

SimilarityMoments::SimilarityMoments(const std::vector<const float*>& rows, size_t dim, size_t sample)
    : dim_(dim), mean_(dim), second_(dim * dim) {
  if (rows.empty()) return;
  const size_t step = std::max<size_t>(rows.size() / sample, 1);
  size_t n = 0;
  std::vector<double> v(dim);
  for (size_t r = 0; r < rows.size(); r += step, ++n) {
    for (size_t i = 0; i < dim; ++i) v[i] = rows[r][i], mean_[i] += v[i];
    // The upper triangle only; mirrored below.
    for (size_t i = 0; i < dim; ++i) {
      double* row = second_.data() + i * dim;
      for (size_t j = i; j < dim; ++j) row[j] += v[i] * v[j];
    }
  }
  for (size_t i = 0; i < dim; ++i) {
    mean_[i] /= static_cast<double>(n);
    for (size_t j = i; j < dim; ++j) second_[j * dim + i] = second_[i * dim + j] /= static_cast<double>(n);
  }
}

void SimilarityMoments::of(std::span<const float> q, double& mean, double& variance) const {
  mean = 0;
  double square = 0;
  for (size_t i = 0; i < dim_; ++i) {
    mean += q[i] * mean_[i];
    const double* row = second_.data() + i * dim_;
    // Four running sums: one would serialise on the adder (no -ffast-math to reorder it).
    double s[4] = {};
    size_t j = 0;
    for (; j + 4 <= dim_; j += 4)
      for (size_t k = 0; k < 4; ++k) s[k] += row[j + k] * q[j + k];
    for (; j < dim_; ++j) s[0] += row[j] * q[j];
    square += q[i] * ((s[0] + s[1]) + (s[2] + s[3]));
  }
  variance = square - mean * mean;
}

}  // namespace airlock::rag
