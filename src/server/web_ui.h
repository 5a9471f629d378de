// The browser UI (web/): GET / answers the embedded single-page app to browsers and the liveness text
// to every other client; GET /assets/* answers its scripts and styles. Neither needs an API key,
// the API calls the page makes do.
#pragma once
#include <string>

namespace httplib {
class Server;
}

namespace airlock::server {

void register_web_ui(httplib::Server& http);
// Paths the pre-routing key check leaves open: the page and its assets carry no data.
bool web_ui_open_path(const std::string& path);

}  // namespace airlock::server
