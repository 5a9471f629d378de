// One audit record as a line of JSONL, sealed into a hash chain:
//   {"seq":N,"file":F,"prev":"<hex>", ...fields..., "hash":"<hex>"}
// `hash` is the SHA-256 of the line's text with the `,"hash":"…"` member cut out (the text as
// written, not a re-serialisation, so any edited byte shows), and `prev` is the previous record's
// hash (64 zeros before the first record ever). `seq` counts records across all files and `file`
// is the number of the file the record was written to, so a deleted, inserted or reordered record
// and a renamed file each break a check at the first record concerned.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace airlock::audit {

inline const std::string kGenesis(64, '0');

struct Sealed {
  std::string line;  // without the newline
  std::string hash;  // hex
};

// `fields` must be an object; seq, file and prev are put first.
Sealed seal(const nlohmann::ordered_json& fields, uint64_t seq, uint64_t file, const std::string& prev);

struct Opened {
  nlohmann::json record;  // null when the line is not a JSON object
  std::string hash;       // the hash the line carries
  std::string problem;    // empty: the line is intact (its content matches its hash)
};
Opened open_line(std::string_view line);

// Hex SHA-256 of text (the form records carry for `audit_content: "hash"`).
std::string sha256_hex(std::string_view text);

}  // namespace airlock::audit
