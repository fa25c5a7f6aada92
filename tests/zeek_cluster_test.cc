// `zsupctl cluster`: a node.cfg applied to a real zsupd whose Zeek is a fake
// (a script that records its argv, environment, working directory and
// layout script, then runs test_node; the manager's listens on the ZeroMQ
// XSUB port, as a real manager's proxy does).
#include <sys/stat.h>
#include <unistd.h>

#include <set>

#include "tests/zsupctl_fixture.h"

namespace zsup::testing {
namespace {

class ZeekClusterTest : public ZsupctlTest {
 protected:
  void SetUp() override {
    ZsupctlTest::SetUp();
    // Ports of this test's own: the manager really listens on one.
    base_port_ = 20000 + static_cast<int>(::getpid() % 12000);  // below ephemeral ports
    ::mkdir(Out("").c_str(), 0700);
    const std::string zeek = WriteFile(
        "zeek",
        "#!/bin/sh\n"
        "out=" +
            Out("") +
            "$CLUSTER_NODE\n"
            "printf '%s\\n' \"$@\" > \"$out.argv\"\n"
            "env > \"$out.env\"\n"
            "pwd > \"$out.cwd\"\n"
            "port=\n"
            "for a in \"$@\"; do case \"$a\" in *.cluster-layout.zeek) cp \"$a\" \"$out.layout\"\n"
            "  [ \"$CLUSTER_NODE\" = manager ] && port=$(sed -n "
            "'s/.*listen_xsub_endpoint = \"tcp:\\/\\/.*:\\([0-9]*\\)\";/\\1/p' \"$a\");; esac; "
            "done\n"
            "[ -f cluster-layout.zeek ] && cp cluster-layout.zeek \"$out.zeekpath\"\n"
            ": > \"$out.done\"\n"
            "exec " +
            TestNodePath() + " ${port:+--listen=$port}\n");
    ::chmod(zeek.c_str(), 0755);
    WriteFile("zeekctl.cfg", "ZeekPort = " + std::to_string(base_port_) + "\nSpoolDir = " + dir() +
                                 "/spool\n"
                                 "env_vars = SITE=\"main site\", RAW='$HOME'\n");
    StartDaemon({"--zeek", zeek});
  }

  std::string Out(const std::string& file) const { return dir() + "/out/" + file; }
  // Whether the fake zeek of `node` wrote everything (it writes .done last).
  bool WaitRecorded(const std::string& node) const {
    struct stat st {};
    return WaitUntil([&] { return ::stat(Out(node + ".done").c_str(), &st) == 0; });
  }
  std::string NodeCfg(const std::string& worker2_interface, const std::string& extra = "") {
    return WriteFile("node.cfg",
                     "[logger]\ntype=logger\nhost=localhost\n"
                     "[manager]\ntype=manager\nhost=localhost\n"
                     "[proxy-1]\ntype=proxy\nhost=localhost\n"
                     "[worker-1]\ntype=worker\nhost=localhost\ninterface=eth0\npin_cpus=0\n"
                     "env_vars=MODE=\"fast path\"\n"
                     "[worker-2]\ntype=worker\nhost=localhost\ninterface=" +
                         worker2_interface + "\n" + extra);
  }
  CommandResult Cluster(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {"cluster"};
    argv.insert(argv.end(), args.begin(), args.end());
    if (args.front() != "status")
      argv.insert(argv.end(), {"--zeekctl-cfg", dir() + "/zeekctl.cfg"});
    return Run(argv);
  }

