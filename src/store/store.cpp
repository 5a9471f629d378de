#include "store/store.h"

#include <airlock/error.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <map>
#include <set>

#include "common/json_depth.h"
#include "store/blob_pin.h"
#include "store/digest.h"
#include "store/durable_file.h"
#include "store/quantize.h"
#include "store/storage_error.h"

namespace airlock::store {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {
int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int64_t mtime_seconds(const fs::path& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 ? static_cast<int64_t>(st.st_mtime) : 0;
}

// Hidden files in blobs/ are ours: temp files of writes in progress or interrupted (including the
// GGUF writer's own ".<name>.tmp-*").
bool is_temp_name(const std::string& name) { return !name.empty() && name[0] == '.'; }

// Runs `change` (moving tags) inside the history transaction `tx` and then commits it. When the
// change or the commit fails, `undo` puts back whatever the change did, so the failed command has
// changed nothing; the error says so when even that fails.
void commit_or_undo(History::Transaction& tx, const std::function<void()>& change, const std::function<void()>& undo) {
  try {
    change();
    tx.commit();
  } catch (const Error& e) {
    try {
      undo();
    } catch (const Error& u) {
      throw Error(std::string(e.what()) + "; putting the previous version back failed too: " + u.what());
    }
    throw;
  }
}

// Removes a manifest durably (a tag that did not exist before a failed change, or `rm`).
void remove_manifest_file(const fs::path& file) {
  if (::unlink(file.c_str()) != 0 && errno != ENOENT)
    throw Error(file.string() + ": could not remove: " + errno_text(errno));
  fsync_dir(file.parent_path());
}

// Text layers (template, system, params, ...) are small; a huge one is damage.
constexpr size_t kMaxTextLayer = 64 << 20;

// A model's config layer; anything that is not JSON (or nests too deep to walk) gives no details.
json parse_config_blob(const fs::path& p) {
  const std::string text = read_small_file(p, kMaxTextLayer);
  if (!json_depth_within(text)) return json(json::value_t::discarded);
  return json::parse(text, nullptr, false);
}
}  // namespace

Store::Store(fs::path dir) : dir_(std::move(dir)) {}

fs::path Store::default_dir() {
  if (const char* e = std::getenv("AIRLOCK_MODELS"); e && *e) return e;
  const char* home = std::getenv("HOME");
  if (!home || !*home) throw Error("cannot find the model store: neither AIRLOCK_MODELS nor HOME is set");
  return fs::path(home) / ".airlock" / "models";
}

fs::path Store::blob_path(std::string_view digest) const {
  return blobs_dir() / ("sha256-" + digest_hex(digest));
}

bool Store::has_blob(std::string_view digest) const {
  std::error_code ec;
  return fs::is_regular_file(blob_path(digest), ec);
}

std::string Store::put_blob(std::istream& in, const std::optional<std::string>& expected) {
  FileLock gc_lock(gc_lock_path(), FileLock::Mode::Shared);
  return put_stream_blob(blobs_dir(), in, expected, nullptr);
}

fs::path Store::manifest_file(const ModelRef& ref) const {
  return dir_ / "manifests" / ref.manifest_path();
}

std::optional<std::string> Store::read_manifest(const ModelRef& ref) const {
  fs::path p = manifest_file(ref);
  std::error_code ec;
  if (!fs::exists(p, ec)) return std::nullopt;
  return read_small_file(p);
}

std::optional<std::string> Store::manifest_digest(const ModelRef& ref) const {
  auto raw = read_manifest(ref);
  if (!raw) return std::nullopt;
  return sha256_of(*raw);
}

ResolvedModel Store::resolve_manifest(const ModelRef& ref, const Manifest& m, std::string digest) const {
  ResolvedModel r;
  r.ref = ref;
  r.manifest = m;
  r.digest = std::move(digest);
  auto text = [&](const Layer& l) {
    if (l.size > kMaxTextLayer)
      throw Error(ref.display() + ": layer " + l.media_type + " is " + std::to_string(l.size) +
                  " bytes, too large for a text layer");
    return read_small_file(blob_path(l.digest), kMaxTextLayer);
  };
  for (const auto& l : m.layers) {
    if (l.media_type == media::kModel) {
      if (r.model_path.empty()) r.model_path = blob_path(l.digest);
    } else if (l.media_type == media::kTemplate) {
      r.template_text = text(l);
    } else if (l.media_type == media::kSystem) {
      r.system = text(l);
    } else if (l.media_type == media::kLicense) {
      r.license = r.license ? *r.license + "\n" + text(l) : text(l);
    } else if (l.media_type == media::kParams || l.media_type == media::kMessages) {
      const std::string layer_text = text(l);
      require_json_depth_within(layer_text, ref.display() + ": " + l.media_type + " layer");
      json j = json::parse(layer_text, nullptr, false);
      bool params = l.media_type == media::kParams;
      if (j.is_discarded() || (params ? !j.is_object() : !j.is_array()))
        throw Error(ref.display() + ": " + l.media_type + " layer " + l.digest + " is not valid JSON");
      (params ? r.parameters : r.messages) = j;
    }
  }
  if (r.model_path.empty()) throw Error(ref.display() + ": manifest has no model layer");
  json cfg = parse_config_blob(blob_path(m.config.digest));
  r.details = details_from_config(cfg);
  return r;
}

ResolvedModel Store::resolve(std::string_view name) const {
  ModelRef ref = ModelRef::parse(name);
  auto raw = read_manifest(ref);
  if (!raw) throw Error("model '" + std::string(name) + "' not found in " + dir_.string());
  Manifest m = Manifest::parse(*raw, manifest_file(ref).string());
  return resolve_manifest(ref, m, sha256_of(*raw));
}

std::vector<ModelEntry> Store::list() const {
  std::vector<ModelEntry> out;
  fs::path root = dir_ / "manifests";
  std::error_code ec;
  if (!fs::is_directory(root, ec)) return out;
  for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (it.depth() != 3 || !it->is_regular_file()) continue;
    if (is_temp_name(it->path().filename().string())) continue;
    ModelEntry e;
    try {
      e.ref = ModelRef::from_manifest_path(fs::relative(it->path(), root));
    } catch (const Error&) {
      continue;  // not a name we could have written; not a model
    }
    e.modified = mtime_seconds(it->path());
    try {
      std::string raw = read_small_file(it->path());
      e.digest = sha256_of(raw);
      Manifest m = Manifest::parse(raw, it->path().string());
      e.size = m.total_size();
      json cfg = parse_config_blob(blob_path(m.config.digest));
      e.details = details_from_config(cfg);
    } catch (const Error& err) {
      e.error = err.what();
    }
    out.push_back(std::move(e));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.ref.full() < b.ref.full(); });
  return out;
}

