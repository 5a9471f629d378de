// The audit trail as CLI commands see it: the `audit*` settings `airlock serve` would use (config
// file, then AIRLOCK_AUDIT / AIRLOCK_AUDIT_CONTENT), and admin actions done from the CLI recorded
// in the same chain as the server's requests (the two processes share the folder's lock).
#pragma once
#include <string>

#include <nlohmann/json.hpp>

#include "server/config.h"

namespace airlock::cli {

server::ServerConfig audit_settings();

// Appends an "admin" record (the OS user, the action and what changed) when an audit folder is
// configured. The action is done already: a failed write throws airlock::Error saying so when
// audit_required, and only warns otherwise.
void audit_admin(const std::string& action, const nlohmann::ordered_json& change);

}  // namespace airlock::cli
