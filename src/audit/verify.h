// `airlock audit verify`: walks an audit folder's segments in order and checks every record's own
// hash, its place in the chain (prev = the hash before it), its seq (one more than the one before)
// and its file number (the segment it sits in), that no segment is missing between the first and
// the last, that segments gone from the front were deleted by a retention record of the chain,
// and, given public keys, each segment signature. It stops at the first bad record and names it.
#pragma once
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "store/signing.h"

namespace airlock::audit {

struct VerifyReport {
  bool ok = true;
  uint64_t records = 0;
  size_t segments = 0;
  std::string first_bad;  // "audit-000002.jsonl line 5 (seq 17): ..." when !ok
  uint64_t signatures_checked = 0;
  std::vector<std::string> notes;  // facts that are not failures (unsigned segments, ...)
};

// `keys` empty: signatures are not checked (a note says so).
VerifyReport verify(const std::filesystem::path& dir, const std::vector<store::PublicKey>& keys = {});

}  // namespace airlock::audit