std::string Store::set_tag(const ModelRef& ref, const std::string& manifest_json, const WriteOptions& opt) {
  return set_tags({{ref, manifest_json}}, opt).front();
}

std::vector<std::string> Store::set_tags(const std::vector<std::pair<ModelRef, std::string>>& tags,
                                         const WriteOptions& opt) {
  std::vector<std::string> digests;
  for (const auto& [ref, manifest_json] : tags) {
    Manifest m = Manifest::parse(manifest_json, "new manifest for " + ref.display());
    for (const auto& l : m.blobs()) {
      std::error_code ec;
      auto size = fs::file_size(blob_path(l.digest), ec);
      if (ec) throw Error(ref.display() + ": blob " + l.digest + " is not in the store");
      if (size != l.size)
        throw Error(ref.display() + ": blob " + l.digest + " has " + std::to_string(size) +
                    " bytes, the manifest says " + std::to_string(l.size));
    }
    digests.push_back(sha256_of(manifest_json));
    if (opt.validate) opt.validate(resolve_manifest(ref, m, digests.back()));
  }

  FileLock lock(dir_ / "locks" / "manifests.lock", FileLock::Mode::Exclusive);
  History hist(dir_ / "history.db");
  // Everything that needs disk space is done before any tag moves: each new manifest and the old
  // one that puts it back are staged, and the history rows wait in a transaction committed last.
  // A full disk therefore stops the change either before it starts or at the commit, which undoes
  // the tag moves. The rows are committed after the moves, not before, because of what a crash in
  // between leaves: a tag whose version the history lacks (the next write records it as "existing
  // before history"), rather than a row for a version never active, which rollback would pick.
  struct Move {
    fs::path file;
    std::unique_ptr<StagedFile> next, undo;  // undo is null for a new tag
  };
  std::vector<Move> moves;
  History::Transaction tx(hist);
  for (size_t i = 0; i < tags.size(); ++i) {
    const auto& [ref, manifest_json] = tags[i];
    fs::path file = manifest_file(ref);
    if (std::any_of(moves.begin(), moves.end(), [&](const Move& mv) { return mv.file == file; })) continue;
    auto previous = read_manifest(ref);
    if (previous && sha256_of(*previous) == digests[i]) continue;  // already active: a no-op
    Move mv{file, std::make_unique<StagedFile>(file, manifest_json), nullptr};
    if (previous) {
      mv.undo = std::make_unique<StagedFile>(file, *previous);
      // A version that predates airlock's history (e.g. a copied store) is recorded first, so
      // that a rollback can return to it.
      auto entries = hist.list(ref.full());
      std::string prev_digest = sha256_of(*previous);
      if (entries.empty() || entries.back().digest != prev_digest || entries.back().action != "set")
        hist.add({0, ref.full(), prev_digest, *previous, mtime_seconds(file), "existing before history", "set"});
    }
    hist.add({0, ref.full(), digests[i], manifest_json, now_seconds(), opt.source, "set"});
    moves.push_back(std::move(mv));
  }
  size_t moved = 0;
  auto undo_moves = [&] {
    for (size_t k = moved; k-- > 0;) {
      if (moves[k].undo) moves[k].undo->commit();
      else remove_manifest_file(moves[k].file);
    }
  };
  commit_or_undo(tx, [&] {
    while (moved < moves.size()) moves[moved++].next->commit();  // counted first: a failed rename is undone too
  }, undo_moves);
  return digests;
}

