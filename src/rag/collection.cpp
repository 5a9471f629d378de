#include "rag/collection.h"

#include <airlock/error.h>
#include <unistd.h>

#include <chrono>
#include <random>

#include "store/durable_file.h"

namespace airlock::rag {

namespace fs = std::filesystem;

namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
  id INTEGER PRIMARY KEY, path TEXT NOT NULL UNIQUE, hash TEXT NOT NULL, mtime INTEGER NOT NULL,
  size INTEGER NOT NULL, format TEXT NOT NULL, chunks INTEGER NOT NULL, ingested_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS chunks (
  id INTEGER PRIMARY KEY, doc_id INTEGER NOT NULL, seq INTEGER NOT NULL, text TEXT NOT NULL,
  heading TEXT NOT NULL, page INTEGER NOT NULL, line_first INTEGER NOT NULL, line_last INTEGER NOT NULL,
  tokens INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_id);
CREATE TABLE IF NOT EXISTS embeddings (chunk_id INTEGER PRIMARY KEY, vector BLOB NOT NULL);
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5(text, heading, tokenize = 'porter unicode61');
)sql";

std::string meta(Database& db, const char* key) {
  auto st = db.prepare("SELECT value FROM meta WHERE key = ?");
  st.bind(1, std::string_view(key));
  if (!st.step()) throw Error(db.path().string() + ": not a collection (no " + key + ")");
  return st.text(0);
}

void set_meta(Database& db, const char* key, const std::string& value) {
  db.prepare("INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value")
      .bind(1, std::string_view(key))
      .bind(2, value)
      .run();
}

fs::path db_file(const fs::path& dir) { return dir / "collection.db"; }

}  // namespace

void Collection::create(const fs::path& dir, const CollectionSettings& s) {
  std::error_code ec;
  if (fs::exists(dir, ec)) throw Error("collection '" + dir.filename().string() + "' already exists");
  fs::create_directories(dir.parent_path());
  const fs::path tmp = dir.parent_path() / (".tmp-" + dir.filename().string() + "-" + std::to_string(::getpid()) + "-" +
                                            std::to_string(std::random_device{}()));
  fs::create_directory(tmp);
  try {
    {
      Database db(db_file(tmp), true);
      Transaction tx(db);
      db.exec(kSchema);
      set_meta(db, "embed_model", s.embed_model);
      set_meta(db, "chunk_tokens", std::to_string(s.chunk_tokens));
      set_meta(db, "overlap_tokens", std::to_string(s.overlap_tokens));
      // A random start: a collection removed and made again under the same name never repeats
      // its predecessor's generation, so no cached index (the server's, vectors.hnsw) passes for it.
      std::mt19937_64 rng(std::random_device{}());
      set_meta(db, "generation", std::to_string(rng() >> 20));
      set_meta(db, "created", std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                                 std::chrono::system_clock::now().time_since_epoch()).count()));
      tx.commit();
      db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    }
    fs::rename(tmp, dir);
    store::fsync_dir(dir.parent_path());
  } catch (...) {
    fs::remove_all(tmp, ec);
    if (fs::exists(dir, ec) && !fs::exists(db_file(dir), ec)) fs::remove_all(dir, ec);
    throw;
  }
}

Collection::Collection(const fs::path& dir) : dir_(dir), db_([&] {
  std::error_code ec;
  if (!fs::is_regular_file(db_file(dir), ec)) throw Error("no collection '" + dir.filename().string() + "'", ErrorKind::NotFound);
  return db_file(dir);
}(), false) {
  settings_.embed_model = meta(db_, "embed_model");
  settings_.chunk_tokens = std::stoll(meta(db_, "chunk_tokens"));
  settings_.overlap_tokens = std::stoll(meta(db_, "overlap_tokens"));
}

std::optional<DocumentRecord> Collection::document(const std::string& path) {
  auto st = db_.prepare("SELECT id, path, hash, mtime, size, format, chunks FROM documents WHERE path = ?");
  st.bind(1, path);
  if (!st.step()) return std::nullopt;
  return DocumentRecord{st.i64(0), st.text(1), st.text(2), st.i64(3), st.i64(4), st.text(5), st.i64(6)};
}

std::vector<DocumentRecord> Collection::documents() {
  auto st = db_.prepare("SELECT id, path, hash, mtime, size, format, chunks FROM documents ORDER BY path");
  std::vector<DocumentRecord> out;
  while (st.step()) out.push_back({st.i64(0), st.text(1), st.text(2), st.i64(3), st.i64(4), st.text(5), st.i64(6)});
  return out;
}

namespace {
void delete_document_rows(Database& db, int64_t doc_id) {
  db.prepare("DELETE FROM chunks_fts WHERE rowid IN (SELECT id FROM chunks WHERE doc_id = ?)").bind(1, doc_id).run();
  db.prepare("DELETE FROM embeddings WHERE chunk_id IN (SELECT id FROM chunks WHERE doc_id = ?)").bind(1, doc_id).run();
  db.prepare("DELETE FROM chunks WHERE doc_id = ?").bind(1, doc_id).run();
  db.prepare("DELETE FROM documents WHERE id = ?").bind(1, doc_id).run();
}
}  // namespace

