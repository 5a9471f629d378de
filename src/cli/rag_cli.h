// What the `airlock rag ...` commands share: the parent command, the store's collections and the
// collection's embedding model.
#pragma once
#include <CLI/CLI.hpp>

#include <memory>
#include <string>

#include "rag/collection.h"
#include "rag/collections.h"
#include "rag/local_embedder.h"
#include "store/store.h"

namespace airlock::cli {

// The `rag` command every `rag` subcommand hangs under (made by rag.cpp, registered first).
inline CLI::App* rag_command(CLI::App& app) { return app.get_subcommand("rag"); }

inline std::filesystem::path rag_store_dir() { return store::Store::default_dir(); }

inline rag::Collection open_collection(const std::string& name) {
  return rag::Collection(rag::collection_dir(rag_store_dir(), name));
}

inline std::unique_ptr<rag::LocalEmbedder> collection_embedder(const rag::Collection& c) {
  return std::make_unique<rag::LocalEmbedder>(rag_store_dir(), c.settings().embed_model);
}

}  // namespace airlock::cli
