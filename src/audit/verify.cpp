#include "audit/verify.h"

#include <fstream>
#include <map>

#include "audit/chain.h"
#include "audit/segments.h"
#include "common/json_field.h"

namespace airlock::audit {

namespace {

namespace fs = std::filesystem;

std::string read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

struct Deleted {
  uint64_t last_seq;
  std::string last_hash;
};

}  // namespace

VerifyReport verify(const fs::path& dir, const std::vector<store::PublicKey>& keys) {
  VerifyReport r;
  auto bad = [&r](std::string what) {
    if (r.ok) r.first_bad = std::move(what);
    r.ok = false;
    return r;
  };
  if (!fs::is_directory(dir)) return bad(dir.string() + " is not a folder");
  const Listing l = list_segments(dir);
  if (!l.strays.empty()) return bad("unexpected file " + l.strays.front() + " (a renamed segment?)");
  if (l.segments.empty()) return bad("no audit segments in " + dir.string());
  r.segments = l.segments.size();
  const uint64_t first = l.segments.begin()->first, last = l.segments.rbegin()->first;
  for (uint64_t n = first; n <= last; ++n)
    if (!l.segments.count(n)) return bad(segment_name(n) + " is missing (deleted or renamed)");

  std::map<std::string, Deleted> deleted;  // by segment name, from retention records
  std::string prev;                        // empty: the first record (linked up after the walk)
  uint64_t seq = 0, first_seq = 0;
  std::string first_prev, first_at;
  for (const auto& [n, path] : l.segments) {
    const std::string name = segment_name(n);
    const std::string text = read_all(path);
    if (text.empty()) {
      if (n != last) return bad(name + " is empty");
      continue;
    }
    size_t pos = 0;
    uint64_t line_no = 0;
    while (pos < text.size()) {
      ++line_no;
      const auto nl = text.find('\n', pos);
      const std::string_view line(text.data() + pos, (nl == std::string::npos ? text.size() : nl) - pos);
      pos = nl == std::string::npos ? text.size() : nl + 1;
      const std::string at = name + " line " + std::to_string(line_no);
      if (nl == std::string::npos) return bad(at + ": the last record is cut short (truncated)");
      const Opened o = open_line(line);
      const std::string rec_seq = o.record.is_object() && o.record.contains("seq") ? " (seq " + o.record["seq"].dump() + ")" : "";
      if (!o.problem.empty()) return bad(at + rec_seq + ": " + o.problem);
      const nlohmann::json& rec = o.record;
      if (!rec.contains("seq") || !rec["seq"].is_number_unsigned() || !rec.contains("prev") || !rec["prev"].is_string() ||
          !rec.contains("file") || !rec["file"].is_number_unsigned())
        return bad(at + ": lacks seq, file or prev");
      const uint64_t s = rec["seq"].get<uint64_t>();
      if (rec["file"].get<uint64_t>() != n)
        return bad(at + rec_seq + ": written to " + segment_name(rec["file"].get<uint64_t>()) + ", found in " + name +
                   " (segment renamed or records moved)");
      if (prev.empty()) {
        first_seq = s;
        first_prev = rec["prev"].get<std::string>();
        first_at = at;
      } else {
        if (s != seq + 1)
          return bad(at + rec_seq + ": expected seq " + std::to_string(seq + 1) +
                     " (a record deleted, inserted or moved here)");
        if (rec["prev"] != prev) return bad(at + rec_seq + ": its prev hash does not match the record before it (inserted or reordered)");
      }
      if (json_string_or(rec, "type") == "retention" && rec.contains("deleted") && rec["deleted"].is_array())
        for (const auto& d : rec["deleted"])
          if (d.is_object() && d.contains("segment") && d["segment"].is_string())
            deleted[d["segment"].get<std::string>()] = {json_uint_or(d, "last_seq"), json_string_or(d, "last_hash")};
      seq = s;
      prev = o.hash;
      ++r.records;
    }
    // The signature covers the segment's last hash, so it vouches for every record before it.
    const fs::path sig = path.string() + ".sig";
    if (!fs::exists(sig)) {
      if (n != last) r.notes.push_back(name + " is not signed");
    } else if (!keys.empty()) {
      const std::string text_sig = read_all(sig);
      bool good = false;
      for (const auto& k : keys) good |= store::verify_message(k, signed_message(name, seq, prev), text_sig, sig.string());
      if (!good) return bad(name + ".sig: the signature does not match the segment's last record (or no given key made it)");
      ++r.signatures_checked;
    }
  }
  if (keys.empty()) r.notes.push_back("signatures not checked (give --key PUBLIC_KEY)");
  // The chain's start: the first record ever, or one after segments a retention record deleted.
  if (first == 1 && first_seq == 1 && first_prev == kGenesis) return r;
  const auto it = deleted.find(segment_name(first - 1));
  if (first > 1 && it != deleted.end() && it->second.last_seq + 1 == first_seq && it->second.last_hash == first_prev) {
    r.notes.push_back("segments up to " + segment_name(first - 1) + " were deleted by the retention policy");
    return r;
  }
  return bad(first_at + " (seq " + std::to_string(first_seq) + "): records before it are missing" +
             (first > 1 ? " (" + segment_name(first - 1) + " deleted without a retention record)" : ""));
}

}  // namespace airlock::audit
