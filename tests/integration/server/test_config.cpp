// Server configuration pieces that need no model: durations, host parsing, the bind-address rule,
// the config file, the Go-template subset.
#include <gtest/gtest.h>

#include <airlock/error.h>

#include <cstdlib>
#include <fstream>

#include <unistd.h>

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

// A scratch folder holding one config file.
class ConfigFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("airlock-config-" + std::to_string(::getpid()) + "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    file_ = dir_ / "config.json";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void write(const std::string& text, const std::filesystem::path& p = {}) { std::ofstream(p.empty() ? file_ : p) << text; }
  // The error applying `text` gives, "" when none.
  std::string error_for(const std::string& text) {
    write(text);
    ServerConfig c;
    try {
      apply_config_file(c, file_);
    } catch (const Error& e) {
      return e.what();
    }
    return "";
  }
  std::filesystem::path dir_, file_;
};

TEST_F(ConfigFile, EveryKeyApplies) {
  write("key-one-0123456789\n# comment\nkey-two-0123456789\n", dir_ / "keys.txt");
  write(R"({"host": "0.0.0.0:8081", "models": "store", "num_parallel": 2, "max_queue": 7,
            "max_loaded_models": 5, "keep_alive": "90s", "request_timeout": 30, "num_ctx": 1024,
            "threads": 3, "origins": ["https://a.example"], "api_key_file": "keys.txt",
            "no_auth": false, "no_demo": true})");
  ServerConfig c;
  apply_config_file(c, file_);
  EXPECT_EQ(c.host, "0.0.0.0");
  EXPECT_EQ(c.port, 8081);
  EXPECT_EQ(c.models_dir, dir_ / "store");  // relative to the file
  EXPECT_EQ(c.num_parallel, 2);
  EXPECT_EQ(c.max_queue, 7);
  EXPECT_EQ(c.max_loaded_models, 5);
  EXPECT_EQ(c.keep_alive, std::chrono::seconds(90));
  EXPECT_EQ(c.request_timeout, std::chrono::seconds(30));
  EXPECT_EQ(c.num_ctx, 1024);
  EXPECT_EQ(c.threads, 3);
  EXPECT_EQ(c.cors_origins, std::vector<std::string>{"https://a.example"});
  EXPECT_EQ(c.api_keys, (std::vector<std::string>{"key-one-0123456789", "key-two-0123456789"}));
  EXPECT_FALSE(c.create_demo);
  EXPECT_EQ(c.sources.at("num_parallel"), file_.string() + ": num_parallel");
  EXPECT_EQ(c.sources.at("port"), file_.string() + ": host");
  EXPECT_NO_THROW(c.validate());  // keys given, so the non-loopback bind is allowed
  write(R"({"keep_alive": -1, "port": 0})");
  apply_config_file(c, file_);
  EXPECT_EQ(c.keep_alive, kKeepForever);
  EXPECT_EQ(c.port, 0);
}

TEST_F(ConfigFile, RagRootAndStrictness) {
  std::filesystem::create_directories(dir_ / "docs");
  write(R"({"rag_root": "docs", "rag_strict": false})");
  ServerConfig c;
  apply_config_file(c, file_);
  EXPECT_EQ(c.rag_root, dir_ / "docs");  // relative to the file
  EXPECT_FALSE(c.rag_strict);
  EXPECT_NO_THROW(c.validate());
  const auto d = describe(c);
  EXPECT_EQ(d["rag_root"]["source"], file_.string() + ": rag_root");
  EXPECT_EQ(d["rag_strict"]["value"], false);
  EXPECT_TRUE(ServerConfig{}.rag_strict);  // strict unless told otherwise
  write(R"({"rag_root": "nowhere"})");
  apply_config_file(c, file_);
  EXPECT_THROW(c.validate(), Error);  // not a folder
  EXPECT_EQ(error_for(R"({"rag_strict": "no"})"), file_.string() + ": rag_strict: expected true or false, got \"no\"");
}

TEST_F(ConfigFile, PrefixSharingFromFileAndEnvironment) {
  EXPECT_TRUE(ServerConfig{}.prefix_sharing);  // on unless told otherwise
  write(R"({"prefix_sharing": false})");
  ServerConfig c;
  apply_config_file(c, file_);
  EXPECT_FALSE(c.prefix_sharing);
  EXPECT_EQ(describe(c)["prefix_sharing"]["source"], file_.string() + ": prefix_sharing");
  EXPECT_EQ(error_for(R"({"prefix_sharing": 1})"), file_.string() + ": prefix_sharing: expected true or false, got 1");
  ::setenv("AIRLOCK_PREFIX_SHARING", "0", 1);
  EXPECT_FALSE(config_from_env().prefix_sharing);
  ::setenv("AIRLOCK_PREFIX_SHARING", "true", 1);
  EXPECT_TRUE(config_from_env().prefix_sharing);
  ::setenv("AIRLOCK_PREFIX_SHARING", "off", 1);
  EXPECT_THROW(config_from_env(), Error);
  ::unsetenv("AIRLOCK_PREFIX_SHARING");
}