  int base_port_ = 0;
};

const std::vector<std::string> kNodes = {"logger", "manager", "proxy-1", "worker-1", "worker-2"};

TEST_F(ZeekClusterTest, ApplyStartsTheClusterInStageOrderAsZeekControlWould) {
  auto sub = Subscribe({"node_status/", "node_ready/"});
  CommandResult r = Cluster({"apply", NodeCfg("eth1")});
  ASSERT_EQ(r.exit_code, 0) << r.err << Log();
  for (const std::string& n : kNodes) EXPECT_EQ(Count(r.out, "created " + n + "\n"), 1u) << r.out;

  // Stage 0 (logger, manager) before 1 (proxy) before 2 (workers): nothing of
  // a stage starts before every earlier node is ready.
  std::vector<std::string> order;
  std::set<std::string> started;
  while (started.size() < kNodes.size()) {
    auto e = sub->Next(seconds(15));
    ASSERT_TRUE(e) << "seen: " << JoinLines(order) << Log();
    order.push_back(sub->last_topic());
    if (e->kind == EventKind::kNodeStatus)
      started.insert(std::get<NodeStatusEvent>(e->payload).node);
  }
  auto at = [&](const std::string& topic) {
    return std::find(order.begin(), order.end(), topic) - order.begin();
  };
  EXPECT_LT(at("node_ready/manager"), at("node_status/proxy-1")) << JoinLines(order);
  EXPECT_LT(at("node_ready/logger"), at("node_status/proxy-1")) << JoinLines(order);
  EXPECT_LT(at("node_ready/proxy-1"), at("node_status/worker-1")) << JoinLines(order);
  EXPECT_LT(at("node_ready/proxy-1"), at("node_status/worker-2")) << JoinLines(order);
  for (const std::string& n : kNodes) EXPECT_GT(WaitRunning(n), 0) << n << Log();
  for (const std::string& n : kNodes) ASSERT_TRUE(WaitRecorded(n)) << n;

  // What the workers were given: ZeekControl's interface, environment and
  // directory, and a layout script with the whole cluster.
  const int p = base_port_;
  for (const std::string& n : kNodes) {
    EXPECT_NE(ReadFile(Out(n + ".env")).find("CLUSTER_NODE=" + n + "\n"), std::string::npos) << n;
    EXPECT_EQ(ReadFile(Out(n + ".cwd")), dir() + "/spool/" + n + "\n");
  }
  const std::string argv = ReadFile(Out("worker-1.argv"));
  EXPECT_TRUE(argv.starts_with("-i\neth0\n" + dir() + "/")) << argv;
  EXPECT_NE(argv.find(".cluster-layout.zeek\nlocal.zeek\n"), std::string::npos) << argv;
  const std::string env = ReadFile(Out("worker-1.env"));
  EXPECT_NE(env.find("\nMODE=fast path\n"), std::string::npos) << env;
  EXPECT_NE(env.find("\nSITE=main site\n"), std::string::npos) << env;
  EXPECT_NE(env.find("\nRAW=$HOME\n"), std::string::npos) << env;  // never expanded
  const std::string layout = ReadFile(Out("worker-2.layout"));
  EXPECT_NE(layout.find("redef Cluster::manager_is_logger = F;\n"), std::string::npos) << layout;
  EXPECT_NE(layout.find("[\"manager\"] = [$node_type=Cluster::MANAGER, $ip=127.0.0.1, $p=" +
                        std::to_string(p + 3) + "/tcp, $metrics_port=9991/tcp],"),
            std::string::npos)
      << layout;
  EXPECT_NE(layout.find("[\"worker-2\"] = [$node_type=Cluster::WORKER, $ip=127.0.0.1, $p=" +
                        std::to_string(p + 7) +
                        "/tcp, $manager=\"manager\", "
                        "$metrics_port=9995/tcp],"),
            std::string::npos)
      << layout;
  EXPECT_NE(
      layout.find("listen_xsub_endpoint = \"tcp://127.0.0.1:" + std::to_string(p + 1) + "\";"),
      std::string::npos)
      << layout;
  EXPECT_EQ(layout.find("CONTROL"), std::string::npos);
  // The same layout where Zeek's cluster framework looks for `cluster-layout`
  // (ZEEKPATH's "." is the working directory), without the backend part.
  const std::string found = ReadFile(Out("worker-2.zeekpath"));
  EXPECT_TRUE(found.starts_with("# Automatically generated. Do not edit.\n")) << found;
  EXPECT_NE(layout.find(found), std::string::npos) << found;
  EXPECT_EQ(found.find("ZeroMQ"), std::string::npos) << found;

  // cluster status: by stage, then role.
  CommandResult status = Cluster({"status"});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  std::vector<std::string> names;
  for (const std::string& line : Lines(status.out)) names.push_back(line.substr(0, line.find(' ')));
  EXPECT_EQ(names, (std::vector<std::string>{"NAME", "logger", "manager", "proxy-1", "worker-1",
                                             "worker-2"}))
      << status.out;
  EXPECT_NE(Row(status.out, "manager").find("yes"), std::string::npos) << status.out;
}

TEST_F(ZeekClusterTest, ReapplyUpdatesWhatChangedOnly) {
  ASSERT_EQ(Cluster({"apply", NodeCfg("eth1")}).exit_code, 0) << Log();
  const int64_t w1 = WaitRunning("worker-1", seconds(15));
  ASSERT_GT(w1, 0) << Log();

  // One worker's interface edited: that worker only.
  CommandResult r = Cluster({"apply", NodeCfg("eth7")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Count(r.out, "updated "), 1u) << r.out;
  EXPECT_EQ(Count(r.out, "updated worker-2\n"), 1u) << r.out;
  EXPECT_EQ(Count(r.out, "unchanged "), 4u) << r.out;
  EXPECT_EQ(NodeStatusOf("worker-1")->pid, w1);

  // A node added: every node's cluster table changed, so all are updated.
  r = Cluster({"apply", NodeCfg("eth7", "[worker-3]\ntype=worker\nhost=localhost\n")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Count(r.out, "created worker-3\n"), 1u) << r.out;
  EXPECT_EQ(Count(r.out, "updated "), 5u) << r.out;

  // And removed again: pruned from the namespace.
  r = Cluster({"apply", NodeCfg("eth7")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Count(r.out, "destroyed worker-3\n"), 1u) << r.out;
  EXPECT_FALSE(GetStatus("worker-3")->nodes.contains("worker-3"));
}

TEST_F(ZeekClusterTest, NodesOfOtherHostsAreRefusedAndNothingIsApplied) {
  const std::string cfg = WriteFile("remote.cfg",
                                    "[manager]\ntype=manager\nhost=198.51.100.1\n"
                                    "[proxy-1]\ntype=proxy\nhost=198.51.100.1\n"
                                    "[worker-1]\ntype=worker\nhost=198.51.100.2\ninterface=eth0\n");
  CommandResult plan = Cluster({"plan", cfg});
  EXPECT_EQ(plan.exit_code, 0) << plan.err;
  EXPECT_NE(
      plan.err.find("note: worker-1 runs on 198.51.100.2 (host 198.51.100.2), not this machine"),
      std::string::npos)
      << plan.err;
  CommandResult r = Cluster({"apply", cfg});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("3 of 3 nodes run on other hosts; nothing was applied (name each "
                       "host's zsupd in a --hosts file"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("  worker-1: host 198.51.100.2 (198.51.100.2) is not this machine"),
            std::string::npos)
      << r.err;
  EXPECT_TRUE(GetStatus()->nodes.empty());
}

// Two zsupd stand in for two hosts: this fixture's (127.0.0.2, on ipc) and
// another on plain tcp (127.0.0.3). Each gets the nodes node.cfg puts on
// it; a node moved to the other host is destroyed where it was.
TEST_F(ZeekClusterTest, WithHostsEachNodeGoesToItsHostsZsupd) {
  OtherZsupd other(dir() + "/other", {"--insecure-tcp", "--zeek", dir() + "/zeek"});
  ASSERT_TRUE(other.Start()) << other.Log();
  const std::string hosts = WriteFile(
      "hosts.ini", "[127.0.0.2]\ncontrol = " + control_endpoint() + "\nevents = " +
                       events_endpoint() + "\n[127.0.0.3]\ncontrol = " + other.control() +
                       "\nevents = " + other.events() + "\n");
  auto cfg = [&](const std::string& worker2_host) {
    return WriteFile("two.cfg",
                     "[manager]\ntype=manager\nhost=127.0.0.2\n"
                     "[proxy-1]\ntype=proxy\nhost=127.0.0.2\n"
                     "[worker-1]\ntype=worker\nhost=127.0.0.3\ninterface=eth0\n"
                     "[worker-2]\ntype=worker\nhost=" +
                         worker2_host + "\ninterface=eth1\n");
  };
  CommandResult r = Cluster({"apply", cfg("127.0.0.3"), "--hosts", hosts});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err << Log() << other.Log();
  EXPECT_EQ(r.out,
            "127.0.0.2: created manager\n127.0.0.2: created proxy-1\n"
            "127.0.0.3: created worker-1\n127.0.0.3: created worker-2\n");
  EXPECT_EQ(GetStatus()->nodes.size(), 2u) << "manager and proxy here";
  ASSERT_TRUE(WaitRecorded("worker-1"));
  EXPECT_NE(ReadFile(Out("worker-1.layout")).find("[\"manager\"]"), std::string::npos)
      << "every host's nodes know the whole cluster";

  r = Run({"cluster", "status", "--hosts", hosts});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(Row(r.out, "worker-2").starts_with("worker-2  127.0.0.3  worker")) << r.out;
  EXPECT_TRUE(Row(r.out, "manager").starts_with("manager   127.0.0.2  manager")) << r.out;

  r = Cluster({"apply", cfg("127.0.0.2"), "--hosts", hosts});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("127.0.0.2: created worker-2\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("127.0.0.3: destroyed worker-2\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("127.0.0.3: updated worker-1\n"), std::string::npos)
      << "its cluster table changed: " << r.out;

  // A host without a section: nothing is applied anywhere.
  const std::string far = WriteFile("far.cfg",
                                    "[manager]\ntype=manager\nhost=127.0.0.2\n"
                                    "[proxy-1]\ntype=proxy\nhost=127.0.0.2\n"
                                    "[worker-9]\ntype=worker\nhost=198.51.100.9\n");
  r = Cluster({"apply", far, "--hosts", hosts});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("  worker-9: host 198.51.100.9 (198.51.100.9)\n"), std::string::npos)
      << r.err;
  EXPECT_EQ(GetStatus()->nodes.size(), 3u) << "nothing was destroyed";
  EXPECT_EQ(other.Stop(), 0);
}

TEST_F(ZeekClusterTest, PlanIsWhatApplyAndCreateFileRead) {
  CommandResult plan = Cluster({"plan", NodeCfg("eth1"), "--namespace", "lab"});
  ASSERT_EQ(plan.exit_code, 0) << plan.err;
  const std::string file = WriteFile("plan.json", plan.out);
  CommandResult r = Run({"apply", file, "--namespace", "lab", "--dry-run"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const std::string& n : kNodes) EXPECT_EQ(Count(r.out, "would be created " + n), 1u);
  json nodes = json::parse(plan.out);
  ASSERT_EQ(nodes.size(), kNodes.size());
  EXPECT_EQ(nodes[3]["name"], "worker-1");
  EXPECT_EQ(nodes[3]["cpu_affinity"], 0);
  EXPECT_EQ(nodes[3]["stage"], 2);
  EXPECT_EQ(nodes[3]["namespace"], "lab");
  EXPECT_EQ(nodes[1]["ready"], "tcp:127.0.0.1:" + std::to_string(base_port_ + 1));
}

TEST_F(ZeekClusterTest, ABadNodeCfgSaysWhereAndAppliesNothing) {
  const std::string cfg = WriteFile("bad.cfg",
                                    "[manager]\ntype=manager\nhost=localhost\n"
                                    "[w]\ntype=wroker\nhost=localhost\n");
  for (const char* sub : {"plan", "layout", "apply"}) {
    CommandResult r = Cluster({sub, cfg});
    EXPECT_EQ(r.exit_code, 2) << sub;
    EXPECT_NE(r.err.find("zsupctl cluster " + std::string(sub) + ": " + cfg +
                         ":5: unknown node type 'wroker' given for node 'w'"),
              std::string::npos)
        << r.err;
  }
  EXPECT_TRUE(GetStatus()->nodes.empty());
}

}  // namespace
}  // namespace zsup::testing
