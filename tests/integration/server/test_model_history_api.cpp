// A model's versions over HTTP: /api/history lists them newest first with their source and
// signature, /api/rollback points the name back (and the next request runs that version, not the
// one still in memory), and bad requests get a clear error that changes nothing.
#include <gtest/gtest.h>

#include "server_harness.h"
#include "store/store.h"

namespace airlock::server::testing {
namespace {

using json = nlohmann::json;

class ModelHistoryApi : public FixtureServerTest<ModelHistoryApi> {
 protected:
  json history(const std::string& model) {
    auto r = post_json(*client_, "/api/history", {{"model", model}});
    EXPECT_EQ(r.status, 200) << r.raw;
    return r.body;
  }
  std::string tag_digest(const std::string& model) {  // the store's own answer, not the route's
    return store::Store(dir_->path()).manifest_digest(store::ModelRef::parse(model)).value_or("");
  }
  std::string loaded_digest(const std::string& name) {
    const JsonReply ps = get_json(*client_, "/api/ps");
    for (const auto& m : ps.body["models"])
      if (m["name"] == name) return "sha256:" + m["digest"].get<std::string>();
    return "";
  }
  void generate(const std::string& model) {
    auto r = post_json(*client_, "/api/generate", {{"model", model}, {"prompt", "Once"}, {"stream", false},
                                                   {"options", {{"num_predict", 2}}}});
    ASSERT_EQ(r.status, 200) << r.raw;
  }
};

TEST_F(ModelHistoryApi, ListsVersionsAndRollsBackToThePreviousOne) {
  const std::string first = tag_digest("stories");
  json h = history("stories");
  EXPECT_EQ(h["model"], "stories:latest");
  EXPECT_EQ(h["current"], first);
  ASSERT_EQ(h["versions"].size(), 1u) << h.dump();
  EXPECT_EQ(h["versions"][0]["source"], "test");  // as the harness imported it
  EXPECT_EQ(h["versions"][0]["signature"]["state"], "none");
  EXPECT_TRUE(h["versions"][0]["current"].get<bool>());

  auto made = post_json(*client_, "/api/create", {{"model", "stories"}, {"from", "stories"}, {"system", "Be brief."}, {"stream", false}});
  ASSERT_EQ(made.status, 200) << made.raw;
  const std::string second = tag_digest("stories");
  ASSERT_NE(second, first);
  generate("stories");  // the second version is now in memory
  ASSERT_EQ(loaded_digest("stories:latest"), second);

  h = history("stories");
  ASSERT_EQ(h["versions"].size(), 2u) << h.dump();
  EXPECT_EQ(h["versions"][0]["digest"], second);  // newest first
  EXPECT_TRUE(h["versions"][0]["current"].get<bool>());
  EXPECT_FALSE(h["versions"][1]["current"].get<bool>());

  auto back = post_json(*client_, "/api/rollback", {{"model", "stories"}});
  ASSERT_EQ(back.status, 200) << back.raw;
  EXPECT_EQ(back.body["digest"], first);
  EXPECT_EQ(tag_digest("stories"), first);
  auto show = post_json(*client_, "/api/show", {{"model", "stories"}});
  EXPECT_FALSE(show.body.contains("system")) << show.raw;
  generate("stories");
  EXPECT_EQ(loaded_digest("stories:latest"), first) << "the rolled-back-from version still answers";

  h = history("stories");
  EXPECT_EQ(h["current"], first);
  ASSERT_EQ(h["versions"].size(), 3u) << h.dump();
  EXPECT_TRUE(h["versions"][0]["current"].get<bool>());
  EXPECT_FALSE(h["versions"][2]["current"].get<bool>()) << "only the newest row of a version is current";
  EXPECT_EQ(h["versions"][0]["source"].get<std::string>().rfind("rollback to ", 0), 0u) << h.dump();
  EXPECT_EQ(h["versions"][0]["signature"]["state"], "none");  // that of the import that brought it

  // Forward again, by a digest prefix.
  auto forward = post_json(*client_, "/api/rollback", {{"model", "stories"}, {"to", second.substr(7, 10)}});
  ASSERT_EQ(forward.status, 200) << forward.raw;
  EXPECT_EQ(tag_digest("stories"), second);
}

TEST_F(ModelHistoryApi, SourcesNameFilesWithoutTheServersFolders) {
  store::Store st(dir_->path());
  st.import_gguf(fixtures::dir() / "models" / "stories260K.gguf", "tales", {"import /srv/secret dir/stories260K.gguf", nullptr, nullptr});
  const JsonReply r = post_json(*client_, "/api/history", {{"model", "tales"}});
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body["versions"][0]["source"], "import stories260K.gguf");
  EXPECT_EQ(r.raw.find("/srv/secret"), std::string::npos) << r.raw;
}

TEST_F(ModelHistoryApi, BadRequestsAreRefusedAndChangeNothing) {
  const std::string before = tag_digest("llama");
  auto none = post_json(*client_, "/api/rollback", {{"model", "llama"}});
  EXPECT_EQ(none.status, 400) << none.raw;
  EXPECT_EQ(none.body["error"], "llama:latest: no earlier version in its history to roll back to");
  auto unknown = post_json(*client_, "/api/rollback", {{"model", "llama"}, {"to", "abcdef0123"}});
  EXPECT_EQ(unknown.status, 400) << unknown.raw;
  EXPECT_NE(unknown.body["error"].get<std::string>().find("no version abcdef0123"), std::string::npos);
  auto bad_to = post_json(*client_, "/api/rollback", {{"model", "llama"}, {"to", 7}});
  EXPECT_EQ(bad_to.status, 400) << bad_to.raw;
  EXPECT_EQ(tag_digest("llama"), before);

  EXPECT_EQ(post_json(*client_, "/api/history", {{"model", "ghost"}}).status, 404);
  EXPECT_EQ(post_json(*client_, "/api/rollback", {{"model", "ghost"}}).status, 404);
  auto missing = post_json(*client_, "/api/history", json::object());
  EXPECT_EQ(missing.status, 400);
  EXPECT_EQ(missing.body["error"], "model is required");
}

}  // namespace
}  // namespace airlock::server::testing
