// Bundles, the unit of transfer to an air-gapped site: one uncompressed tar (pax) holding, in this
// order,
//   index.json        {"format": "airlock-bundle", "version": 1, "airlock_version", "created",
//                      "models": [{"name", "digest", "size", "manifest"}],
//                      "files": [{"path", "sha256", "size"}]}   -- every file below
//   index.json.sig    optional Ed25519 signature of index.json (see signing.h)
//   SHA256SUMS        "<hex>  <path>" per file, for `sha256sum -c` by hand
//   manifests/<host>/<namespace>/<model>/<tag>, blobs/sha256-<hex>
// Reading trusts nothing: every entry must be a regular file whose exact path and size the index
// announced, its hash is checked while it streams, and nothing becomes visible in the store until
// every file has been checked. Both directions stream in fixed-size chunks (constant memory).
// An encrypted bundle is this same tar inside a sealed file (sealed_file.h), encrypted to one
// recipient key.
#pragma once
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "store/signing.h"
#include "store/store.h"

namespace airlock::store {

enum class SignatureState { Unsigned, Trusted, Untrusted };

struct BundleModel {
  std::string name;    // full reference
  std::string digest;  // manifest digest
  uint64_t size = 0;   // all blobs
};

struct BundleInfo {
  std::vector<BundleModel> models;
  int64_t created = 0;
  std::string airlock_version;
  uint64_t bytes = 0;  // file payload bytes
  size_t files = 0;
  // On export: whether this store trusts the signing key (what verify here would say).
  SignatureState signature = SignatureState::Unsigned;
  std::string key_id;  // of the signature, when signed
  std::string encrypted_to;  // the recipient's key id for an encrypted bundle, else empty
};

// Writes NAME... into `out` (atomically: a temp file renamed at the end). Blobs are rehashed while
// written, so a corrupt store never produces a bundle. `sign` may be null. With `encrypt_to`, the
// whole tar is encrypted to that key as it is written (sealed_file.h); the signature still covers
// the plaintext index.json.
BundleInfo export_bundle(const Store& store, const std::vector<std::string>& names,
                         const std::filesystem::path& out, const SecretKey* sign, const ProgressFn& progress,
                         const PublicKey* encrypt_to = nullptr);

// Checks every hash and the signature against `trusted` without installing anything. A signature
// that does not verify throws; an unsigned or untrusted one is reported in BundleInfo::signature.
// An encrypted bundle needs `key`, the secret of the key it was encrypted to (a plain bundle
// ignores it); it is decrypted as it streams and checked to end where its writer ended it.
BundleInfo verify_bundle(const std::filesystem::path& file, const std::vector<PublicKey>& trusted,
                         const ProgressFn& progress, const SecretKey* key = nullptr);

// Verifies and installs: blobs into the store, then every tag as one change (recorded in the
// history). Nothing is installed unless the whole bundle checked out. Refuses
// an unsigned or untrusted bundle when the store's config requires signatures. Re-importing the
// same bundle changes nothing. With opt.validate, every model is validated before any tag moves.
// `key` decrypts an encrypted bundle, as for verify_bundle; a bundle encrypted to another key, or
// whose ciphertext fails authentication anywhere, installs nothing.
BundleInfo import_bundle(Store& store, const std::filesystem::path& file, const WriteOptions& opt,
                         const SecretKey* key = nullptr);

}  // namespace airlock::store
