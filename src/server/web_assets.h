// The UI bundle web/dist/*.gz, compiled in by cmake/embed_web.cmake (generated web_assets.cpp).
#pragma once
#include <cstddef>

namespace airlock::server {

struct WebAsset {
  const char* path;            // URL path, e.g. "/index.html", "/assets/index-1a2b.js"
  const unsigned char* gzip;   // the file, gzip-compressed
  std::size_t size;            // bytes in gzip
};

extern const WebAsset kWebAssets[];
extern const std::size_t kWebAssetCount;

}  // namespace airlock::server
