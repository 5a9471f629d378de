#include "server/request_note.h"

namespace airlock::server {

namespace {
thread_local RequestNote t_note;
}  // namespace

RequestNote& request_note() { return t_note; }
void reset_request_note() { t_note = RequestNote{}; }

}  // namespace airlock::server
