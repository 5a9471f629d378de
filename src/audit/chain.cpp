#include "audit/chain.h"

#include "store/digest.h"

namespace airlock::audit {

namespace {
constexpr std::string_view kHashKey = ",\"hash\":\"";
constexpr size_t kSuffix = kHashKey.size() + 64 + 2;  // ,"hash":"<64 hex>"}
}  // namespace

std::string sha256_hex(std::string_view text) {
  const std::string d = store::sha256_of(text);
  return d.substr(d.find(':') + 1);
}

Sealed seal(const nlohmann::ordered_json& fields, uint64_t seq, uint64_t file, const std::string& prev) {
  nlohmann::ordered_json r = {{"seq", seq}, {"file", file}, {"prev", prev}};
  for (const auto& [k, v] : fields.items())
    if (k != "seq" && k != "file" && k != "prev" && k != "hash") r[k] = v;
  std::string body = r.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  Sealed s;
  s.hash = sha256_hex(body);
  body.pop_back();  // the closing brace
  s.line = body + std::string(kHashKey) + s.hash + "\"}";
  return s;
}

Opened open_line(std::string_view line) {
  Opened o;
  if (line.size() < kSuffix + 2 || line.substr(line.size() - kSuffix, kHashKey.size()) != kHashKey ||
      line.substr(line.size() - 2) != "\"}") {
    o.problem = "not a sealed record (no trailing hash: truncated or edited)";
    return o;
  }
  o.hash = std::string(line.substr(line.size() - 66, 64));
  std::string body(line.substr(0, line.size() - kSuffix));
  body += '}';
  o.record = nlohmann::json::parse(body, nullptr, false);
  if (o.record.is_discarded() || !o.record.is_object()) {
    o.record = nullptr;
    o.problem = "not valid JSON";
    return o;
  }
  if (sha256_hex(body) != o.hash) o.problem = "its content does not match its hash (edited)";
  return o;
}

}  // namespace airlock::audit
