// Where collections live: <store>/rag/<name>/, one folder each. Names are checked so a name can
// never reach outside that folder.
#pragma once
#include <filesystem>
#include <string>
#include <vector>

#include "rag/collection.h"

namespace airlock::rag {

std::filesystem::path collections_dir(const std::filesystem::path& store_dir);

// 1-64 characters of [a-z0-9._-], starting with a letter or digit. Throws airlock::Error.
void check_collection_name(const std::string& name);

std::vector<std::string> list_collections(const std::filesystem::path& store_dir);
std::filesystem::path collection_dir(const std::filesystem::path& store_dir, const std::string& name);
void create_collection(const std::filesystem::path& store_dir, const std::string& name, const CollectionSettings& s);
// Renamed aside first (atomic), then deleted: a reader never sees half a collection.
void remove_collection(const std::filesystem::path& store_dir, const std::string& name);

}  // namespace airlock::rag
