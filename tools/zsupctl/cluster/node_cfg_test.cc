#include "tools/zsupctl/cluster/node_cfg.h"

#include <gtest/gtest.h>

#include "tools/zsupctl/cluster/test_data.h"

namespace zsup::cluster {
namespace {

using testing::ReadData;

std::vector<std::string> Names(const NodeCfg& cfg) {
  std::vector<std::string> names;
  for (const ZeekNode& n : cfg.nodes) names.push_back(n.name);
  return names;
}

const ZeekNode& Node(const NodeCfg& cfg, const std::string& name) {
  for (const ZeekNode& n : cfg.nodes) {
    if (n.name == name) return n;
  }
  ADD_FAILURE() << "no node " << name;
  static ZeekNode none;
  return none;
}

Status ErrorOf(const std::string& text, const ZeekctlOptions& o = DefaultZeekctlOptions()) {
  auto cfg = ReadNodeCfg(text, "node.cfg", o, testing::FakeResolve);
  return cfg.ok() ? Status::Ok() : cfg.status();
}

constexpr const char* kBase =
    "[manager]\ntype=manager\nhost=localhost\n"
    "[proxy-1]\ntype=proxy\nhost=localhost\n";

TEST(NodeCfgTest, NodesInZeekControlsOrderByTypeThenFileOrder) {
  auto cfg = ReadData("node.cfg__two_loggers");
  ASSERT_TRUE(cfg.ok()) << cfg.error();
  EXPECT_EQ(Names(*cfg), (std::vector<std::string>{"logger-1", "logger-2", "manager", "proxy-1",
                                                   "worker-1", "worker-2"}));
  EXPECT_EQ(Node(*cfg, "worker-2").interface, "eth1");
  EXPECT_EQ(Node(*cfg, "manager").addr, "127.0.0.1");  // the first IPv4 address of localhost
  EXPECT_FALSE(cfg->standalone);
  EXPECT_EQ(cfg->Manager()->name, "manager");
}

TEST(NodeCfgTest, SectionNamesAreNodeNamesWhateverTheirType) {
  auto cfg = ReadData("node.cfg__node_names");
  ASSERT_TRUE(cfg.ok()) << cfg.error();
  // Baseline__initialization.node-names__out
  EXPECT_EQ(Names(*cfg), (std::vector<std::string>{"logcollector", "communicator", "gatherer"}));
  EXPECT_EQ(Node(*cfg, "logcollector").type, ZeekNodeType::kManager);
  EXPECT_EQ(Node(*cfg, "gatherer").interface, "eth0");
}

TEST(NodeCfgTest, LbInterfacesAreHandedOutFromTheEndOfTheList) {
  auto cfg = ReadData("node.cfg__lb_interfaces");
  ASSERT_TRUE(cfg.ok()) << cfg.error();
  // Baseline__initialization.node-lb-interfaces__out
  EXPECT_EQ(Node(*cfg, "worker-1-1").interface, "eth1");
  EXPECT_EQ(Node(*cfg, "worker-1-2").interface, "eth3");
  EXPECT_EQ(Node(*cfg, "worker-1-3").interface, "eth0");
  EXPECT_EQ(Node(*cfg, "worker-1-3").count, 3);
}

TEST(NodeCfgTest, LbProcsExpandInOrderAndAShortPinListIsReused) {
  auto many = ReadData("node.cfg__pfring");
  ASSERT_TRUE(many.ok()) << many.error();
  std::vector<std::string> expected = {"manager", "proxy-1"};
  for (int i = 1; i <= 11; ++i) expected.push_back("worker-1-" + std::to_string(i));
  EXPECT_EQ(Names(*many), expected);

  ZeekctlOptions off = DefaultZeekctlOptions();
  off.pfring_cluster_id = 0;  // Baseline__initialization.node-lb-pfring-pin-cpus__out
  auto cfg = ReadData("node.cfg__pfring_pin_cpus", off);
  ASSERT_TRUE(cfg.ok()) << cfg.error();
  const int pins[] = {0, 1, 2, 0};
  for (int i = 0; i < 4; ++i) {
    const ZeekNode& n = Node(*cfg, "worker-1-" + std::to_string(i + 1));
    EXPECT_EQ(n.pin_cpu, pins[i]) << n.name;
    EXPECT_TRUE(n.env_vars.empty()) << n.name;
    EXPECT_EQ(n.interface, "eth0");
  }
}

TEST(NodeCfgTest, AShortPinListIsReusedFromItsStart) {
  auto cfg = ReadNodeCfg(std::string(kBase) +
                             "[w]\ntype=worker\nhost=localhost\nlb_procs=5\nlb_method=custom\n"
                             "pin_cpus=1, 2\n",
                         "node.cfg", DefaultZeekctlOptions(), testing::FakeResolve);
  ASSERT_TRUE(cfg.ok()) << cfg.error();
  const int pins[] = {1, 2, 1, 2, 1};
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(Node(*cfg, "w-" + std::to_string(i + 1)).pin_cpu, pins[i]) << i;
  }
}

TEST(NodeCfgTest, PfRingGivesEachInterfaceOfAHostItsClusterId) {
  // Baseline__initialization.node-lb-pfring-multiple-id__out (there "bro-", now "zeek-").
  auto cfg = ReadData("node.cfg__pfring_2_nics");
  ASSERT_TRUE(cfg.ok()) << cfg.error();
  const std::map<std::string, std::string> eth0 = {
      {"PCAP_PF_RING_APPNAME", "zeek-eth0"},
      {"PCAP_PF_RING_CLUSTER_ID", "21"},
      {"PCAP_PF_RING_USE_CLUSTER_PER_FLOW_4_TUPLE", "1"}};
  EXPECT_EQ(Node(*cfg, "worker-1-1").env_vars, eth0);
  EXPECT_EQ(Node(*cfg, "worker-1-2").env_vars, eth0);
  EXPECT_EQ(Node(*cfg, "worker-2-2").env_vars.at("PCAP_PF_RING_CLUSTER_ID"), "22");
  EXPECT_EQ(Node(*cfg, "worker-2-2").env_vars.at("PCAP_PF_RING_APPNAME"), "zeek-eth1");
  EXPECT_TRUE(Node(*cfg, "manager").env_vars.empty());
}

TEST(NodeCfgTest, PfRingZeroCopyInterfacesGetTheirAppInstance) {
  ZeekctlOptions o = DefaultZeekctlOptions();
  o.pfring_cluster_type = "6-tuple";
  auto cfg = ReadNodeCfg(std::string(kBase) +
                             "[w]\ntype=worker\nhost=localhost\ninterface=zc:eth4\n"
                             "lb_procs=2\nlb_method=pf_ring\n",
                         "node.cfg", o, testing::FakeResolve);
  ASSERT_TRUE(cfg.ok()) << cfg.error();
  EXPECT_EQ(Node(*cfg, "w-1").interface, "zc:eth4@0");
  EXPECT_EQ(Node(*cfg, "w-2").interface, "zc:eth4@1");
  EXPECT_EQ(Node(*cfg, "w-2").env_vars.at("PCAP_PF_RING_ZC_RSS"), "1");
  EXPECT_EQ(Node(*cfg, "w-2").env_vars.at("PCAP_PF_RING_USE_CLUSTER_PER_FLOW"), "1");
  EXPECT_EQ(Node(*cfg, "w-2").env_vars.at("PCAP_PF_RING_APPNAME"), "zeek-zc:eth4@1");
}

TEST(NodeCfgTest, MyricomDefaultsYieldToTheNodesEnvVars) {
  auto cfg = ReadData("node.cfg__myricom_env");  // Baseline__plugin.lb_myricom-env-vars__debug.log
  ASSERT_TRUE(cfg.ok()) << cfg.error();
  const std::map<std::string, std::string> env = {
      {"SNF_FLAGS", "0x2"}, {"SNF_NUM_RINGS", "2"}, {"VAR", "123"}};
  EXPECT_EQ(Node(*cfg, "worker-1-1").env_vars, env);
  EXPECT_EQ(Node(*cfg, "worker-1-2").env_vars, env);
}

TEST(NodeCfgTest, NodeEnvVarsWinOverGlobalOnesAndKeepTheirQuotes) {
  auto options = ParseZeekctlCfg(testing::Data("zeekctl.cfg__env_vars_line"), "zeekctl.cfg");
  ASSERT_TRUE(options.ok()) << options.error();
  auto cfg = ReadData("node.cfg__env_vars", *options);
  ASSERT_TRUE(cfg.ok()) << cfg.error();
  // Baseline__initialization.zeekctl-node-env-vars__debug.log, worker-1's -v options.
  EXPECT_EQ(Node(*cfg, "worker-1").env_vars,
            (std::map<std::string, std::string>{{"MYVAR3", "nodeval3"},
                                                {"MyVar2", "anotherglobal"},
                                                {"Myvar4", "\"one;value\""},
                                                {"myVar1", "\"some Node val\""},
                                                {"myvar5", "$PATH:/mydir"},
                                                {"myvar6", "'$PATH'"}}));
  EXPECT_EQ(Node(*cfg, "worker-2").env_vars.at("myVar1"), "\"some Global;val\"");
}

TEST(NodeCfgTest, AfPacketPrefixesTheInterfaceOnceAndKnowsItsKeys) {
  auto cfg = ReadData("node.cfg__af_packet");
  ASSERT_TRUE(cfg.ok()) << cfg.error();
  EXPECT_EQ(Node(*cfg, "worker-1-1").interface, "af_packet::eth0");
  EXPECT_TRUE(cfg->warnings.empty()) << cfg->warnings.front();
  auto af = ReadNodeCfg(std::string(kBase) +
                            "[w]\ntype=worker\nhost=localhost\ninterface=eth0\nlb_procs=2\n"
                            "lb_method=af_packet\n",
                        "node.cfg", DefaultZeekctlOptions(), testing::FakeResolve);
  ASSERT_TRUE(af.ok()) << af.error();
  EXPECT_EQ(Node(*af, "w-2").interface, "af_packet::eth0");
}

TEST(NodeCfgTest, AWorkerWithoutInterfaceIsValidAndUnknownKeysWarn) {
  auto cfg = ReadNodeCfg(std::string(kBase) + "[w]\ntype=worker\nhost=localhost\ncolour=red\n",
                         "node.cfg", DefaultZeekctlOptions(), testing::FakeResolve);
  ASSERT_TRUE(cfg.ok()) << cfg.error();
  EXPECT_EQ(Node(*cfg, "w").interface, "");
  ASSERT_EQ(cfg->warnings.size(), 1u);
  EXPECT_EQ(cfg->warnings[0],
            "node.cfg:10: ignoring unrecognized node config option 'colour' given for node 'w'");
}

TEST(NodeCfgTest, StandaloneIsOneNode) {
  auto cfg = ReadNodeCfg("[zeek]\ntype=standalone\nhost=localhost\ninterface=eth0\n", "node.cfg",
                         DefaultZeekctlOptions(), testing::FakeResolve);
  ASSERT_TRUE(cfg.ok()) << cfg.error();
  EXPECT_TRUE(cfg->standalone);
  EXPECT_EQ(cfg->Manager()->name, "zeek");
}

TEST(NodeCfgTest, ZeekControlsErrorsWithFileAndLine) {
  EXPECT_EQ(testing::ReadData("node.cfg__bad_config").error(),
            "node.cfg__bad_config:6: expected KEY = VALUE, not 'this is a bad node config'");
  EXPECT_EQ(ErrorOf("").message(), "node.cfg: no nodes found in node config");
  EXPECT_EQ(ErrorOf("[a]\nhost=localhost\n").message(), "node.cfg:1: no type given for node a");
  EXPECT_EQ(ErrorOf("[a]\nhost=localhost\ntype=Manager\n").message(),
            "node.cfg:3: unknown node type 'Manager' given for node 'a'");
  EXPECT_EQ(ErrorOf("[a]\ntype=manager\n").message(), "node.cfg:1: no host given for node 'a'");
  EXPECT_EQ(ErrorOf("[a]\ntype=manager\nhost=nowhere.invalid\n").message(),
            "node.cfg:3: hostname lookup failed for 'nowhere.invalid' in node config [Name or "
            "service not known]");
  EXPECT_EQ(ErrorOf("[p]\ntype=proxy\nhost=localhost\n").message(),
            "node.cfg: no manager defined in node config");
  EXPECT_EQ(ErrorOf("[m]\ntype=manager\nhost=localhost\n").message(),
            "node.cfg: no proxy defined in node config");
  EXPECT_EQ(ErrorOf(std::string(kBase) + "[m2]\ntype=manager\nhost=localhost\n").message(),
            "node.cfg:7: only one manager can be defined in node config (the other is on line 1)");
  EXPECT_EQ(ErrorOf(std::string(kBase) + "[s]\ntype=standalone\nhost=localhost\n").message(),
            "node.cfg: more than one node defined in standalone node config");
  const std::string w = std::string(kBase) + "[w]\ntype=worker\nhost=localhost\n";
  EXPECT_EQ(ErrorOf(w + "lb_procs=two\nlb_method=custom\n").message(),
            "node.cfg:10: number of load-balanced processes must be an integer for node 'w'");
  EXPECT_EQ(ErrorOf(w + "lb_procs=0\nlb_method=custom\n").message(),
            "node.cfg:10: number of load-balanced processes must be greater than zero for node "
            "'w'");
  EXPECT_EQ(ErrorOf(w + "lb_method=custom\n").message(),
            "node.cfg:10: number of load-balanced processes not specified for node 'w'");
  EXPECT_EQ(ErrorOf(w + "lb_procs=2\n").message(),
            "node.cfg:10: no load balancing method given for node 'w'");
  EXPECT_EQ(ErrorOf(w + "lb_procs=2\nlb_method=magic\n").message(),
            "node.cfg:11: unknown load balancing method 'magic' given for node 'w'");
  EXPECT_EQ(ErrorOf(w + "lb_procs=2\nlb_method=interfaces\nlb_interfaces=eth0\n").message(),
            "node.cfg:12: number of load-balanced interfaces is not same as number of "
            "load-balanced processes for node 'w'");
  EXPECT_EQ(ErrorOf(w + "pin_cpus=1,x\n").message(),
            "node.cfg:10: pin cpus list must contain only non-negative integers for node 'w'");
  EXPECT_EQ(ErrorOf(std::string(kBase) + "[p]\ntype=proxy\nhost=localhost\nlb_procs=2\n").message(),
            "node.cfg:10: node 'p' config: load balancing node config options are only for "
            "worker nodes");
  EXPECT_EQ(ErrorOf(w + "env_vars=A=1,B\n").message(),
            "node.cfg:10: node 'w' config: missing '=' in env_vars option value: B");
  EXPECT_EQ(ErrorOf(std::string(kBase) + "[w-2]\ntype=worker\nhost=localhost\n[w]\n"
                                         "type=worker\nhost=localhost\nlb_procs=2\n"
                                         "lb_method=custom\n")
                .message(),
            "node.cfg:10: node name \"w-2\" is a duplicate of \"w-2\"");
  EXPECT_EQ(ErrorOf(std::string(kBase) + "[W]\ntype=worker\nhost=localhost\n[w]\n"
                                         "type=worker\nhost=localhost\n")
                .message(),
            "node.cfg:10: node name \"w\" is a duplicate of \"W\"");
  EXPECT_EQ(ErrorOf(std::string(kBase) + "[w]\ntype=worker\nhost=10.1.1.1\n").message(),
            "node.cfg:7: all nodes must use localhost/127.0.0.1/::1 when manager uses it");
}

}  // namespace
}  // namespace zsup::cluster