Layer Store::put_bytes_layer(std::string_view media_type, std::string_view bytes) {
  BlobWriter w(blobs_dir());
  w.write(bytes.data(), bytes.size());
  Layer l{std::string(media_type), w.finish(std::nullopt, std::string(media_type)), bytes.size()};
  w.commit();
  return l;
}

std::string Store::finish_model(const ModelRef& ref, const ModelDetails& details, std::vector<Layer> layers,
                                const WriteOptions& opt) {
  std::vector<std::string> ids;
  for (const auto& l : layers) ids.push_back(l.digest);
  Manifest m;
  m.config = put_bytes_layer(media::kConfig, config_json(details, ids).dump());
  m.layers = std::move(layers);
  return set_tag(ref, m.serialize(), opt);
}

std::string Store::import_gguf(const fs::path& gguf, std::string_view name, const WriteOptions& opt) {
  ModelRef ref = ModelRef::parse(name);
  ModelDetails details = read_model_details(gguf);
  FileLock gc_lock(gc_lock_path(), FileLock::Mode::Shared);
  Layer model{std::string(media::kModel), put_file_blob(blobs_dir(), gguf, std::nullopt, opt.progress),
              fs::file_size(gguf)};
  return finish_model(ref, details, {model}, opt);
}

Layer Store::put_model_layer(const fs::path& gguf, std::string_view quantize, const fs::path& imatrix,
                             const WriteOptions& opt, ModelDetails& details) {
  if (quantize.empty()) {
    details = read_model_details(gguf);
    return {std::string(media::kModel), put_file_blob(blobs_dir(), gguf, std::nullopt, opt.progress),
            fs::file_size(gguf)};
  }
  // Quantised straight into a hidden file in blobs/ (gc removes it after a crash), then renamed to
  // its content address.
  fs::create_directories(blobs_dir());
  fs::path tmp = blobs_dir() / (std::string(kTempPrefix) + "quantized-" + std::to_string(::getpid()) + ".gguf");
  struct Cleanup {
    fs::path p;
    ~Cleanup() {
      std::error_code ec;
      fs::remove(p, ec);
    }
  } cleanup{tmp};
  QuantizeOptions qo;
  qo.imatrix = imatrix;
  quantize_gguf(gguf, tmp, quantize, qo);
  details = read_model_details(tmp);
  Layer l{std::string(media::kModel), sha256_of_file(tmp), fs::file_size(tmp)};
  fs::rename(tmp, blob_path(l.digest));
  fsync_dir(blobs_dir());
  return l;
}

