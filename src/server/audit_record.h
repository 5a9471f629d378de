// The audit record (src/audit) of one HTTP request: who asked (request id, client address, API
// key name — never the key), what (method, route, options), which model (name and manifest
// digest), the prompt/messages and the answer as the audit_content policy says (the text, its
// SHA-256, or neither), token counts, duration and status. Model-management requests are
// "admin" records that carry the change asked for.
#pragma once
#include <httplib.h>

#include <nlohmann/json.hpp>

#include <memory>

#include "audit/trail.h"
#include "server/config.h"
#include "server/request_note.h"

namespace airlock::server {

// The trail the audit_* settings describe; null when `audit` is not set. Throws airlock::Error.
std::unique_ptr<audit::Trail> open_audit(const ServerConfig& c);

// Routes that change the store (create, copy, delete, rollback, blob upload, pull/push): the ones an
// inference-only key may not use and read-only mode refuses.
bool management_route(const std::string& method, const std::string& path);

nlohmann::ordered_json audit_record(const httplib::Request& req, const httplib::Response& res, const RequestNote& note,
                                    double seconds, audit::Content content);

}  // namespace airlock::server