void Collection::replace_document(const DocumentRecord& doc, const std::vector<Chunk>& chunks,
                                  const std::vector<std::vector<float>>& embeddings) {
  if (chunks.size() != embeddings.size()) throw Error("internal: chunks and embeddings differ in number");
  Transaction tx(db_);
  if (const auto old = document(doc.path)) delete_document_rows(db_, old->id);
  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch()).count();
  db_.prepare("INSERT INTO documents(path, hash, mtime, size, format, chunks, ingested_at) VALUES(?,?,?,?,?,?,?)")
      .bind(1, doc.path).bind(2, doc.hash).bind(3, doc.mtime).bind(4, doc.size).bind(5, doc.format)
      .bind(6, static_cast<int64_t>(chunks.size())).bind(7, now)
      .run();
  const int64_t doc_id = db_.last_insert_id();
  auto ins_chunk = db_.prepare(
      "INSERT INTO chunks(doc_id, seq, text, heading, page, line_first, line_last, tokens) VALUES(?,?,?,?,?,?,?,?)");
  auto ins_vec = db_.prepare("INSERT INTO embeddings(chunk_id, vector) VALUES(?, ?)");
  auto ins_fts = db_.prepare("INSERT INTO chunks_fts(rowid, text, heading) VALUES(?, ?, ?)");
  for (size_t i = 0; i < chunks.size(); ++i) {
    const Chunk& c = chunks[i];
    ins_chunk.reset();
    ins_chunk.bind(1, doc_id).bind(2, static_cast<int64_t>(i)).bind(3, c.text).bind(4, c.heading)
        .bind(5, int64_t{c.page}).bind(6, int64_t{c.line_first}).bind(7, int64_t{c.line_last})
        .bind(8, static_cast<int64_t>(c.tokens)).run();
    const int64_t id = db_.last_insert_id();
    ins_vec.reset();
    ins_vec.bind(1, id).bind_blob(2, embeddings[i]).run();
    ins_fts.reset();
    ins_fts.bind(1, id).bind(2, c.text).bind(3, c.heading).run();
  }
  bump_generation();
  tx.commit();
}

void Collection::remove_document(const std::string& path) {
  Transaction tx(db_);
  if (const auto old = document(path)) delete_document_rows(db_, old->id);
  bump_generation();
  tx.commit();
}

void Collection::bump_generation() {
  db_.exec("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation'");
}

int64_t Collection::generation() { return std::stoll(meta(db_, "generation")); }

Collection::Stats Collection::stats() {
  Stats s;
  auto st = db_.prepare("SELECT (SELECT count(*) FROM documents), (SELECT count(*) FROM chunks), "
                        "(SELECT length(vector) / 4 FROM embeddings LIMIT 1)");
  if (st.step()) s.documents = st.i64(0), s.chunks = st.i64(1), s.dim = st.i64(2);
  std::error_code ec;
  for (const char* f : {"collection.db", "collection.db-wal"}) {
    const auto n = fs::file_size(dir_ / f, ec);
    if (!ec) s.disk_bytes += n;
  }
  return s;
}

const FtsTokenizer& Collection::tokenizer() {
  if (!tokenizer_) tokenizer_ = std::make_unique<FtsTokenizer>(db_.handle());
  return *tokenizer_;
}

std::vector<std::string> Collection::terms(std::string_view text) {
  std::vector<std::string> out;
  tokenizer().each(text, [&](std::string_view t) { out.emplace_back(t); });
  return out;
}

namespace {
constexpr const char* kChunkById = "SELECT c.id, d.path, c.text, c.heading, c.page, c.line_first, c.line_last, c.tokens "
                                   "FROM chunks c JOIN documents d ON d.id = c.doc_id WHERE c.id = ?";

StoredChunk read_chunk(Statement& st, int64_t id) {
  st.reset();
  st.bind(1, id);
  if (!st.step()) throw Error("no chunk " + std::to_string(id));
  return {st.i64(0), st.text(1),
          Chunk{st.text(2), st.text(3), static_cast<int>(st.i64(4)), static_cast<int>(st.i64(5)),
                static_cast<int>(st.i64(6)), static_cast<size_t>(st.i64(7))}};
}
}  // namespace

StoredChunk Collection::chunk(int64_t id) {
  auto st = db_.prepare(kChunkById);
  return read_chunk(st, id);
}

std::vector<StoredChunk> Collection::chunks(const std::vector<int64_t>& ids) {
  auto st = db_.prepare(kChunkById);
  std::vector<StoredChunk> out;
  out.reserve(ids.size());
  for (const int64_t id : ids) out.push_back(read_chunk(st, id));
  return out;
}

}  // namespace airlock::rag