std::string Store::create(std::string_view name, const Modelfile& mf, const fs::path& base_dir,
                          const WriteOptions& opt, std::string_view quantize, const fs::path& imatrix) {
  ModelRef ref = ModelRef::parse(name);
  if (!imatrix.empty() && quantize.empty())
    throw Error("create: an importance matrix (" + imatrix.string() + ") is only used with --quantize");
  FileLock gc_lock(gc_lock_path(), FileLock::Mode::Shared);
  std::vector<Layer> layers;
  ModelDetails details;
  json params = json::object();
  fs::path from = fs::path(mf.from).is_absolute() ? fs::path(mf.from) : base_dir / mf.from;
  std::error_code ec;
  if (fs::is_regular_file(from, ec)) {
    layers.push_back(put_model_layer(from, quantize, imatrix, opt, details));
  } else {
    ResolvedModel base = resolve(mf.from);
    details = base.details;
    params = base.parameters;
    for (const auto& l : base.manifest.layers) {
      if (l.media_type == media::kParams) continue;
      if (l.media_type == media::kModel && !quantize.empty()) {
        layers.push_back(put_model_layer(base.model_path, quantize, imatrix, opt, details));
      } else {
        layers.push_back(l);
      }
    }
  }
  auto replace = [&](std::string_view type, const std::string& bytes) {
    std::erase_if(layers, [&](const Layer& l) { return l.media_type == type; });
    layers.push_back(put_bytes_layer(type, bytes));
  };
  if (mf.template_text) replace(media::kTemplate, *mf.template_text);
  if (mf.system) replace(media::kSystem, *mf.system);
  if (!mf.messages.empty()) replace(media::kMessages, mf.messages.dump());
  if (mf.license) replace(media::kLicense, *mf.license);
  for (const auto& [k, v] : mf.parameters.items()) params[k] = v;
  if (!params.empty()) layers.push_back(put_bytes_layer(media::kParams, params.dump()));
  return finish_model(ref, details, std::move(layers), opt);
}

std::string Store::import_from_store(const Store& other, std::string_view name, std::string_view new_name,
                                     const WriteOptions& opt) {
  ModelRef src = ModelRef::parse(name);
  auto raw = other.read_manifest(src);
  if (!raw) throw Error("model '" + std::string(name) + "' not found in " + other.dir().string());
  Manifest m = Manifest::parse(*raw, other.manifest_file(src).string());
  FileLock gc_lock(gc_lock_path(), FileLock::Mode::Shared);
  for (const auto& l : m.blobs()) {
    if (has_blob(l.digest)) continue;
    fs::path from = other.blob_path(l.digest);
    put_file_blob(blobs_dir(), from, l.digest, opt.progress);
  }
  return set_tag(ModelRef::parse(new_name), *raw, opt);
}

std::string Store::copy(std::string_view src, std::string_view dst) {
  ModelRef from = ModelRef::parse(src);
  auto raw = read_manifest(from);
  if (!raw) throw Error("model '" + std::string(src) + "' not found in " + dir_.string());
  return set_tag(ModelRef::parse(dst), *raw, {"copy of " + from.display(), nullptr, nullptr});
}

