#include "cli_audit.h"

#include <airlock/error.h>
#include <pwd.h>
#include <unistd.h>

#include <cstdio>

#include "audit/trail.h"
#include "server/audit_record.h"

namespace airlock::cli {

namespace {
std::string user_name() {
  const passwd* pw = ::getpwuid(::getuid());
  return pw ? pw->pw_name : "uid " + std::to_string(::getuid());
}
}  // namespace

server::ServerConfig audit_settings() {
  server::ServerConfig c;
  if (auto file = server::default_config_file()) server::apply_config_file(c, *file);
  server::apply_env(c);
  return c;
}

void audit_admin(const std::string& action, const nlohmann::ordered_json& change) {
  const server::ServerConfig c = audit_settings();
  if (c.audit_dir.empty()) return;
  try {
    auto trail = server::open_audit(c);
    trail->append({{"type", "admin"}, {"via", "cli"}, {"user", user_name()}, {"uid", ::getuid()},
                   {"action", action}, {"change", change}});
  } catch (const Error& e) {
    const std::string msg = action + " was done, but its audit record could not be written: " + e.what();
    if (c.audit_required) throw Error(msg);
    std::fprintf(stderr, "WARNING: %s\n", msg.c_str());
  }
}

}  // namespace airlock::cli
