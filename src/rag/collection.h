// One collection: a folder holding collection.db, an SQLite database (WAL) with its settings,
// documents, chunks, embeddings (float32 BLOBs, unit length) and an FTS5 index for BM25. Every
// document is replaced in one transaction, so a process killed mid-ingest leaves each document
// either as it was or fully replaced, and a rerun (which compares content hashes) finishes the job.
#pragma once
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "rag/chunker.h"
#include "rag/sqlite_db.h"

namespace airlock::rag {

struct CollectionSettings {
  std::string embed_model;  // a model-store name, resolved when the collection is used
  int64_t chunk_tokens = 400;
  int64_t overlap_tokens = 60;
};

struct DocumentRecord {
  int64_t id = 0;
  std::string path;
  std::string hash;  // "sha256:..." of the file's bytes
  int64_t mtime = 0;
  int64_t size = 0;
  std::string format;
  int64_t chunks = 0;
};

struct StoredChunk {
  int64_t id = 0;
  std::string path;
  Chunk chunk;
};

struct BM25Hit {
  int64_t chunk_id;
  double score;  // higher is better (SQLite's bm25() negated)
};

class Collection {
 public:
  // Creates a new collection in `dir` (which must not exist) atomically: built in a temporary
  // folder beside it and renamed into place.
  static void create(const std::filesystem::path& dir, const CollectionSettings& settings);
  // Opens an existing one; throws airlock::Error when it is missing or not a collection.
  explicit Collection(const std::filesystem::path& dir);

  const std::filesystem::path& dir() const { return dir_; }
  std::string name() const { return dir_.filename().string(); }
  const CollectionSettings& settings() const { return settings_; }

  std::optional<DocumentRecord> document(const std::string& path);
  std::vector<DocumentRecord> documents();
  // Replaces (or adds) a document and its chunks with their embeddings, in one transaction.
  void replace_document(const DocumentRecord& doc, const std::vector<Chunk>& chunks,
                        const std::vector<std::vector<float>>& embeddings);
  void remove_document(const std::string& path);

  struct Stats {
    int64_t documents = 0, chunks = 0, dim = 0;
    uint64_t disk_bytes = 0;
  };
  Stats stats();
  // Bumped by every change, so a cached vector index knows when to reload.
  int64_t generation();

  // BM25 over chunk text and headings; `path_prefix` keeps only documents under it. Words found in
  // more than half of the chunks are left out of the match (see informative_match).
  std::vector<BM25Hit> bm25(const std::string& query, size_t limit, const std::string& path_prefix);
  // Calls fn(chunk_id, path, vector) for every embedding.
  template <typename Fn>
  void each_embedding(Fn&& fn) {
    auto st = db_.prepare("SELECT e.chunk_id, d.path, e.vector FROM embeddings e JOIN chunks c ON c.id = e.chunk_id "
                          "JOIN documents d ON d.id = c.doc_id");
    while (st.step()) fn(st.i64(0), st.text(1), st.floats(2));
  }
  StoredChunk chunk(int64_t id);

 private:
  void bump_generation();
  // fts_query(query) without the words found in more than half of the chunks (the rarest stays
  // when all are): FTS5's BM25 gives such a word next to no weight, yet scoring every chunk that
  // holds it took most of a query's time (bench/rag), and a chunk matching only "the" is no match.
  // Words are looked up unstemmed; a common word whose stem differs from it is kept.
  std::string informative_match(const std::string& query);
  std::filesystem::path dir_;
  Database db_;
  CollectionSettings settings_;
};

// An FTS5 MATCH expression for free text: its words, each quoted, joined with OR (so any query
// is valid FTS syntax and ranking, not strict matching, decides). Empty when it has no words.
std::string fts_query(const std::string& text);

}  // namespace airlock::rag
