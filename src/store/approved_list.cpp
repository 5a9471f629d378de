#include "store/approved_list.h"

#include <airlock/error.h>

#include <sstream>

#include "store/digest.h"
#include "store/model_ref.h"

namespace airlock::store {

std::vector<std::pair<std::string, std::string>> parse_approved_list(std::string_view text,
                                                                     std::string_view origin) {
  std::vector<std::pair<std::string, std::string>> out;
  std::istringstream in{std::string(text)};
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    std::istringstream ls(line);
    std::string name, digest, extra;
    ls >> name;
    if (name.empty() || name[0] == '#') continue;
    ls >> digest >> extra;
    std::string where = std::string(origin) + ":" + std::to_string(n);
    if (digest.empty() || !extra.empty()) throw Error(where + ": expected 'NAME DIGEST'");
    if (digest.rfind("sha256:", 0) != 0) digest = "sha256:" + digest;
    check_digest(digest, where);
    ModelRef::parse(name);
    out.emplace_back(name, digest);
  }
  return out;
}

}  // namespace airlock::store
