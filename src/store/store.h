// The model store: content-addressed blobs (blobs/sha256-<hex>) plus one manifest per name:tag
// (manifests/<host>/<namespace>/<model>/<tag>), the familiar local model server's layout, so a
// store it wrote is served as is. Writes are atomic and locked:
//   locks/gc.lock        shared by every writer while it adds blobs, exclusive for gc, so gc never
//                        deletes a blob whose manifest is about to be written;
//   locks/manifests.lock exclusive while a tag is re-pointed and its history recorded.
// Moving a tag and recording it in the history succeed or fail together (see set_tags).
// A crash leaves only hidden temp files (blobs/.tmp-*), which gc removes.
#pragma once
#include <cstdint>
#include <filesystem>
#include <functional>
#include <istream>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "store/blob_writer.h"
#include "store/history.h"
#include "store/manifest.h"
#include "store/model_info.h"
#include "store/model_ref.h"
#include "store/modelfile.h"

namespace airlock::store {

// A model as the engine and the server need it.
struct ResolvedModel {
  ModelRef ref;
  std::string digest;  // of the manifest
  Manifest manifest;
  std::filesystem::path model_path;  // the GGUF blob
  std::optional<std::string> template_text, system, license;
  nlohmann::json parameters = nlohmann::json::object();
  nlohmann::json messages = nlohmann::json::array();
  ModelDetails details;

  // The Modelfile that would recreate it (`show --modelfile`, /api/show): FROM the GGUF blob.
  Modelfile modelfile() const;
};

struct ModelEntry {
  ModelRef ref;
  std::string digest;  // of the manifest
  uint64_t size = 0;   // all blobs
  int64_t modified = 0;  // unix seconds, the manifest's mtime
  ModelDetails details;
  std::string error;  // non-empty when the manifest or its config cannot be read
};

struct BlobProblem {
  std::string model;    // display name
  std::string digest;   // blob digest, or the manifest digest for a model-level problem
  std::string problem;  // "missing", "corrupt: ...", "not in the store", ...
};

struct VerifyReport {
  size_t models = 0, blobs = 0;
  std::vector<BlobProblem> problems;
  bool ok() const { return problems.empty(); }
};

struct GcReport {
  std::vector<std::string> blobs;  // unreferenced blob digests (removed unless dry run)
  uint64_t bytes = 0;
  std::vector<std::filesystem::path> temp_files;  // left by interrupted writes
  std::vector<std::string> in_use;  // unreferenced but pinned by a loaded model (BlobPin): kept
};

// Loads the candidate and generates a few tokens; throws airlock::Error with the reason to refuse
// switching the tag. The CLI supplies it once the engine exists.
using ValidateHook = std::function<void(const ResolvedModel& candidate)>;

struct WriteOptions {
  std::string source;   // recorded in the history
  ProgressFn progress;  // bytes streamed
  ValidateHook validate;
};

struct StoreConfig {
  bool require_signatures = false;
};

class Store {
 public:
  // Does not create anything: a read-only store copied from elsewhere opens as is.
  explicit Store(std::filesystem::path dir);
  // $AIRLOCK_MODELS, else ~/.airlock/models.
  static std::filesystem::path default_dir();

  const std::filesystem::path& dir() const { return dir_; }
  std::filesystem::path blobs_dir() const { return dir_ / "blobs"; }
  std::filesystem::path blob_path(std::string_view digest) const;
  bool has_blob(std::string_view digest) const;
  // Streams a blob in; verifies it against `expected` when given. Returns its digest.
  std::string put_blob(std::istream& in, const std::optional<std::string>& expected);

  std::vector<ModelEntry> list() const;
  // Throws airlock::Error "model 'x' not found" or naming what is broken.
  ResolvedModel resolve(std::string_view name) const;
  // Builds the ResolvedModel of a manifest whose blobs are in this store.
  ResolvedModel resolve_manifest(const ModelRef& ref, const Manifest& m, std::string digest) const;
  std::optional<std::string> manifest_digest(const ModelRef& ref) const;
  // The raw manifest bytes, or nullopt when the tag does not exist.
  std::optional<std::string> read_manifest(const ModelRef& ref) const;

  // Each returns the new manifest digest.
  std::string import_gguf(const std::filesystem::path& gguf, std::string_view name, const WriteOptions& opt);
  // `base_dir` resolves a relative FROM path. A non-empty `quantize` (a file type name such as
  // "Q8_0" or "Q4_K_M") quantises the FROM model's F32/F16 weights first (see quantize.h), with the
  // importance matrix `imatrix` when one is named (which needs `quantize`).
  std::string create(std::string_view name, const Modelfile& mf, const std::filesystem::path& base_dir,
                     const WriteOptions& opt, std::string_view quantize = {},
                     const std::filesystem::path& imatrix = {});
  // Copies a model (all blobs, verified while copied) out of another store.
  std::string import_from_store(const Store& other, std::string_view name, std::string_view new_name,
                                const WriteOptions& opt);
  std::string copy(std::string_view src, std::string_view dst);
  void remove(std::string_view name);

  // Points the tag at `manifest_json` after checking every blob it names is present (and running
  // opt.validate), recording the previous and the new version in the history. Used by every write.
  // A failed call leaves the tag and its history as they were.
  std::string set_tag(const ModelRef& ref, const std::string& manifest_json, const WriteOptions& opt);
  // Several tags as one change (a bundle's models): all move and are recorded, or none.
  std::vector<std::string> set_tags(const std::vector<std::pair<ModelRef, std::string>>& tags,
                                    const WriteOptions& opt);

  // Rehashes every blob of one model (or of all); reports missing and corrupt blobs by model.
  VerifyReport verify(const std::optional<std::string>& name) const;
  // Checks an approved list (name -> manifest digest) against the store, and the blobs of each.
  VerifyReport verify_approved(const std::vector<std::pair<std::string, std::string>>& approved) const;
  GcReport gc(bool dry_run);

  std::vector<HistoryEntry> history(std::string_view name) const;
  // Re-points the tag at `to` (a manifest digest or a hex prefix of at least 6 digits from its
  // history), or at the most recent earlier version. Returns the digest now active.
  std::string rollback(std::string_view name, const std::optional<std::string>& to);

  StoreConfig config() const;
  void set_config(const StoreConfig& c);
  std::filesystem::path trusted_keys_dir() const { return dir_ / "trusted-keys"; }
  // The site's own secret key (`airlock keys generate --site`): opens bundles encrypted to this site.
  std::filesystem::path site_key_path() const { return dir_ / "site.key"; }
  std::filesystem::path gc_lock_path() const { return dir_ / "locks" / "gc.lock"; }

 private:
  Layer put_bytes_layer(std::string_view media_type, std::string_view bytes);
  Layer put_model_layer(const std::filesystem::path& gguf, std::string_view quantize,
                        const std::filesystem::path& imatrix, const WriteOptions& opt,
                        ModelDetails& details);
  std::string finish_model(const ModelRef& ref, const ModelDetails& details, std::vector<Layer> layers,
                           const WriteOptions& opt);
  void verify_model(const ModelRef& ref, VerifyReport& report,
                    std::vector<std::pair<std::string, std::string>>& checked) const;
  std::filesystem::path manifest_file(const ModelRef& ref) const;

  std::filesystem::path dir_;
};

}  // namespace airlock::store
