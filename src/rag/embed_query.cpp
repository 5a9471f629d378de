#include "rag/embedder.h"

namespace airlock::rag {

namespace {
// The longest prefix of `text` ending at a UTF-8 character boundary with at most `limit` tokens:
// a binary search over byte lengths, since a token count is monotone enough in the prefix length.
std::string fitting_prefix(const Embedder& e, const std::string& text, size_t limit) {
  size_t lo = 0, hi = text.size();
  while (lo < hi) {
    size_t mid = (lo + hi + 1) / 2;
    while (mid > lo && mid < text.size() && (static_cast<unsigned char>(text[mid]) & 0xC0) == 0x80) --mid;
    if (mid == lo) break;
    if (e.count_tokens(std::string_view(text).substr(0, mid)) <= limit) lo = mid;
    else hi = mid - 1;
  }
  return text.substr(0, lo);
}
}  // namespace

QueryEmbedding embed_query(Embedder& e, const std::string& query) {
  QueryEmbedding q;
  q.tokens = e.count_tokens(query);
  // Two places for the special tokens encoders add around the text (BERT's [CLS] and [SEP]).
  const size_t limit = e.context_tokens() > 2 ? e.context_tokens() - 2 : 1;
  std::string text = query;
  if (q.tokens > limit) {
    text = fitting_prefix(e, query, limit);
    q.truncated = true;
  }
  q.vector = e.embed({text}).at(0);
  return q;
}

}  // namespace airlock::rag
