#include "server/request_note.h"

namespace airlock::server {

namespace {
thread_local RequestNote t_note;
}  // namespace

RequestNote& request_note() { return t_note; }
void begin_request_note(RequestWho who) {
  t_note = RequestNote{};
  t_note.who = std::move(who);
}
void reset_request_note() {
  RequestWho who = std::move(t_note.who);
  begin_request_note(std::move(who));
}

}  // namespace airlock::server
