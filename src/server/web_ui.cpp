#include "server/web_ui.h"

#include <httplib.h>
#include <zlib.h>

#include <string_view>

#include "server/web_assets.h"

namespace airlock::server {

namespace {

// The page runs only its own bundle and talks only to this server: no inline script or style, no
// other origin, no framing. A key typed into the page therefore cannot leave for anywhere else.
constexpr const char* kCsp =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const WebAsset* find_asset(std::string_view path) {
  for (std::size_t i = 0; i < kWebAssetCount; ++i)
    if (path == kWebAssets[i].path) return &kWebAssets[i];
  return nullptr;
}

std::string content_type(std::string_view path) {
  if (path.ends_with(".html")) return "text/html; charset=utf-8";
  if (path.ends_with(".js")) return "text/javascript; charset=utf-8";
  if (path.ends_with(".css")) return "text/css; charset=utf-8";
  if (path.ends_with(".svg")) return "image/svg+xml";
  if (path.ends_with(".json")) return "application/json";
  return "application/octet-stream";
}

// For the rare client that does not take gzip (every browser does).
std::string gunzip(const WebAsset& a) {
  z_stream z{};
  if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) return {};
  z.next_in = const_cast<unsigned char*>(a.gzip);
  z.avail_in = static_cast<uInt>(a.size);
  std::string out;
  char buf[16384];
  int rc = Z_OK;
  while (rc == Z_OK) {
    z.next_out = reinterpret_cast<unsigned char*>(buf);
    z.avail_out = sizeof buf;
    rc = inflate(&z, Z_NO_FLUSH);
    out.append(buf, sizeof buf - z.avail_out);
  }
  inflateEnd(&z);
  return out;
}

// The stored gzip bytes go out as they are. A fixed-length content provider, unlike set_content,
// is not compressed a second time by httplib.
void send_asset(const httplib::Request& req, httplib::Response& res, const WebAsset& a) {
  const std::string type = content_type(a.path);
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("Vary", "Accept-Encoding");
  if (req.get_header_value("Accept-Encoding").find("gzip") == std::string::npos) {
    res.set_content(gunzip(a), type);
    return;
  }
  res.set_header("Content-Encoding", "gzip");
  res.set_content_provider(a.size, type, [&a](size_t offset, size_t length, httplib::DataSink& sink) {
    return sink.write(reinterpret_cast<const char*>(a.gzip) + offset, length);
  });
}

}  // namespace

bool web_ui_open_path(const std::string& path) { return path == "/" || path.rfind("/assets/", 0) == 0; }

void register_web_ui(httplib::Server& http) {
  // Browsers ask for text/html; scripts, probes and Ollama clients that check for "... is running"
  // keep the plain liveness answer.
  http.Get("/", [](const httplib::Request& req, httplib::Response& res) {
    const WebAsset* page = find_asset("/index.html");
    res.set_header("Vary", "Accept");  // a cache must not hand the page to a script, or the text to a browser
    if (!page || req.get_header_value("Accept").find("text/html") == std::string::npos) {
      res.set_content("airlock is running", "text/plain");
      return;
    }
    res.set_header("Content-Security-Policy", kCsp);
    res.set_header("Referrer-Policy", "no-referrer");
    res.set_header("Cache-Control", "no-cache");
    send_asset(req, res, *page);
  });
  // Asset names carry a content hash, so a browser may keep them for good.
  http.Get("/assets/.+", [](const httplib::Request& req, httplib::Response& res) {
    const WebAsset* a = find_asset(req.path);
    if (!a) {
      res.status = 404;
      return;
    }
    res.set_header("Cache-Control", "public, max-age=31536000, immutable");
    send_asset(req, res, *a);
  });
}

}  // namespace airlock::server