void Store::remove(std::string_view name) {
  ModelRef ref = ModelRef::parse(name);
  FileLock lock(dir_ / "locks" / "manifests.lock", FileLock::Mode::Exclusive);
  auto raw = read_manifest(ref);
  if (!raw) throw Error("model '" + std::string(name) + "' not found in " + dir_.string());
  History hist(dir_ / "history.db");
  const fs::path file = manifest_file(ref);
  {
    // As in set_tags: the manifest that puts the tag back is staged first, the rows committed last.
    StagedFile undo(file, *raw);
    History::Transaction tx(hist);
    auto entries = hist.list(ref.full());
    std::string digest = sha256_of(*raw);
    if (entries.empty() || entries.back().digest != digest)
      hist.add({0, ref.full(), digest, *raw, mtime_seconds(file), "existing before history", "set"});
    hist.add({0, ref.full(), digest, *raw, now_seconds(), "rm", "remove"});
    commit_or_undo(tx, [&] { remove_manifest_file(file); }, [&] { undo.commit(); });
  }
  // Drop folders left empty, up to manifests/ (the staged file kept its own folder until now).
  std::error_code ec;
  for (fs::path p = file.parent_path(); p != dir_ / "manifests" && fs::is_empty(p, ec); p = p.parent_path())
    fs::remove(p, ec);
}

void Store::verify_model(const ModelRef& ref, VerifyReport& report,
                         std::vector<std::pair<std::string, std::string>>& checked) const {
  ++report.models;
  Manifest m;
  try {
    auto raw = read_manifest(ref);
    if (!raw) {
      report.problems.push_back({ref.display(), "", "model not in the store"});
      return;
    }
    m = Manifest::parse(*raw, manifest_file(ref).string());
  } catch (const Error& e) {
    report.problems.push_back({ref.display(), "", e.what()});
    return;
  }
  for (const auto& l : m.blobs()) {
    auto it = std::find_if(checked.begin(), checked.end(), [&](auto& c) { return c.first == l.digest; });
    std::string problem;
    if (it != checked.end()) {
      problem = it->second;
    } else {
      ++report.blobs;
      fs::path p = blob_path(l.digest);
      std::error_code ec;
      if (!fs::is_regular_file(p, ec)) {
        problem = "missing";
      } else {
        try {
          std::string actual = sha256_of_file(p);
          uint64_t size = fs::file_size(p);
          if (actual != l.digest) problem = "corrupt: content hashes to " + actual;
          else if (size != l.size)
            problem = "size " + std::to_string(size) + " differs from the manifest's " + std::to_string(l.size);
        } catch (const Error& e) {
          problem = std::string("unreadable: ") + e.what();
        }
      }
      checked.emplace_back(l.digest, problem);
    }
    if (!problem.empty()) report.problems.push_back({ref.display(), l.digest, problem});
  }
}

VerifyReport Store::verify(const std::optional<std::string>& name) const {
  VerifyReport report;
  std::vector<std::pair<std::string, std::string>> checked;
  if (name) {
    ModelRef ref = ModelRef::parse(*name);
    if (!read_manifest(ref)) throw Error("model '" + *name + "' not found in " + dir_.string());
    verify_model(ref, report, checked);
    return report;
  }
  for (const auto& e : list()) verify_model(e.ref, report, checked);
  return report;
}

VerifyReport Store::verify_approved(const std::vector<std::pair<std::string, std::string>>& approved) const {
  VerifyReport report;
  std::vector<std::pair<std::string, std::string>> checked;
  for (const auto& [name, digest] : approved) {
    ModelRef ref = ModelRef::parse(name);
    auto actual = manifest_digest(ref);
    if (!actual) {
      report.problems.push_back({ref.display(), digest, "approved model not in the store"});
      ++report.models;
      continue;
    }
    if (*actual != digest) {
      report.problems.push_back({ref.display(), *actual, "active version is not the approved " + digest});
    }
    verify_model(ref, report, checked);
  }
  return report;
}

