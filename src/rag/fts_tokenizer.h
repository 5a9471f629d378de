// The words of a text as the collection's FTS5 table indexes them: SQLite's own porter tokenizer
// over unicode61 (lowercased, diacritics folded, English stems), reached through the fts5_api of
// one connection. The in-memory BM25 index (term_index.h) uses it for chunks and queries alike, so
// its terms are exactly the FTS5 table's.
#pragma once
#include <sqlite3.h>

#include <functional>
#include <string_view>

namespace airlock::rag {

class FtsTokenizer {
 public:
  // `db` must outlive the tokenizer.
  explicit FtsTokenizer(sqlite3* db);
  ~FtsTokenizer();
  FtsTokenizer(const FtsTokenizer&) = delete;
  FtsTokenizer& operator=(const FtsTokenizer&) = delete;

  // Calls fn(term) for each term of `text`, in order.
  void each(std::string_view text, const std::function<void(std::string_view)>& fn) const;

 private:
  fts5_tokenizer api_{};
  Fts5Tokenizer* tok_ = nullptr;
};

}  // namespace airlock::rag
