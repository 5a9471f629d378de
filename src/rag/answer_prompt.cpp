#include "rag/answer_prompt.h"

#include <cctype>

namespace airlock::rag {

std::string source_location(const StoredChunk& c) {
  std::string s = c.path;
  if (c.chunk.page > 0) s += ", page " + std::to_string(c.chunk.page);
  else if (c.chunk.line_first > 0)
    s += ", lines " + std::to_string(c.chunk.line_first) + "-" + std::to_string(c.chunk.line_last);
  return s;
}

std::string sources_system_prompt(const std::vector<SearchHit>& hits) {
  std::string p =
      "Answer the user's question using only the numbered sources below. Cite the sources you use as [1], [2] "
      "right after the statement they support. If the sources do not contain the answer, say that you do not "
      "know; do not use other knowledge.\n\nSources:\n";
  for (size_t i = 0; i < hits.size(); ++i) {
    const auto& c = hits[i].chunk;
    p += "\n[" + std::to_string(i + 1) + "] " + source_location(c);
    if (!c.chunk.heading.empty()) p += " (" + c.chunk.heading + ")";
    p += "\n" + c.chunk.text + "\n";
  }
  return p;
}

std::set<int> cited_sources(const std::string& answer, size_t count) {
  std::set<int> out;
  for (size_t i = 0; i < answer.size(); ++i) {
    if (answer[i] != '[') continue;
    // Inside one bracket: numbers separated by commas and spaces.
    size_t j = i + 1;
    std::set<int> nums;
    while (j < answer.size()) {
      if (std::isdigit(static_cast<unsigned char>(answer[j]))) {
        int n = 0;
        while (j < answer.size() && std::isdigit(static_cast<unsigned char>(answer[j])) && n < 100000)
          n = n * 10 + (answer[j++] - '0');
        nums.insert(n);
      } else if (answer[j] == ',' || answer[j] == ' ') {
        ++j;
      } else {
        break;
      }
    }
    if (j < answer.size() && answer[j] == ']')
      for (int n : nums)
        if (n >= 1 && static_cast<size_t>(n) <= count) out.insert(n);
  }
  return out;
}

nlohmann::json source_json(const SearchHit& h, int number) {
  const auto& c = h.chunk;
  nlohmann::json j = {{"number", number},       {"chunk_id", c.id},       {"path", c.path},
                      {"heading", c.chunk.heading}, {"score", h.score},     {"similarity", h.similarity},
                      {"text", c.chunk.text}};
  if (c.chunk.page > 0) j["page"] = c.chunk.page;
  if (c.chunk.line_first > 0) j["lines"] = {c.chunk.line_first, c.chunk.line_last};
  if (h.bm25_rank > 0) j["bm25"] = h.bm25;
  return j;
}

}  // namespace airlock::rag