TEST_F(ConfigFile, ErrorsNameTheFileAndKey) {
  const std::string f = file_.string();
  EXPECT_EQ(error_for(R"({"num_parallel": 0})"), f + ": num_parallel: 0 is out of range [1, 256]");
  EXPECT_EQ(error_for(R"({"num_parallel": "4"})"), f + ": num_parallel: expected a whole number, got \"4\"");
  EXPECT_EQ(error_for(R"({"max_queue": 2.5})"), f + ": max_queue: expected a whole number, got 2.5");
  EXPECT_EQ(error_for(R"({"num_ctx": 99999999999999999999})"), f + ": num_ctx: expected a whole number, got 1e+20");
  EXPECT_EQ(error_for(R"({"no_auth": "yes"})"), f + ": no_auth: expected true or false, got \"yes\"");
  EXPECT_EQ(error_for(R"({"origins": "https://a.example"})"),
            f + ": origins: expected an array of strings, got \"https://a.example\"");
  EXPECT_EQ(error_for(R"({"keep_alive": "5 parsecs"})").rfind(f + ": keep_alive: '5 parsecs'", 0), 0u);
  EXPECT_EQ(error_for(R"({"host": "h:99999"})"), f + ": host: 99999 is out of range [0, 65535]");
  EXPECT_EQ(error_for(R"({"num_paralel": 2})").rfind(f + ": num_paralel: unknown key", 0), 0u);
  EXPECT_EQ(error_for(R"({"api_key_file": "missing.txt"})").rfind(f + ": api_key_file: ", 0), 0u);
  EXPECT_EQ(error_for("[1, 2]"), f + ": expected a JSON object of settings");
  EXPECT_EQ(error_for(R"({"num_parallel": 2,})").rfind(f + ": not valid JSON: parse error at line 1", 0), 0u);
  EXPECT_EQ(error_for("").rfind(f + ": not valid JSON: ", 0), 0u);
  ServerConfig c;
  try {
    apply_config_file(c, dir_ / "absent.json");
    ADD_FAILURE() << "no error for a missing file";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), (dir_ / "absent.json").string() + ": cannot read the config file");
  }
}

// A short key is refused, naming its line; a key file others can read is accepted with a warning.
TEST_F(ConfigFile, ApiKeyFileShortKeysAndLoosePermissions) {
  const auto keys = dir_ / "keys.txt";
  write("# keys\nlong-enough-key-0001\nshort\n", keys);
  std::filesystem::permissions(keys, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  std::string error;
  try {
    read_api_keys(keys);
  } catch (const Error& e) {
    error = e.what();
  }
  EXPECT_EQ(error, "serve: API key file " + keys.string() +
                       ": the key on line 3 has 5 characters; use at least 16 (e.g. openssl rand -hex 24)");

  write("long-enough-key-0001\n", keys);
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(read_api_keys(keys), std::vector<std::string>{"long-enough-key-0001"});
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");

  std::filesystem::permissions(keys, std::filesystem::perms::others_read, std::filesystem::perm_options::add);
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(read_api_keys(keys), std::vector<std::string>{"long-enough-key-0001"});
  EXPECT_EQ(::testing::internal::GetCapturedStderr(),
            "serve: WARNING: API key file " + keys.string() + " is readable by other users (mode 604); chmod 600 it\n");
}

TEST_F(ConfigFile, DefaultLocationIsUnderHome) {
  const char* old_home = std::getenv("HOME");
  const std::string saved = old_home ? old_home : "";
  ::unsetenv("AIRLOCK_CONFIG");
  ::setenv("HOME", dir_.c_str(), 1);
  EXPECT_FALSE(default_config_file().has_value());
  std::filesystem::create_directories(dir_ / ".airlock");
  write("{}", dir_ / ".airlock" / "config.json");
  EXPECT_EQ(default_config_file(), dir_ / ".airlock" / "config.json");
  ::setenv("AIRLOCK_CONFIG", file_.c_str(), 1);
  EXPECT_THROW(default_config_file(), Error);  // named but absent
  write("{}");
  EXPECT_EQ(default_config_file(), file_);
  ::unsetenv("AIRLOCK_CONFIG");
  ::setenv("HOME", saved.c_str(), 1);
}

TEST(Validate, RangesNameTheSource) {
  ServerConfig c;
  c.num_parallel = 0;
  c.sources["num_parallel"] = "--parallel";
  try {
    c.validate();
    ADD_FAILURE() << "no error for --parallel 0";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "--parallel: 0 is out of range [1, 256]");
  }
  ServerConfig d;
  d.threads = 5000;
  d.sources["threads"] = "--threads";
  EXPECT_THROW(d.validate(), Error);
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
