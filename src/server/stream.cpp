#include "server/stream.h"

#include "server/request_note.h"

namespace airlock::server {

namespace {
// For the request log line; a streamed body is written by the handler's own thread.
void note_tokens(const GenStats& s) {
  request_note().prompt_tokens = s.prompt_total;
  request_note().eval_tokens = s.eval_tokens;
}
}  // namespace

void submit(ServerState& state, Lease& lease, const std::shared_ptr<GenRequest>& req) {
  req->deadline = req->submitted + state.config.request_timeout;
  if (!lease.runner().submit(req))
    throw HttpError(503, "server busy: the queue for this model is full (AIRLOCK_MAX_QUEUE), retry later");
}

void stream_events(ServerState& state, httplib::Response& res, std::shared_ptr<Lease> lease,
                   std::shared_ptr<GenRequest> req, StreamFormat format) {
  res.status = 200;
  res.set_header("Cache-Control", "no-cache");
  auto started = std::make_shared<bool>(false);
  auto finished = std::make_shared<bool>(false);
  Metrics* metrics = &state.metrics;
  res.set_chunked_content_provider(
      format.content_type,
      [req, format, started, finished, metrics](size_t, httplib::DataSink& sink) {
        if (!*started) {
          *started = true;
          const std::string s = format.start ? format.start() : "";
          if (!s.empty() && !sink.write(s.data(), s.size())) return false;
        }
        GenEvent ev;
        // Wake up now and then to notice a client that has gone away while nothing is produced.
        while (!req->channel.pop(ev, std::chrono::milliseconds(200)))
          if (!sink.is_writable()) {
            req->cancelled = true;
            return false;
          }
        std::string out;
        switch (ev.kind) {
          case GenEvent::Kind::Text: out = format.piece(ev.text); break;
          case GenEvent::Kind::Done:
            metrics->generation(ev.stats.prompt_tokens, ev.stats.eval_tokens, ev.stats.eval_ns);
            note_tokens(ev.stats);
            out = format.done(ev);
            break;
          case GenEvent::Kind::Error: out = format.error(ev); break;
        }
        if (!out.empty() && !sink.write(out.data(), out.size())) {
          req->cancelled = true;
          return false;
        }
        if (ev.kind != GenEvent::Kind::Text) {
          *finished = true;
          sink.done();
        }
        return true;
      },
      [req, lease, finished](bool success) {
        if (!success || !*finished) req->cancelled = true;
      });
}

Collected collect(ServerState& state, GenRequest& req) {
  Collected c;
  GenEvent ev;
  for (;;) {
    while (!req.channel.pop(ev, std::chrono::milliseconds(1000))) {
    }
    if (ev.kind == GenEvent::Kind::Text) {
      c.text += ev.text;
      continue;
    }
    if (ev.kind == GenEvent::Kind::Error) throw HttpError(ev.status, ev.text);
    state.metrics.generation(ev.stats.prompt_tokens, ev.stats.eval_tokens, ev.stats.eval_ns);
    note_tokens(ev.stats);
    c.done = std::move(ev);
    return c;
  }
}

}  // namespace airlock::server
