#include "rag/ingest.h"

#include <airlock/error.h>
#include <sys/stat.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <algorithm>
#include <optional>
#include <set>

#include "rag/chunker.h"
#include "store/digest.h"

namespace airlock::rag {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

bool hidden(const fs::path& p) {
  const std::string n = p.filename().string();
  return n.size() > 1 && n[0] == '.' && n != "..";
}

// Every regular file under `paths`, by canonical path (a file reached twice through symlinks
// counts once). Folder symlinks are not followed, so a symlink loop cannot trap the walk; hidden
// files and folders (.git, .cache) are left out.
std::set<std::string> collect_files(const std::vector<fs::path>& paths, const fs::path& root,
                                    std::vector<IngestFailure>& failures) {
  std::set<std::string> files;
  auto add = [&](const fs::path& p) {
    std::error_code ec;
    const fs::path real = fs::canonical(p, ec);
    if (ec) failures.push_back({p.string(), "cannot resolve: " + ec.message()});
    else if (!root.empty() && (real.lexically_relative(root).empty() || *real.lexically_relative(root).begin() == ".."))
      failures.push_back({p.string(), "leads outside the allowed folder"});
    else if (fs::is_regular_file(real, ec)) files.insert(real.string());
  };
  for (const fs::path& root : paths) {
    std::error_code ec;
    const auto st = fs::status(root, ec);
    if (ec || !fs::exists(st)) {
      failures.push_back({root.string(), ec ? ec.message() : "no such file or folder"});
      continue;
    }
    if (!fs::is_directory(st)) {
      add(root);
      continue;
    }
    fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec), end;
    if (ec) {
      failures.push_back({root.string(), "cannot list: " + ec.message()});
      continue;
    }
    for (; it != end; it.increment(ec)) {
      if (ec) {
        failures.push_back({it->path().string(), "cannot list: " + ec.message()});
        ec.clear();
        continue;
      }
      if (hidden(it->path())) {
        if (it->is_directory(ec)) it.disable_recursion_pending();
        continue;
      }
      if (it->is_regular_file(ec)) add(it->path());
    }
  }
  return files;
}

std::string read_file(const fs::path& p, uint64_t limit) {
  struct stat st{};
  if (::stat(p.c_str(), &st) != 0) throw Error(std::string("cannot stat: ") + std::strerror(errno));
  if (static_cast<uint64_t>(st.st_size) > limit)
    throw Error("file of " + std::to_string(st.st_size >> 20) + " MiB is over the limit of " +
                std::to_string(limit >> 20) + " MiB");
  std::ifstream in(p, std::ios::binary);
  if (!in) throw Error(std::string("cannot read: ") + std::strerror(errno));
  std::string bytes(static_cast<size_t>(st.st_size), '\0');
  in.read(bytes.data(), st.st_size);
  if (in.gcount() != st.st_size) throw Error("cannot read: short read");
  return bytes;
}

int64_t mtime_of(const fs::path& p) {
  struct stat st{};
  return ::stat(p.c_str(), &st) == 0 ? static_cast<int64_t>(st.st_mtime) : 0;
}

enum class Outcome { Added, Updated, Unchanged };

void count(IngestReport& r, Outcome o) {
  if (o == Outcome::Added) ++r.added;
  else if (o == Outcome::Updated) ++r.updated;
  else ++r.unchanged;
}

// A document parsed and chunked, waiting for its embeddings.
struct Prepared {
  DocumentRecord record;
  std::vector<Chunk> chunks;
  bool replaces = false;
};

// Parses and chunks one document; nothing when its hash is already stored.
std::optional<Prepared> prepare(Collection& c, Embedder& e, const std::string& path, std::string_view bytes,
                                int64_t mtime, const std::string& format, const IngestOptions& opts) {
  const std::string hash = store::sha256_of(bytes);
  const auto old = c.document(path);
  if (old && old->hash == hash) return std::nullopt;
  const ParsedDocument doc = parse_document(format, bytes, opts.limits);
  const auto& s = c.settings();
  // The model's context bounds a chunk too: an input longer than it cannot be embedded.
  const size_t max_tokens = std::min<size_t>(static_cast<size_t>(s.chunk_tokens), e.context_tokens() - 2);
  Prepared p{{0, path, hash, mtime, static_cast<int64_t>(bytes.size()), doc.format, 0},
             chunk_document(doc, [&](std::string_view t) { return e.count_tokens(t); },
                            {max_tokens, static_cast<size_t>(s.overlap_tokens)}),
             old.has_value()};
  return p;
}

