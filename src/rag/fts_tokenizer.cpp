#include "rag/fts_tokenizer.h"

#include <airlock/error.h>

namespace airlock::rag {

namespace {

fts5_api* fts5_of(sqlite3* db) {
  fts5_api* api = nullptr;
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &st, nullptr) == SQLITE_OK) {
    sqlite3_bind_pointer(st, 1, static_cast<void*>(&api), "fts5_api_ptr", nullptr);
    sqlite3_step(st);
  }
  sqlite3_finalize(st);
  if (!api) throw Error("SQLite has no FTS5 (needed for BM25)");
  return api;
}

int on_token(void* ctx, int, const char* token, int n, int, int) {
  (*static_cast<const std::function<void(std::string_view)>*>(ctx))(std::string_view(token, static_cast<size_t>(n)));
  return SQLITE_OK;
}

}  // namespace

FtsTokenizer::FtsTokenizer(sqlite3* db) {
  fts5_api* fts5 = fts5_of(db);
  void* user = nullptr;
  // The same arguments as the table's `tokenize = 'porter unicode61'` (collection.cpp).
  const char* args[] = {"unicode61"};
  if (fts5->xFindTokenizer(fts5, "porter", &user, &api_) != SQLITE_OK || api_.xCreate(user, args, 1, &tok_) != SQLITE_OK)
    throw Error("SQLite's FTS5 porter tokenizer is not available");
}

FtsTokenizer::~FtsTokenizer() {
  if (tok_) api_.xDelete(tok_);
}

void FtsTokenizer::each(std::string_view text, const std::function<void(std::string_view)>& fn) const {
  if (text.empty()) return;
  api_.xTokenize(tok_, const_cast<void*>(static_cast<const void*>(&fn)), FTS5_TOKENIZE_DOCUMENT, text.data(),
                 static_cast<int>(text.size()), on_token);
}

}  // namespace airlock::rag
