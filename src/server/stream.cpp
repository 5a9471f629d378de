#include "server/stream.h"

#include "server/client_connection.h"
#include "server/metrics.h"
#include "server/model_manager.h"
#include "server/request_note.h"

namespace airlock::server {

namespace {
// For the request log line; a streamed body is written by the handler's own thread.
void note_tokens(const GenStats& s) {
  request_note().prompt_tokens = s.prompt_total;
  request_note().eval_tokens = s.eval_tokens;
}

// For the audit record, when it keeps the answer.
void note_output(const std::string& text) {
  if (request_note().who.capture_output) request_note().output += text;
}

// How often a waiting handler looks at its client.
constexpr std::chrono::milliseconds kClientCheck{200};
}  // namespace

void submit(ServerState& state, Lease& lease, const std::shared_ptr<GenRequest>& req) {
  req->deadline = req->submitted + state.config.request_timeout;
  Metrics* metrics = &state.metrics;
  req->on_cancelled = [metrics](const GenStats& s) { metrics->cancelled(s.eval_tokens); };
  if (!lease.runner().submit(req))
    throw Error("server busy: the queue for this model is full (AIRLOCK_MAX_QUEUE), retry later", ErrorKind::Busy);
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
        while (!req->channel.pop(ev, kClientCheck))
          if (!sink.is_writable()) {
            req->cancelled = true;
            request_note().cancelled = true;
            return false;
          }
        std::string out;
        switch (ev.kind) {
          case GenEvent::Kind::Text:
            note_output(ev.text);
            out = format.piece(ev);
            break;
          case GenEvent::Kind::Done:
            metrics->generation(ev.stats.prompt_tokens, ev.stats.eval_tokens, ev.stats.eval_ns);
            note_tokens(ev.stats);
            out = format.done(ev);
            break;
          case GenEvent::Kind::Error: out = format.error(ev); break;
        }
        if (!out.empty() && !sink.write(out.data(), out.size())) {
          req->cancelled = true;
          request_note().cancelled = true;
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

Collected collect(ServerState& state, const httplib::Request& http, GenRequest& req) {
  Collected c;
  GenEvent ev;
  const ClientConnection client(http);
  auto next_check = std::chrono::steady_clock::now() + kClientCheck;
  for (;;) {
    const bool got = req.channel.pop(ev, kClientCheck);
    // Text keeps arriving while the answer is generated: the client is looked at on a clock, not
    // only when the channel is quiet.
    if (const auto now = std::chrono::steady_clock::now(); now >= next_check) {
      next_check = now + kClientCheck;
      if (!req.cancelled && client.gone()) {
        req.cancelled = true;  // the runner ends it before its next step and sends Done
        request_note().cancelled = true;
      }
    }
    if (!got) continue;
    for (auto& t : ev.logprobs) c.logprobs.push_back(std::move(t));
    if (ev.kind == GenEvent::Kind::Text) {
      note_output(ev.text);
      c.text += ev.text;
      c.thinking += ev.thinking;
      continue;
    }
    if (ev.kind == GenEvent::Kind::Error) throw Error(ev.text, ev.error);
    state.metrics.generation(ev.stats.prompt_tokens, ev.stats.eval_tokens, ev.stats.eval_ns);
    note_tokens(ev.stats);
    c.done = std::move(ev);
    return c;
  }
}

}  // namespace airlock::server
