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
  auto configs = NodeConfigsFromJson(
      R"([{"name":"manager","cluster":{"manager":{"role":"MANAGER","host":"h","p":{"port":1,"proto":"tcp"}}}},)"
      R"( {"name":"w1","command":["sleep","100"]}])");
  ASSERT_TRUE(configs.ok()) << configs.error();
  ASSERT_EQ(configs->size(), 2u);
  EXPECT_EQ((*configs)[0].cluster.at("manager").role, ClusterRole::kManager);
  EXPECT_EQ((*configs)[1].command, (std::vector<std::string>{"sleep", "100"}));
}

TEST(JsonTest, ReadsASingleObjectAsAList) {
  auto configs = NodeConfigsFromJson(R"({"name":"solo"})");
  ASSERT_TRUE(configs.ok()) << configs.error();
  ASSERT_EQ(configs->size(), 1u);
}

TEST(JsonTest, Errors) {
  EXPECT_EQ(NodeConfigFromJson("{").error(), "not valid JSON");
  EXPECT_EQ(NodeConfigFromJson(R"({"name":"w","stdout_fle":"x"})").error(),
            "unknown field 'stdout_fle' in config");
  EXPECT_EQ(NodeConfigFromJson(R"({"name":"w","env":{"A":1}})").error(),
            "config.env: values must be strings");
  EXPECT_EQ(NodeConfigsFromJson(R"([{"name":"a"},{"nam":"b"}])").error(),
            "missing field 'name' in [1]");
  EXPECT_EQ(NodeConfigFromJson(std::string(100000, '[')).error(), "JSON nested deeper than 32");
}

}  // namespace
}  // namespace zsup
