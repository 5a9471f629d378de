// Server configuration pieces that need no model: durations, host parsing, the bind-address rule,
// the Go-template subset.
#include <gtest/gtest.h>

#include <airlock/error.h>

#include <cstdlib>

#include "server/config.h"
#include "server/duration.h"
#include "server/prompt.h"

namespace airlock::server {
namespace {

using std::chrono::milliseconds;

TEST(KeepAlive, GoDurationsAndSeconds) {
  EXPECT_EQ(parse_duration("5m"), milliseconds(300000));
  EXPECT_EQ(parse_duration("1h30m"), milliseconds(5400000));
  EXPECT_EQ(parse_duration("1.5s"), milliseconds(1500));
  EXPECT_EQ(parse_duration("250ms"), milliseconds(250));
  EXPECT_EQ(parse_duration("30"), milliseconds(30000));
  EXPECT_EQ(parse_duration("0"), milliseconds(0));
  EXPECT_EQ(parse_duration("-1"), kKeepForever);
  EXPECT_EQ(parse_duration("-5m"), kKeepForever);
  EXPECT_EQ(*parse_keep_alive(nlohmann::json(10)), milliseconds(10000));
  EXPECT_EQ(*parse_keep_alive(nlohmann::json(-1)), kKeepForever);
  EXPECT_FALSE(parse_keep_alive(nlohmann::json()).has_value());
}

TEST(KeepAlive, RejectsNonsense) {
  for (const char* bad : {"", "5x", "m", "abc", "1e400"}) EXPECT_THROW(parse_duration(bad), Error) << bad;
  EXPECT_THROW(parse_keep_alive(nlohmann::json::array()), Error);
}

TEST(HostPort, Forms) {
  ServerConfig c;
  set_host_port(c, "0.0.0.0:8080", "test");
  EXPECT_EQ(c.host, "0.0.0.0");
  EXPECT_EQ(c.port, 8080);
  set_host_port(c, "http://127.0.0.1:9000/", "test");
  EXPECT_EQ(c.host, "127.0.0.1");
  EXPECT_EQ(c.port, 9000);
  set_host_port(c, "[::1]:7000", "test");
  EXPECT_EQ(c.host, "::1");
  EXPECT_EQ(c.port, 7000);
  set_host_port(c, "localhost", "test");
  EXPECT_EQ(c.host, "localhost");
  EXPECT_EQ(c.port, 7000);
  EXPECT_THROW(set_host_port(c, "host:99999", "test"), Error);
  EXPECT_THROW(set_host_port(c, "host:http", "test"), Error);
}

TEST(HostPort, EnvironmentNamesAndPrecedence) {
  ::setenv("OLLAMA_HOST", "127.0.0.2:1234", 1);
  ::unsetenv("AIRLOCK_HOST");
  EXPECT_EQ(config_from_env().port, 1234);
  ::setenv("AIRLOCK_HOST", "127.0.0.3:4321", 1);
  EXPECT_EQ(config_from_env().host, "127.0.0.3");
  EXPECT_EQ(config_from_env().port, 4321);
  ::setenv("AIRLOCK_NUM_PARALLEL", "lots", 1);
  try {
    config_from_env();
    ADD_FAILURE() << "no error for a bad AIRLOCK_NUM_PARALLEL";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("AIRLOCK_NUM_PARALLEL"), std::string::npos);
  }
  ::unsetenv("AIRLOCK_NUM_PARALLEL");
  ::unsetenv("AIRLOCK_HOST");
  ::unsetenv("OLLAMA_HOST");
}

TEST(BindRule, NonLoopbackNeedsKeysOrNoAuth) {
  ServerConfig c;
  EXPECT_NO_THROW(c.validate());
  c.host = "0.0.0.0";
  EXPECT_THROW(c.validate(), Error);
  c.api_keys = {"k"};
  EXPECT_NO_THROW(c.validate());
  c.api_keys.clear();
  c.no_auth = true;
  EXPECT_NO_THROW(c.validate());
}

TEST(GoTemplate, SubsetRendersAndRejectsTheRest) {
  const std::string t = "{{ if .System }}<s>{{ .System }}</s>\n{{ end }}U: {{ .Prompt }}\nA:{{ .Response }}";
  EXPECT_EQ(render_go_template(t, "be brief", "hi"), "<s>be brief</s>\nU: hi\nA:");
  EXPECT_EQ(render_go_template(t, "", "hi"), "U: hi\nA:");
  EXPECT_EQ(render_go_template("{{ if .System }}S{{ else }}N{{ end }}", "", ""), "N");
  EXPECT_EQ(render_go_template("a  {{- .Prompt -}}  b", "", "P"), "aPb");
  EXPECT_THROW(render_go_template("{{ range .Messages }}{{ end }}", "", ""), Error);
  EXPECT_THROW(render_go_template("{{ if .System }}", "", ""), Error);
  EXPECT_THROW(render_go_template("{{ .Prompt", "", ""), Error);
}

}  // namespace
}  // namespace airlock::server