GcReport Store::gc(bool dry_run) {
  GcReport report;
  std::error_code ec;
  if (!fs::is_directory(blobs_dir(), ec)) return report;
  // Exclusive: no writer is between adding its blobs and writing its manifest.
  FileLock gc_lock(gc_lock_path(), FileLock::Mode::Exclusive);
  FileLock lock(dir_ / "locks" / "manifests.lock", FileLock::Mode::Exclusive);
  // Kept: every blob of a live tag and of its earlier versions (so rollback keeps working). The
  // history of a removed tag does not pin blobs: rm + gc frees the space.
  std::set<std::string> keep;
  std::optional<History> hist;
  if (fs::exists(dir_ / "history.db")) hist.emplace(dir_ / "history.db");
  for (const auto& e : list()) {
    if (!e.error.empty())
      throw Error("gc: refusing to run while a manifest is unreadable (" + e.error + ")");
    for (const auto& l : Manifest::parse(*read_manifest(e.ref), e.ref.display()).blobs()) keep.insert(l.digest);
    if (!hist) continue;
    for (const auto& h : hist->list(e.ref.full()))
      for (const auto& l : Manifest::parse(h.manifest, "history.db").blobs()) keep.insert(l.digest);
  }
  for (const auto& entry : fs::directory_iterator(blobs_dir())) {
    std::string fname = entry.path().filename().string();
    if (is_temp_name(fname)) {
      report.temp_files.push_back(entry.path());
      continue;
    }
    if (fname.rfind("sha256-", 0) != 0) continue;
    std::string digest = "sha256:" + fname.substr(7);
    if (!is_digest(digest) || keep.count(digest)) continue;
    if (blob_pinned(entry.path())) {
      report.in_use.push_back(digest);
      continue;
    }
    report.blobs.push_back(digest);
    report.bytes += entry.file_size(ec);
  }
  std::sort(report.blobs.begin(), report.blobs.end());
  if (!dry_run) {
    for (const auto& d : report.blobs) fs::remove(blob_path(d));
    for (const auto& p : report.temp_files) fs::remove(p);
    fsync_dir(blobs_dir());
  }
  return report;
}

std::vector<HistoryEntry> Store::history(std::string_view name) const {
  ModelRef ref = ModelRef::parse(name);
  if (!fs::exists(dir_ / "history.db")) return {};
  History hist(dir_ / "history.db");
  return hist.list(ref.full());
}

std::string Store::rollback(std::string_view name, const std::optional<std::string>& to) {
  ModelRef ref = ModelRef::parse(name);
  auto entries = history(name);
  auto current = manifest_digest(ref);
  const HistoryEntry* target = nullptr;
  for (auto it = entries.rbegin(); it != entries.rend() && !target; ++it) {
    if (it->action != "set") continue;
    if (to) {
      std::string want = to->rfind("sha256:", 0) == 0 ? *to : "sha256:" + *to;
      if (want.size() >= 7 + 6 && it->digest.rfind(want, 0) == 0) target = &*it;
    } else if (!current || it->digest != *current) {
      target = &*it;
    }
  }
  if (!target) {
    if (to) throw Error(ref.display() + ": no version " + *to + " in its history");
    throw Error(ref.display() + ": no earlier version in its history to roll back to");
  }
  return set_tag(ref, target->manifest,
                 {"rollback to " + target->digest.substr(7, 12), nullptr, nullptr});
}

StoreConfig Store::config() const {
  StoreConfig c;
  fs::path p = dir_ / "config.json";
  std::error_code ec;
  if (!fs::exists(p, ec)) return c;
  const std::string cfg_text = read_small_file(p, 1 << 20);
  require_json_depth_within(cfg_text, p.string());
  json j = json::parse(cfg_text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) throw Error(p.string() + ": not a JSON object");
  if (auto it = j.find("require_signatures"); it != j.end()) {
    if (!it->is_boolean()) throw Error(p.string() + ": require_signatures must be true or false");
    c.require_signatures = it->get<bool>();
  }
  return c;
}

void Store::set_config(const StoreConfig& c) {
  FileLock lock(dir_ / "locks" / "manifests.lock", FileLock::Mode::Exclusive);
  write_file_atomic(dir_ / "config.json", json{{"require_signatures", c.require_signatures}}.dump(2) + "\n");
}

Modelfile ResolvedModel::modelfile() const {
  Modelfile mf;
  mf.from = model_path.string();
  mf.template_text = template_text;
  mf.system = system;
  mf.license = license;
  mf.parameters = parameters;
  mf.messages = messages;
  return mf;
}

}  // namespace airlock::store
