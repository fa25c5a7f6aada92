// The Zeek JSON form of NodeConfig.
#include "broker/json.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "broker/test_util.h"

namespace zsup {
namespace {

TEST(JsonTest, MinimalConfigMatchesZeeksForm) {
  NodeConfig c;
  c.name = "w1";
  EXPECT_EQ(NodeConfigToJson(c),
            R"({"name":"w1","addl_base_scripts":[],"addl_user_scripts":[],"scripts":[],)"
            R"("env":{},"cluster":{}})");
}

TEST(JsonTest, PortsRolesAndOptionalFields) {
  NodeConfig c;
  c.name = "w1";
  c.interface = "eth0";
  c.bare_mode = false;
  c.cpu_affinity = 2;
  c.cluster["manager"] = {ClusterRole::kManager, "127.0.0.1", {27760, "tcp"}, {}, {}, {}};
  c.cluster["w1"] = {ClusterRole::kWorker, "127.0.0.1", {27761, "tcp"}, "eth0", {}, Port{9000, "tcp"}};
  EXPECT_EQ(NodeConfigToJson(c),
            R"({"name":"w1","interface":"eth0","bare_mode":false,"addl_base_scripts":[],)"
            R"("addl_user_scripts":[],"scripts":[],"env":{},"cpu_affinity":2,"cluster":{)"
            R"("manager":{"role":"Supervisor::MANAGER","host":"127.0.0.1","p":{"port":27760,"proto":"tcp"}},)"
            R"("w1":{"role":"Supervisor::WORKER","host":"127.0.0.1","p":{"port":27761,"proto":"tcp"},)"
            R"("interface":"eth0","metrics_port":{"port":9000,"proto":"tcp"}}}})");
}

TEST(JsonTest, UnsetOptionalFieldsAreAbsent) {
  NodeConfig c;
  c.name = "n";
  auto j = nlohmann::json::parse(NodeConfigToJson(c));
  for (const char* key : {"interface", "pcap_file", "directory", "stdout_file", "stderr_file",
                          "bare_mode", "cpu_affinity", "command"}) {
    EXPECT_FALSE(j.contains(key)) << key;
  }
}

TEST(JsonTest, IsOneLine) {
  EXPECT_EQ(NodeConfigToJson(testing::FullConfig()).find('\n'), std::string::npos);
}

TEST(JsonTest, FullConfigRoundTrips) {
  NodeConfig c = testing::FullConfig();
  auto back = NodeConfigFromJson(NodeConfigToJson(c));
  ASSERT_TRUE(back.ok()) << back.error();
  EXPECT_EQ(*back, c);
}

TEST(JsonTest, ReadsAListOfConfigs) {
  auto file = NodeConfigsFromJson(
      R"([{"name":"manager","cluster":{"manager":{"role":"MANAGER","host":"h","p":{"port":1,"proto":"tcp"}}}},)"
      R"( {"name":"w1","command":["sleep","100"]}])");
  ASSERT_FALSE(file.syntax);
  ASSERT_EQ(file.entries.size(), 2u);
  ASSERT_TRUE(file.entries[0].config && file.entries[1].config);
  EXPECT_EQ(file.entries[0].config->cluster.at("manager").role, ClusterRole::kManager);
  EXPECT_EQ(file.entries[1].config->command, (std::vector<std::string>{"sleep", "100"}));
  EXPECT_EQ(file.entries[1].label, "[1] 'w1'");
}

TEST(JsonTest, ReadsASingleObjectAsAList) {
  auto file = NodeConfigsFromJson(R"({"name":"solo"})");
  ASSERT_EQ(file.entries.size(), 1u);
  EXPECT_EQ(file.entries[0].label, "[0] 'solo'");
  EXPECT_TRUE(file.entries[0].config);
}

TEST(JsonTest, ListsEveryProblemOfEveryEntry) {
  auto file = NodeConfigsFromJson(R"([
    {"name": "w1", "env": {"A": 1}, "stdout_fle": "x", "stage": "two", "tee": true},
    {"name": "w2"},
    {"nam": "w3", "cluster": {"m": {"role": "MANAGER"}, "w": {"role": "BOSS", "host": "h"}}},
    7
  ])");
  ASSERT_FALSE(file.syntax);
  ASSERT_EQ(file.entries.size(), 4u);
  EXPECT_EQ(file.entries[0].label, "[0] 'w1'");
  EXPECT_FALSE(file.entries[0].config);
  EXPECT_EQ(file.entries[0].problems,
            (std::vector<std::string>{"env: values must be strings",
                                      "stage: must be an integer, not a string",
                                      "unknown field 'stdout_fle'"}));
  EXPECT_TRUE(file.entries[1].config);
  EXPECT_TRUE(file.entries[1].problems.empty());
  EXPECT_EQ(file.entries[2].label, "[2]");
  ASSERT_EQ(file.entries[2].problems.size(), 4u);
  EXPECT_EQ(file.entries[2].problems[0], "missing field 'name'");
  EXPECT_EQ(file.entries[2].problems[1], "missing field 'host' in cluster.m");
  EXPECT_EQ(file.entries[2].problems[3], "unknown field 'nam'");
  EXPECT_EQ(file.entries[3].problems, (std::vector<std::string>{"must be a map, not an integer"}));
}

TEST(JsonTest, SyntaxErrorsHaveALineAndColumn) {
  auto file = NodeConfigsFromJson("[\n  {\"name\": \"a\"},\n  {\"name\": x}\n]");
  ASSERT_TRUE(file.syntax);
  EXPECT_EQ(file.syntax->line, 3u);
  EXPECT_EQ(file.syntax->column, 12u);
  EXPECT_NE(file.syntax->message.find("invalid literal"), std::string::npos)
      << file.syntax->message;
  EXPECT_TRUE(file.entries.empty());
  auto truncated = NodeConfigsFromJson("[{\"name\": \"a\"},");
  ASSERT_TRUE(truncated.syntax);
  EXPECT_EQ(truncated.syntax->line, 1u);
  EXPECT_NE(truncated.syntax->message.find("unexpected end of input"), std::string::npos)
      << truncated.syntax->message;
  auto deep = NodeConfigsFromJson(std::string(100000, '['));
  ASSERT_TRUE(deep.syntax);
  EXPECT_EQ(deep.syntax->line, 0u);
  EXPECT_EQ(deep.syntax->message, "JSON nested deeper than 32");
}

TEST(JsonTest, Errors) {
  EXPECT_EQ(NodeConfigFromJson("{").error(), "not valid JSON");
  EXPECT_EQ(NodeConfigFromJson(R"({"name":"w","stdout_fle":"x"})").error(),
            "unknown field 'stdout_fle' in config");
  EXPECT_EQ(NodeConfigFromJson(R"({"name":"w","env":{"A":1}})").error(),
            "config.env: values must be strings");
  EXPECT_EQ(NodeConfigFromJson(std::string(100000, '[')).error(), "JSON nested deeper than 32");
}

}  // namespace
}  // namespace zsup
