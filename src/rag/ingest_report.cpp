#include "rag/ingest.h"

namespace airlock::rag {

nlohmann::json report_json(const IngestReport& r) {
  nlohmann::json failures = nlohmann::json::array();
  for (const auto& f : r.failures) failures.push_back({{"path", f.path}, {"reason", f.reason}});
  return {{"files", r.files},     {"added", r.added},     {"updated", r.updated},
          {"unchanged", r.unchanged}, {"removed", r.removed}, {"unsupported", r.unsupported},
          {"chunks", r.chunks},   {"failures", failures}, {"duration_ms", static_cast<int64_t>(r.seconds * 1000)},
          {"chunks_per_second", r.chunks_per_second()}};
}

}  // namespace airlock::rag
