// One collection: a folder holding collection.db, an SQLite database (WAL) with its settings,
// documents, chunks, embeddings (float32 BLOBs, unit length) and an FTS5 index for BM25. Every
// document is replaced in one transaction, so a process killed mid-ingest leaves each document
// either as it was or fully replaced, and a rerun (which compares content hashes) finishes the job.
#pragma once
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "rag/chunker.h"
#include "rag/fts_tokenizer.h"
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

  // The terms of a query as the FTS5 table indexes words (term_index.h scores them).
  std::vector<std::string> terms(std::string_view text);
  // Calls fn(chunk_id, path, terms) for every chunk, in chunk id order; terms are those of its
  // text and heading, as FTS5 indexes them.
  template <typename Fn>
  void each_chunk_terms(Fn&& fn) {
    auto st = db_.prepare("SELECT c.id, d.path, c.text, c.heading FROM chunks c JOIN documents d ON d.id = c.doc_id "
                          "ORDER BY c.id");
    std::vector<std::string> terms;
    const auto add = [&](std::string_view t) { terms.emplace_back(t); };
    while (st.step()) {
      terms.clear();
      tokenizer().each(st.text_view(2), add);
      tokenizer().each(st.text_view(3), add);
      fn(st.i64(0), st.text(1), terms);
    }
  }
  // Calls fn(chunk_id, path, vector) for every embedding.
  template <typename Fn>
  void each_embedding(Fn&& fn) {
    auto st = db_.prepare("SELECT e.chunk_id, d.path, e.vector FROM embeddings e JOIN chunks c ON c.id = e.chunk_id "
                          "JOIN documents d ON d.id = c.doc_id");
    while (st.step()) fn(st.i64(0), st.text(1), st.floats(2));
  }
  StoredChunk chunk(int64_t id);
  // The chunks with these ids, in that order, through one prepared statement (a search's top k).
  std::vector<StoredChunk> chunks(const std::vector<int64_t>& ids);

 private:
  void bump_generation();
  const FtsTokenizer& tokenizer();
  std::filesystem::path dir_;
  Database db_;
  CollectionSettings settings_;
  std::unique_ptr<FtsTokenizer> tokenizer_;
};

}  // namespace airlock::rag
