// What ingestion and retrieval need from an embedding model, whoever runs it: the CLI loads the
// model itself (LocalEmbedder), the server borrows its loaded one.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace airlock::rag {

class Embedder {
 public:
  virtual ~Embedder() = default;
  // Tokens of `text` without special tokens.
  virtual size_t count_tokens(std::string_view text) const = 0;
  // The most tokens (special ones included) one input may have.
  virtual size_t context_tokens() const = 0;
  // Unit-length embeddings of texts that fit the context, in order; many at once where it can.
  virtual std::vector<std::vector<float>> embed(const std::vector<std::string>& texts) = 0;
};

// A query embedded for search: when it was longer than the model's context it was cut (at a
// character boundary) to fit, and `truncated` says so.
struct QueryEmbedding {
  std::vector<float> vector;
  bool truncated = false;
  size_t tokens = 0;  // of the full query
};
QueryEmbedding embed_query(Embedder& e, const std::string& query);

}  // namespace airlock::rag
