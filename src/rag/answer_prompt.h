// Retrieval-augmented answering: the retrieved chunks as numbered sources in a system message,
// and which of them an answer cited ([1], [2]).
#pragma once
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "rag/retrieve.h"

namespace airlock::rag {

// The instruction and the numbered sources: answer only from them, cite them as [n], and say so
// when they do not contain the answer.
std::string sources_system_prompt(const std::vector<SearchHit>& hits);

// "path, page 3" / "path, lines 10-24" / "path".
std::string source_location(const StoredChunk& c);

// The numbers n (1..count) that `answer` cites as [n] (also "[1, 2]" and "[1][3]").
std::set<int> cited_sources(const std::string& answer, size_t count);

// One source as JSON: number, chunk id, path, page, lines, heading, scores, text.
nlohmann::json source_json(const SearchHit& h, int number);

// What to answer when retrieval found nothing relevant.
inline constexpr const char* kNothingFound =
    "I found nothing in the collection relevant to this question, so I cannot answer it from the documents.";

}  // namespace airlock::rag
