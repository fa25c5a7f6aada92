#include "tools/zsupctl/cluster/plan.h"

#include <gtest/gtest.h>

#include "broker/ready_spec.h"
#include "broker/validation.h"
#include "broker/zeek_layout.h"
#include "tools/zsupctl/cluster/test_data.h"

namespace zsup::cluster {
namespace {

bool AllLocal(const std::string&) { return true; }

Result<ClusterPlan> Plan(const std::string& node_cfg, const ZeekctlOptions& o,
                         const IsLocal& is_local = AllLocal) {
  auto cfg = testing::ReadData(node_cfg, o);
  if (!cfg.ok()) return cfg.status();
  return PlanCluster(*cfg, o, kDefaultNamespace, is_local);
}

const NodeConfig& Config(const ClusterPlan& plan, const std::string& name) {
  for (const PlannedNode& n : plan.nodes) {
    if (n.config.name == name) return n.config;
  }
  ADD_FAILURE() << "no node " << name;
  static NodeConfig none;
  return none;
}

TEST(PlanTest, LayoutIsZeekControlsForTheSameConfig) {
  ZeekctlOptions o = DefaultZeekctlOptions();
  o.zeek_port = 41234;  // command.install-zeekport's zeekctl.cfg
  auto plan = Plan("node.cfg__two_loggers", o);
  ASSERT_TRUE(plan.ok()) << plan.error();
  auto layout = LayoutText(*plan);
  ASSERT_TRUE(layout.ok()) << layout.error();
  // The baseline up to its WebSocket block, which zsup has no use for.
  std::string expected = testing::Baseline(
      "Baseline__command.install-zeekport__two-loggers."
      "cluster-layout.zeek");
  expected.resize(expected.find("};\n") + 3);
  EXPECT_EQ(*layout, expected);
}

TEST(PlanTest, ZeroMqTakesTheFirstTwoPortsForTheManagersProxy) {
  ZeekctlOptions o = DefaultZeekctlOptions();
  o.zeek_port = 41234;
  auto plan = Plan("node.cfg__two_loggers", o);
  ASSERT_TRUE(plan.ok()) << plan.error();
  ASSERT_TRUE(plan->backend.has_value());
  EXPECT_EQ(plan->backend->xpub_endpoint, "tcp://127.0.0.1:41234");
  EXPECT_EQ(plan->backend->xsub_endpoint, "tcp://127.0.0.1:41235");
  EXPECT_EQ(plan->control_port, 41236);
  const NodeConfig& manager = Config(*plan, "manager");
  EXPECT_EQ(manager.ready, "tcp:127.0.0.1:41235");  // accepts connections on the XSUB port
  EXPECT_EQ(manager.cluster.at("manager").p.port, 41237);
  EXPECT_EQ(manager.cluster.at("worker-2").metrics_port, (Port{9996, "tcp"}));
}

TEST(PlanTest, BrokerPortsStartAtZeekPortAndTheManagerIsReadyOnItsOwn) {
  ZeekctlOptions o = DefaultZeekctlOptions();
  o.cluster_backend = "Broker";
  o.metrics_port = 0;
  auto plan = Plan("node.cfg__cluster", o);
  ASSERT_TRUE(plan.ok()) << plan.error();
  EXPECT_EQ(plan->control_port, 27760);
  const NodeConfig& m = Config(*plan, "manager");
  EXPECT_EQ(m.cluster.at("manager").p.port, 27761);
  EXPECT_EQ(m.cluster.at("worker-2").p.port, 27764);
  EXPECT_FALSE(m.cluster.at("worker-2").metrics_port.has_value());
  EXPECT_EQ(m.ready, "tcp:127.0.0.1:27761");
  EXPECT_EQ(m.cluster_backend, (ClusterBackend{"broker", {}, {}, "127.0.0.1"}));
}

TEST(PlanTest, EveryNodeIsACompleteValidZsupNode) {
  auto options = ParseZeekctlCfg(testing::Data("zeekctl.cfg__env_vars_line") +
                                     "\nSpoolDir = /var/spool/zeek\naux_scripts_ignored = 1\n",
                                 "zeekctl.cfg");
  ASSERT_TRUE(options.ok()) << options.error();
  auto plan = Plan("node.cfg__env_vars", *options);
  ASSERT_TRUE(plan.ok()) << plan.error();
  ASSERT_EQ(plan->nodes.size(), 4u);
  for (const PlannedNode& n : plan->nodes) {
    const NodeConfig& c = n.config;
    EXPECT_TRUE(ValidateNodeConfig(c).ok()) << ValidateNodeConfig(c).message();
    EXPECT_EQ(c.name_space, "zeek");
    EXPECT_EQ(c.directory, "/var/spool/zeek/" + c.name);
    EXPECT_TRUE(c.command.empty());  // Zeek mode: zsupd's Zeek with a layout script
    EXPECT_EQ(c.scripts, std::vector<std::string>{"local.zeek"});
    EXPECT_EQ(c.cluster.size(), 4u);
    for (const auto& [name, ep] : c.cluster) {
      EXPECT_FALSE(ep.interface.has_value()) << name;  // only role, host, p, metrics_port
      EXPECT_FALSE(ep.pcap_file.has_value()) << name;
    }
    EXPECT_TRUE(NodeLayoutScript(c).ok());
    EXPECT_TRUE(n.local);
  }
  const NodeConfig& w1 = Config(*plan, "worker-1");
  EXPECT_EQ(w1.interface, "eth0");
  EXPECT_EQ(w1.env.at("myVar1"), "some Node val");  // quotes removed as by ZeekControl's shell
  EXPECT_EQ(w1.env.at("myvar6"), "$PATH");
  EXPECT_EQ(w1.env.at("myvar5"), "$PATH:/mydir");  // but never expanded
  EXPECT_FALSE(Config(*plan, "manager").interface.has_value());
}

TEST(PlanTest, StagesStartLoggersAndManagerThenProxiesThenWorkers) {
  auto plan = Plan("node.cfg__two_loggers", DefaultZeekctlOptions());
  ASSERT_TRUE(plan.ok()) << plan.error();
  EXPECT_EQ(Config(*plan, "logger-1").stage, 0);
  EXPECT_EQ(Config(*plan, "manager").stage, 0);
  EXPECT_EQ(Config(*plan, "proxy-1").stage, 1);
  EXPECT_EQ(Config(*plan, "worker-2").stage, 2);
  EXPECT_FALSE(Config(*plan, "logger-1").ready.has_value());
  EXPECT_TRUE(ParseReady(*Config(*plan, "manager").ready).ok());
}

TEST(PlanTest, PinsBecomeCpuAffinityAndLbNodesKeepTheirNames) {
  ZeekctlOptions o = DefaultZeekctlOptions();
  o.pfring_cluster_id = 0;
  auto plan = Plan("node.cfg__pfring_pin_cpus", o);
  ASSERT_TRUE(plan.ok()) << plan.error();
  EXPECT_EQ(Config(*plan, "worker-1-4").cpu_affinity, 0);
  EXPECT_EQ(Config(*plan, "worker-1-3").cpu_affinity, 2);
  EXPECT_FALSE(Config(*plan, "manager").cpu_affinity.has_value());
}

TEST(PlanTest, Ipv6ManagerAddressesAreBracketedAsZeekControlsZeroMqPluginWritesThem) {
  std::string text = testing::Data("node.cfg__cluster");
  for (size_t at; (at = text.find("localhost")) != std::string::npos;) text.replace(at, 9, "::1");
  auto cfg = ReadNodeCfg(text, "node.cfg", DefaultZeekctlOptions(), testing::FakeResolve);
  ASSERT_TRUE(cfg.ok()) << cfg.error();
  auto plan = PlanCluster(*cfg, DefaultZeekctlOptions(), "zeek", AllLocal);
  ASSERT_TRUE(plan.ok()) << plan.error();
  std::string expected = testing::Baseline(
      "Baseline__command.install-cluster-backend-zeromq-ipv6__zeekctl-config-"
      "redefs");
  expected = expected.substr(expected.find("redef"));
  expected.resize(expected.find("ipv6 = T;\n") + 10);
  EXPECT_NE(ClusterBackendScript(*plan->backend, true).find(expected), std::string::npos)
      << expected;
  EXPECT_EQ(Config(*plan, "manager").ready, "tcp:[::1]:27761");
}

TEST(PlanTest, NodesOnOtherHostsAreMarked) {
  auto cfg = ReadNodeCfg(
      "[m]\ntype=manager\nhost=10.0.0.1\n[p]\ntype=proxy\nhost=10.0.0.1\n"
      "[w]\ntype=worker\nhost=sensor1.example\ninterface=eth0\n",
      "node.cfg", DefaultZeekctlOptions(), testing::FakeResolve);
  ASSERT_TRUE(cfg.ok()) << cfg.error();
  auto plan = PlanCluster(*cfg, DefaultZeekctlOptions(), "prod",
                          [](const std::string& a) { return a == "10.0.0.1"; });
  ASSERT_TRUE(plan.ok()) << plan.error();
  EXPECT_TRUE(plan->nodes[0].local);
  EXPECT_FALSE(plan->nodes[2].local);
  EXPECT_EQ(plan->nodes[2].config.cluster.at("w").host, "10.0.0.21");
  EXPECT_EQ(plan->nodes[2].config.name_space, "prod");
}

TEST(PlanTest, StandaloneIsAPlainZeekNode) {
  auto cfg = ReadNodeCfg("[zeek]\ntype=standalone\nhost=localhost\ninterface=eth0\n", "node.cfg",
                         DefaultZeekctlOptions(), testing::FakeResolve);
  ASSERT_TRUE(cfg.ok()) << cfg.error();
  auto plan = PlanCluster(*cfg, DefaultZeekctlOptions(), "zeek", AllLocal);
  ASSERT_TRUE(plan.ok()) << plan.error();
  ASSERT_EQ(plan->nodes.size(), 1u);
  EXPECT_TRUE(plan->nodes[0].config.cluster.empty());
  EXPECT_FALSE(plan->nodes[0].config.cluster_backend.has_value());
  EXPECT_FALSE(plan->nodes[0].config.stage.has_value());
  EXPECT_EQ(plan->nodes[0].config.interface, "eth0");
}

TEST(PlanTest, PortsPast65535AreRefused) {
  ZeekctlOptions o = DefaultZeekctlOptions();
  o.zeek_port = 65531;
  EXPECT_EQ(Plan("node.cfg__two_loggers", o).error(),
            "the ports run past 65535; lower ZeekPort/MetricsPort");
}

TEST(PlanTest, LocalAddressesIncludeLoopback) {
  EXPECT_TRUE(IsLocalAddress("127.0.0.1"));
  EXPECT_TRUE(IsLocalAddress("::1"));
  EXPECT_FALSE(IsLocalAddress("192.0.2.77"));  // TEST-NET-1
  EXPECT_FALSE(IsLocalAddress("not an address"));
}

}  // namespace
}  // namespace zsup::cluster