// Embeds the chunks of several documents in one call, so that small files together keep every
// worker busy (the embedder gives each worker one chunk at a time), then stores each document in
// its own transaction. Should embedding fail, each document is tried alone, so the failure is
// reported against the file that caused it; a lone document's embedding failure is thrown.
void embed_and_store(Collection& c, Embedder& e, std::vector<Prepared>& docs, IngestReport& report) {
  std::vector<std::string> texts;
  for (const auto& d : docs)
    for (const Chunk& ch : d.chunks) texts.push_back(ch.text);
  std::vector<std::vector<float>> vectors;
  const auto t0 = Clock::now();
  try {
    vectors = e.embed(texts);
  } catch (const Error&) {
    if (docs.size() == 1) throw;
    for (auto& d : docs) {
      std::vector<Prepared> one{std::move(d)};
      try {
        embed_and_store(c, e, one, report);
      } catch (const Error& err) {
        report.failures.push_back({one[0].record.path, err.what()});
      }
    }
    docs.clear();
    return;
  }
  report.embed_seconds += since(t0);
  size_t next = 0;
  for (const auto& d : docs) {
    const std::vector<std::vector<float>> mine(vectors.begin() + static_cast<std::ptrdiff_t>(next),
                                               vectors.begin() + static_cast<std::ptrdiff_t>(next + d.chunks.size()));
    next += d.chunks.size();
    try {
      c.replace_document(d.record, d.chunks, mine);
    } catch (const Error& err) {
      report.failures.push_back({d.record.path, err.what()});
      continue;
    }
    report.chunks += d.chunks.size();
    count(report, d.replaces ? Outcome::Updated : Outcome::Added);
  }
  docs.clear();
}

// Chunks gathered from several files before they are embedded together.
constexpr size_t kEmbedBatchChunks = 64;

}  // namespace

IngestReport ingest_paths(Collection& c, Embedder& e, const std::vector<fs::path>& paths, const IngestOptions& opts) {
  const auto start = Clock::now();
  IngestReport report;
  const std::set<std::string> files = collect_files(paths, opts.root, report.failures);
  IngestProgress progress;
  progress.files_total = files.size();
  std::vector<Prepared> waiting;
  size_t waiting_chunks = 0;
  auto flush = [&] {
    waiting_chunks = 0;
    try {
      embed_and_store(c, e, waiting, report);
    } catch (const Error& err) {  // one document, alone
      report.failures.push_back({waiting[0].record.path, err.what()});
      waiting.clear();
    }
  };
  for (const std::string& path : files) {
    ++report.files;
    progress.current = path;
    const std::string format = format_for_path(path);
    if (format.empty()) {
      ++report.unsupported;
    } else {
      try {
        auto doc = prepare(c, e, path, read_file(path, opts.max_file_bytes), mtime_of(path), format, opts);
        if (!doc) {
          count(report, Outcome::Unchanged);
        } else {
          waiting_chunks += doc->chunks.size();
          waiting.push_back(std::move(*doc));
          if (waiting_chunks >= kEmbedBatchChunks) flush();
        }
      } catch (const Error& err) {
        report.failures.push_back({path, err.what()});
      } catch (const std::bad_alloc&) {
        report.failures.push_back({path, "out of memory"});
      }
    }
    ++progress.files_done;
    progress.chunks = report.chunks;
    progress.seconds = since(start);
    if (opts.progress) opts.progress(progress);
  }
  if (!waiting.empty()) flush();
  if (opts.prune) {
    std::vector<std::string> roots;
    for (const fs::path& p : paths) {
      std::error_code ec;
      const fs::path abs = fs::weakly_canonical(fs::absolute(p), ec);
      roots.push_back(abs.string());
    }
    for (const auto& d : c.documents()) {
      const bool under = std::any_of(roots.begin(), roots.end(), [&](const std::string& r) {
        return d.path == r || (d.path.starts_with(r) && (r.ends_with("/") || d.path[r.size()] == '/'));
      });
      if (under && !files.contains(d.path)) {
        c.remove_document(d.path);
        ++report.removed;
      }
    }
  }
  report.seconds = since(start);
  return report;
}

IngestReport ingest_bytes(Collection& c, Embedder& e, const std::string& doc_path, std::string_view bytes, int64_t mtime,
                          const IngestOptions& opts) {
  const auto start = Clock::now();
  IngestReport report;
  report.files = 1;
  const std::string format = format_for_path(doc_path);
  try {
    if (format.empty()) throw Error("unsupported file type");
    if (bytes.size() > opts.max_file_bytes) throw Error("file over the limit of " + std::to_string(opts.max_file_bytes >> 20) + " MiB");
    if (auto doc = prepare(c, e, doc_path, bytes, mtime, format, opts)) {
      std::vector<Prepared> one{std::move(*doc)};
      embed_and_store(c, e, one, report);
    } else {
      count(report, Outcome::Unchanged);
    }
  } catch (const Error& err) {
    report.failures.push_back({doc_path, err.what()});
  }
  report.seconds = since(start);
  return report;
}

}  // namespace airlock::rag
