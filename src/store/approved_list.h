// A site's approved model list for audits (`airlock verify --manifest FILE`): one model per line,
// "NAME[:TAG] DIGEST" where DIGEST is the manifest digest (sha256:<hex> or bare hex, as `list`
// and `show` print it); blank lines and lines starting with '#' are ignored.
#pragma once
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace airlock::store {

// Throws airlock::Error naming `origin` and the line for a malformed line.
std::vector<std::pair<std::string, std::string>> parse_approved_list(std::string_view text,
                                                                     std::string_view origin);

}  // namespace airlock::store
