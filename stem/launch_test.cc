#include "stem/launch.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "broker/json.h"

namespace zsup {
namespace {

bool Has(const std::vector<std::string>& env, const std::string& entry) {
  return std::find(env.begin(), env.end(), entry) != env.end();
}

int Count(const std::vector<std::string>& env, const std::string& prefix) {
  return static_cast<int>(std::count_if(env.begin(), env.end(),
                                        [&](const std::string& e) { return e.starts_with(prefix); }));
}

LaunchContext Context() {
  LaunchContext ctx;
  ctx.zeek_path = "/opt/zeek/bin/zeek";
  ctx.base_env = {"PATH=/usr/bin:/bin", "HOME=/root", "ZEEK_SUPERVISED_NODE=stale",
                  "NOTIFY_SOCKET=/run/systemd/notify", "WATCHDOG_USEC=1000", "CLUSTER_NODE=old"};
  ctx.node_json_dir = "/state/nodes";
  return ctx;
}

TEST(LaunchTest, CommandIsUsedAsIsAndSearchedInPath) {
  NodeConfig c;
  c.name = "n";
  c.command = {"sh", "-c", "echo hi"};
  LaunchPlan p = PlanLaunch(c, Context());
  EXPECT_EQ(p.argv, c.command);
  EXPECT_TRUE(p.program == "/usr/bin/sh" || p.program == "/bin/sh") << p.program;
}

TEST(LaunchTest, ZeekArgumentsInZeeksOrder) {
  NodeConfig c;
  c.name = "w1";
  c.bare_mode = true;
  c.interface = "eth0";
  c.addl_base_scripts = {"base1"};
  c.scripts = {"node1", "node2"};
  c.addl_user_scripts = {"user1"};
  LaunchPlan p = PlanLaunch(c, Context());
  EXPECT_EQ(p.argv, (std::vector<std::string>{"/opt/zeek/bin/zeek", "-b", "-i", "eth0", "base1",
                                              "node1", "node2", "user1"}));
  EXPECT_EQ(p.program, "/opt/zeek/bin/zeek");
}

TEST(LaunchTest, ZeekModeClusterNodeGetsItsLayoutScriptBeforeItsScripts) {
  NodeConfig c;
  c.name = "w1";
  c.interface = "eth0";
  c.scripts = {"local.zeek"};
  c.cluster["manager"] = {ClusterRole::kManager, "127.0.0.1", {27762, "tcp"}, {}, {}, {}};
  c.cluster["w1"] = {ClusterRole::kWorker, "127.0.0.1", {27763, "tcp"}, {}, {}, {}};
  LaunchPlan p = PlanLaunch(c, Context());
  EXPECT_FALSE(p.layout_path.has_value()) << "only with cluster_backend";
  c.cluster_backend = ClusterBackend{"broker", {}, {}, {}};
  c.directory = "/spool/w1";
  p = PlanLaunch(c, Context());
  EXPECT_EQ(p.zeekpath_layout_path, "/spool/w1/cluster-layout.zeek");
  EXPECT_TRUE(p.zeekpath_layout_script.starts_with("# Automatically generated."));
  EXPECT_EQ(p.zeekpath_layout_script.find("backend"), std::string::npos);
  const std::string layout = "/state/nodes/w1.cluster-layout.zeek";
  ASSERT_EQ(p.layout_path, layout);
  EXPECT_EQ(p.argv, (std::vector<std::string>{"/opt/zeek/bin/zeek", "-i", "eth0", layout,
                                              "local.zeek"}));
  EXPECT_NE(p.layout_script.find("$manager=\"manager\""), std::string::npos);
  EXPECT_FALSE(p.layout_error.has_value());
  EXPECT_TRUE(Has(p.env, "CLUSTER_NODE=w1"));

  c.cluster["manager"].host = "somewhere";  // not an address: the start fails, saying why
  p = PlanLaunch(c, Context());
  ASSERT_TRUE(p.layout_error.has_value());
  EXPECT_NE(p.layout_error->find("host 'somewhere' is not an IP address"), std::string::npos);

  c.command = {"true"};  // a command of its own gets no script
  p = PlanLaunch(c, Context());
  EXPECT_FALSE(p.layout_path.has_value());
  EXPECT_EQ(p.argv, c.command);
}

TEST(LaunchTest, PcapFileBecomesDashR) {
  NodeConfig c;
  c.name = "w1";
  c.pcap_file = "trace.pcap";
  c.bare_mode = false;
  LaunchPlan p = PlanLaunch(c, Context());
  EXPECT_EQ(p.argv, (std::vector<std::string>{"/opt/zeek/bin/zeek", "-r", "trace.pcap"}));
}

TEST(LaunchTest, EnvironmentLayers) {
  NodeConfig c;
  c.name = "w1";
  c.env = {{"HOME", "/home/w1"}, {"EXTRA", "1"}, {"CLUSTER_NODE", "ignored"}};
  c.cluster["w1"] = {ClusterRole::kWorker, "h", {1, "tcp"}, {}, {}, {}};
  c.command = {"true"};
  LaunchPlan p = PlanLaunch(c, Context());
  EXPECT_TRUE(Has(p.env, "HOME=/home/w1"));
  EXPECT_TRUE(Has(p.env, "EXTRA=1"));
  EXPECT_TRUE(Has(p.env, "PATH=/usr/bin:/bin"));
  EXPECT_TRUE(Has(p.env, "CLUSTER_NODE=w1"));
  EXPECT_TRUE(Has(p.env, "ZEEK_SUPERVISED_NODE=" + NodeConfigToJson(c)));
  EXPECT_EQ(Count(p.env, "HOME="), 1);
  EXPECT_EQ(Count(p.env, "CLUSTER_NODE="), 1);
  EXPECT_EQ(Count(p.env, "ZEEK_SUPERVISED_NODE="), 1);
  EXPECT_FALSE(p.node_json_path.has_value());
  EXPECT_EQ(Count(p.env, "NOTIFY_SOCKET="), 0);  // addressed to zsupd, not its nodes
  EXPECT_EQ(Count(p.env, "WATCHDOG_USEC="), 0);
}

TEST(LaunchTest, WithoutClusterCLUSTER_NODEIsNotSet) {
  NodeConfig c;
  c.name = "solo";
  c.command = {"true"};
  LaunchContext ctx = Context();
  LaunchPlan p = PlanLaunch(c, ctx);
  EXPECT_TRUE(Has(p.env, "CLUSTER_NODE=old"));  // zsupd's own environment passes through
  ctx.base_env.pop_back();
  p = PlanLaunch(c, ctx);
  EXPECT_EQ(Count(p.env, "CLUSTER_NODE="), 0);
}

TEST(LaunchTest, NodePathOverridesSearchPath) {
  NodeConfig c;
  c.name = "n";
  c.env = {{"PATH", "/nonexistent"}};
  c.command = {"sh"};
  LaunchPlan p = PlanLaunch(c, Context());
  EXPECT_EQ(p.program, "sh");  // not found: exec will fail with ENOENT
}

TEST(LaunchTest, HugeJsonGoesToAFile) {
  NodeConfig c;
  c.name = "big";
  c.command = {"true"};
  c.env["BLOB"] = std::string(kMaxNodeJsonInEnv, 'x');
  LaunchPlan p = PlanLaunch(c, Context());
  ASSERT_TRUE(p.node_json_path.has_value());
  EXPECT_EQ(*p.node_json_path, "/state/nodes/big.json");
  EXPECT_TRUE(Has(p.env, "ZEEK_SUPERVISED_NODE_FILE=/state/nodes/big.json"));
  EXPECT_EQ(Count(p.env, "ZEEK_SUPERVISED_NODE="), 0);
  EXPECT_EQ(p.node_json, NodeConfigToJson(c));
}

TEST(LaunchTest, OutputFilesResolveInsideDirectory) {
  NodeConfig c;
  c.name = "n";
  c.command = {"true"};
  c.directory = "/var/lib/n";
  c.stdout_file = "out.log";
  c.stderr_file = "/abs/err.log";
  c.cpu_affinity = 1;
  LaunchPlan p = PlanLaunch(c, Context());
  EXPECT_EQ(p.stdout_path, "/var/lib/n/out.log");
  EXPECT_EQ(p.stderr_path, "/abs/err.log");
  EXPECT_EQ(p.directory, "/var/lib/n");
  EXPECT_EQ(p.cpu, 1);
}

TEST(LaunchTest, SearchPathRules) {
  EXPECT_EQ(SearchPath("./local", "/bin"), "./local");
  EXPECT_EQ(SearchPath("/abs/prog", "/bin"), "/abs/prog");
  EXPECT_EQ(SearchPath("definitely-not-a-program-zsup", "/bin:/usr/bin"),
            "definitely-not-a-program-zsup");
  EXPECT_EQ(SearchPath("sh", "/nonexistent:/bin"), "/bin/sh");
}

}  // namespace
}  // namespace zsup
