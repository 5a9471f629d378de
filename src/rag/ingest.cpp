#include "rag/ingest.h"

#include <airlock/error.h>
#include <sys/stat.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <algorithm>
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

// Parses, chunks, embeds and stores one document unless its hash is already stored.
Outcome ingest_one(Collection& c, Embedder& e, const std::string& path, std::string_view bytes, int64_t mtime,
                   const std::string& format, const IngestOptions& opts, IngestReport& report) {
  const std::string hash = store::sha256_of(bytes);
  const auto old = c.document(path);
  if (old && old->hash == hash) return Outcome::Unchanged;
  const ParsedDocument doc = parse_document(format, bytes, opts.limits);
  const auto& s = c.settings();
  // The model's context bounds a chunk too: an input longer than it cannot be embedded.
  const size_t max_tokens = std::min<size_t>(static_cast<size_t>(s.chunk_tokens), e.context_tokens() - 2);
  const auto chunks = chunk_document(doc, [&](std::string_view t) { return e.count_tokens(t); },
                                     {max_tokens, static_cast<size_t>(s.overlap_tokens)});
  std::vector<std::string> texts;
  texts.reserve(chunks.size());
  for (const Chunk& ch : chunks) texts.push_back(ch.text);
  const auto t0 = Clock::now();
  const auto vectors = e.embed(texts);
  report.embed_seconds += since(t0);
  c.replace_document({0, path, hash, mtime, static_cast<int64_t>(bytes.size()), doc.format, 0}, chunks, vectors);
  report.chunks += chunks.size();
  return old ? Outcome::Updated : Outcome::Added;
}

void count(IngestReport& r, Outcome o) {
  if (o == Outcome::Added) ++r.added;
  else if (o == Outcome::Updated) ++r.updated;
  else ++r.unchanged;
}

}  // namespace

IngestReport ingest_paths(Collection& c, Embedder& e, const std::vector<fs::path>& paths, const IngestOptions& opts) {
  const auto start = Clock::now();
  IngestReport report;
  const std::set<std::string> files = collect_files(paths, opts.root, report.failures);
  IngestProgress progress;
  progress.files_total = files.size();
  for (const std::string& path : files) {
    ++report.files;
    progress.current = path;
    const std::string format = format_for_path(path);
    if (format.empty()) {
      ++report.unsupported;
    } else {
      try {
        count(report, ingest_one(c, e, path, read_file(path, opts.max_file_bytes), mtime_of(path), format, opts, report));
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
    count(report, ingest_one(c, e, doc_path, bytes, mtime, format, opts, report));
  } catch (const Error& err) {
    report.failures.push_back({doc_path, err.what()});
  }
  report.seconds = since(start);
  return report;
}

}  // namespace airlock::rag
