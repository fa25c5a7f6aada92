// Version 2 lifecycle against the real binaries: stop/start that keep the
// config, selection by `nodes` and `namespace`, and a node's own stop
// signal and stop timeout (docs/protocol.md).
#include <signal.h>

#include <set>

#include "tests/daemon_fixture.h"

namespace zsup::testing {
namespace {

class LifecycleV2Test : public DaemonTest {
 protected:
  template <typename R>
  Status SendTo(std::vector<std::string> names) {
    R r;
    r.nodes = std::move(names);
    return Send(r);
  }
  NodeConfig InNamespace(const std::string& name, const std::string& ns) {
    NodeConfig c = TestNode(name);
    c.name_space = ns;
    return c;
  }
};

TEST_F(LifecycleV2Test, StopKeepsTheConfigAndTheNodeStaysStoppedUntilStart) {
  StartDaemon({"--stop-timeout", "1"});
  auto sub = Subscribe({"node_exit/a", "node_status/a"});
  ASSERT_TRUE(Create(TestNode("a", {"--ignore-sigterm", "--print-pid"})).ok());
  const int64_t pid = WaitRunning("a");
  ASSERT_GT(pid, 0);
  ASSERT_TRUE(WaitPrinted("a"));  // SIGTERM is ignored from here on
  ASSERT_TRUE(Send(StopRequest{"a"}).ok());
  auto s = NodeStatusOf("a");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->state, NodeState::kStopping);
  EXPECT_EQ(s->pid, pid);
  EXPECT_EQ(s->desired_up, false);
  auto exit = sub->WaitFor([](const Event& e) { return e.kind == EventKind::kNodeExit; });
  ASSERT_TRUE(exit) << Log();
  EXPECT_TRUE(std::get<NodeExitEvent>(exit->payload).commanded);
  ASSERT_TRUE(WaitState("a", NodeState::kStopped)) << Log();
  s = NodeStatusOf("a");
  EXPECT_FALSE(s->pid.has_value());
  EXPECT_EQ(s->node, TestNode("a", {"--ignore-sigterm", "--print-pid"}));
  EXPECT_FALSE(sub->Next(milliseconds(1500)).has_value()) << "a stopped node was revived";

  ASSERT_TRUE(Send(StartRequest{"a"}).ok());
  EXPECT_GT(WaitNewPid("a", pid), 0) << Log();
  EXPECT_EQ(NodeStatusOf("a")->desired_up, true);
  const int64_t again = NodeStatusOf("a")->pid.value_or(0);
  ASSERT_TRUE(Send(StartRequest{"a"}).ok());  // running: left alone
  EXPECT_EQ(NodeStatusOf("a")->pid, again);
}

TEST_F(LifecycleV2Test, AStoppedNodeStaysStoppedAcrossAdoptionStemReplacementAndReplay) {
  StartDaemon();
  ASSERT_TRUE(Create(TestNode("a")).ok());
  ASSERT_TRUE(Create(TestNode("b")).ok());
  const int64_t b = WaitRunning("b");
  ASSERT_GT(WaitRunning("a"), 0);
  ASSERT_TRUE(Send(StopRequest{"a"}).ok());
  ASSERT_TRUE(WaitState("a", NodeState::kStopped));

  KillDaemon();  // adoption
  StartDaemon();
  EXPECT_EQ(StateOf("a"), NodeState::kStopped);
  EXPECT_EQ(WaitRunning("b"), b);

  const pid_t stem = StemPid();  // a new stem
  ASSERT_EQ(::kill(stem, SIGKILL), 0);
  ASSERT_GT(WaitNewPid("b", b), 0) << Log();
  EXPECT_EQ(StateOf("a"), NodeState::kStopped);

  KillDaemon();  // everything: replay
  ::kill(StemPid(), SIGKILL);
  ASSERT_TRUE(WaitUntil([&] { return !ProcessAlive(StemPid()); }));
  StartDaemon();
  ASSERT_GT(WaitRunning("b"), 0);
  EXPECT_EQ(StateOf("a"), NodeState::kStopped);
}

TEST_F(LifecycleV2Test, RestartStartsAStoppedNode) {
  StartDaemon();
  ASSERT_TRUE(Create(TestNode("a")).ok());
  const int64_t pid = WaitRunning("a");
  ASSERT_TRUE(Send(StopRequest{"a"}).ok());
  ASSERT_TRUE(WaitState("a", NodeState::kStopped));
  ASSERT_TRUE(Restart("a").ok());
  EXPECT_GT(WaitNewPid("a", pid), 0) << Log();
  EXPECT_EQ(NodeStatusOf("a")->desired_up, true);
}

TEST_F(LifecycleV2Test, NodesAndNamespaceSelectAndAnUnknownNameChangesNothing) {
  StartDaemon();
  ASSERT_TRUE(Create(InNamespace("z1", "zeek")).ok());
  ASSERT_TRUE(Create(InNamespace("z2", "zeek")).ok());
  ASSERT_TRUE(Create(InNamespace("o1", "other")).ok());
  for (const char* n : {"z1", "z2", "o1"}) ASSERT_GT(WaitRunning(n), 0);

  EXPECT_EQ(SendTo<StopRequest>({"z1", "nope"}).message(), "no node named 'nope'");
  EXPECT_EQ(StateOf("z1"), NodeState::kRunning) << "a refused request stopped a node";

  StopRequest by_namespace;
  by_namespace.name_space = "zeek";
  ASSERT_TRUE(Send(by_namespace).ok());
  ASSERT_TRUE(WaitState("z1", NodeState::kStopped));
  ASSERT_TRUE(WaitState("z2", NodeState::kStopped));
  EXPECT_EQ(StateOf("o1"), NodeState::kRunning);

  StatusRequest status;
  status.name_space = "zeek";
  auto reply = Call(EncodeRequest(status));
  ASSERT_TRUE(reply.ok());
  auto report = DecodeStatusReply(*reply);
  ASSERT_TRUE(report.ok()) << report.error();
  std::set<std::string> names;
  for (const auto& [name, st] : report->nodes) names.insert(name);
  EXPECT_EQ(names, (std::set<std::string>{"z1", "z2"}));

  ASSERT_TRUE(SendTo<StartRequest>({"z2", "z2"}).ok());
  EXPECT_GT(WaitRunning("z2"), 0);
  EXPECT_EQ(StateOf("z1"), NodeState::kStopped);

  ASSERT_TRUE(SendTo<DestroyRequest>({"z1", "o1"}).ok());
  auto all = GetStatus();
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->nodes.size(), 1u);
}

TEST_F(LifecycleV2Test, TheConfigsStopSignalAndStopTimeoutAreUsed) {
  StartDaemon({"--stop-timeout", "30"});
  auto sub = Subscribe({"node_exit/"});
  NodeConfig gentle;
  gentle.name = "gentle";
  gentle.command = {"/bin/sh", "-c", "trap 'exit 7' INT; echo armed; while :; do sleep 0.05; done"};
  gentle.stop_signal = "INT";
  ASSERT_TRUE(Create(gentle).ok());
  NodeConfig stubborn = TestNode("stubborn", {"--ignore-sigterm", "--print-pid"});
  stubborn.stop_timeout = 0.3;
  ASSERT_TRUE(Create(stubborn).ok());
  ASSERT_TRUE(WaitPrinted("gentle"));  // its trap is set
  ASSERT_GT(WaitRunning("stubborn"), 0);
  ASSERT_TRUE(WaitPrinted("stubborn"));  // SIGTERM is ignored from here on

  ASSERT_TRUE(Destroy("gentle").ok());
  auto e = sub->WaitFor([](const Event& x) {
    return x.kind == EventKind::kNodeExit && std::get<NodeExitEvent>(x.payload).node == "gentle";
  });
  ASSERT_TRUE(e) << Log();
  EXPECT_EQ(std::get<NodeExitEvent>(e->payload).code, 7) << "SIGINT was not its stop signal";

  ASSERT_TRUE(Restart("stubborn").ok());
  // Within a few seconds, not zsupd's 30: the node's own stop timeout.
  e = sub->WaitFor(
      [](const Event& x) {
        return x.kind == EventKind::kNodeExit &&
               std::get<NodeExitEvent>(x.payload).node == "stubborn";
      },
      seconds(5));
  ASSERT_TRUE(e) << Log();
  EXPECT_EQ(std::get<NodeExitEvent>(e->payload).signal, SIGKILL);
}

TEST_F(LifecycleV2Test, ABadStopSignalIsRefusedNamingTheNodeAndTheKey) {
  StartDaemon();
  NodeConfig c = TestNode("x");
  c.stop_signal = "NOPE";
  EXPECT_NE(Create(c).message().find("node 'x': config.stop_signal: unknown signal 'NOPE'"),
            std::string::npos);
}

NodeConfig Shell(const std::string& name, const std::string& script) {
  NodeConfig c;
  c.name = name;
  c.command = {"/bin/sh", "-c", script};
  return c;
}

TEST_F(LifecycleV2Test, APermanentFailureCodeFailsTheNodeForGoodUntilStart) {
  StartDaemon();
  auto sub = Subscribe({"node_failed/broken", "node_status/broken"});
  // Fails the first time only, so that `start` can show it running.
  NodeConfig c = Shell("broken", "test -f ran && exec sleep 100; touch ran; exit 3");
  c.directory = dir() + "/broken";
  c.permanent_failure_codes = {3};
  ASSERT_TRUE(Create(c).ok());
  auto failed = sub->WaitFor([](const Event& e) { return e.kind == EventKind::kNodeFailed; });
  ASSERT_TRUE(failed) << Log();
  EXPECT_EQ(std::get<NodeFailedEvent>(failed->payload).reason,
            "exit code 3 is a permanent failure");
  auto s = NodeStatusOf("broken");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->state, NodeState::kFailed);
  EXPECT_EQ(s->failed_reason, "exit code 3 is a permanent failure");
  EXPECT_EQ(s->desired_up, true);
  EXPECT_FALSE(sub->WaitFor([](const Event& e) { return e.kind == EventKind::kNodeStatus; },
                            milliseconds(1500)))
      << "a failed node was revived";

  KillDaemon();  // kept across a zsupd restart...
  StartDaemon();
  EXPECT_EQ(StateOf("broken"), NodeState::kFailed);
  KillDaemon();  // ...and a full crash
  ::kill(StemPid(), SIGKILL);
  ASSERT_TRUE(WaitUntil([&] { return !ProcessAlive(StemPid()); }));
  StartDaemon();
  EXPECT_EQ(StateOf("broken"), NodeState::kFailed);
  EXPECT_EQ(NodeStatusOf("broken")->failed_reason, "exit code 3 is a permanent failure");

  ASSERT_TRUE(Send(StartRequest{"broken"}).ok());
  EXPECT_GT(WaitRunning("broken"), 0) << Log();
  EXPECT_FALSE(NodeStatusOf("broken")->failed_reason.has_value());
}

TEST_F(LifecycleV2Test, MoreStartsThanTheBurstFailTheNode) {
  StartDaemon();
  NodeConfig c = Shell("flappy", "exit 1");
  c.start_limit_burst = 2;
  c.start_limit_interval = 30;
  ASSERT_TRUE(Create(c).ok());
  ASSERT_TRUE(WaitState("flappy", NodeState::kFailed)) << Log();
  EXPECT_EQ(NodeStatusOf("flappy")->failed_reason, "start limit: 3 starts within 30 s");
  EXPECT_EQ(NodeStatusOf("flappy")->restarts, 1);
}

TEST_F(LifecycleV2Test, RestartPolicyDecidesWhetherAnExitIsRevived) {
  StartDaemon();
  NodeConfig never = Shell("never", "exit 1");
  never.restart_policy = "never";
  NodeConfig on_failure = Shell("clean", "exit 0");
  on_failure.restart_policy = "on-failure";
  NodeConfig always = Shell("always", "exit 0");
  ASSERT_TRUE(Create(never).ok());
  ASSERT_TRUE(Create(on_failure).ok());
  ASSERT_TRUE(Create(always).ok());
  EXPECT_TRUE(WaitState("never", NodeState::kExited)) << Log();
  EXPECT_TRUE(WaitState("clean", NodeState::kExited)) << Log();
  EXPECT_TRUE(WaitUntil([&] { return NodeStatusOf("always")->restarts.value_or(0) >= 1; }));
  EXPECT_EQ(NodeStatusOf("never")->restarts, 0);
  ASSERT_TRUE(Restart("never").ok());  // restart takes it back
  EXPECT_TRUE(WaitUntil([&] { return NodeStatusOf("never")->restarts.value_or(0) >= 1; }));
  EXPECT_TRUE(WaitState("never", NodeState::kExited));
}

TEST_F(LifecycleV2Test, BadPolicyValuesAreRefusedNamingTheKey) {
  StartDaemon();
  NodeConfig c = TestNode("x");
  c.restart_policy = "sometimes";
  EXPECT_NE(Create(c).message().find("node 'x': config.restart_policy"), std::string::npos);
  c.restart_policy.reset();
  c.permanent_failure_codes = {300};
  EXPECT_NE(Create(c).message().find("config.permanent_failure_codes"), std::string::npos);
  c.permanent_failure_codes.clear();
  c.start_limit_interval = 0;
  EXPECT_NE(Create(c).message().find("config.start_limit_interval"), std::string::npos);
}

// ---- apply ----

class ApplyTest : public LifecycleV2Test {
 protected:
  Result<ApplyReply> Apply(const ApplyRequest& request) {
    auto reply = Call(EncodeRequest(request));
    if (!reply.ok()) return reply.status();
    return DecodeApplyReply(*reply);
  }
};

TEST_F(ApplyTest, CreatesUpdatesKeepsAndPrunesInOneRequest) {
  StartDaemon();
  ApplyRequest first{{TestNode("a"), TestNode("b"), TestNode("c")}, "zeek"};
  auto r = Apply(first);
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->created, (std::vector<std::string>{"a", "b", "c"}));
  const int64_t a = WaitRunning("a"), b = WaitRunning("b");
  ASSERT_GT(WaitRunning("c"), 0);
  EXPECT_EQ(NodeStatusOf("a")->node.name_space, "zeek");

  // b changes, c goes, d comes, a stays as it is.
  ApplyRequest second{{TestNode("a"), TestNode("b", {"--print-pid"}), TestNode("d")}, "zeek", true};
  ApplyRequest dry = second;
  dry.dry_run = true;
  r = Apply(dry);
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->created, std::vector<std::string>{"d"});
  EXPECT_EQ(r->updated, std::vector<std::string>{"b"});
  EXPECT_EQ(r->unchanged, std::vector<std::string>{"a"});
  EXPECT_EQ(r->destroyed, std::vector<std::string>{"c"});
  EXPECT_FALSE(NodeStatusOf("d").has_value()) << "a dry run changed something";

  r = Apply(second);
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->destroyed, std::vector<std::string>{"c"});
  EXPECT_EQ(NodeStatusOf("a")->pid, a) << "an unchanged node kept running";
  EXPECT_EQ(NodeStatusOf("a")->restarts, 0);
  EXPECT_GT(WaitNewPid("b", b), 0) << Log();
  EXPECT_EQ(NodeStatusOf("b")->node, [] {
    NodeConfig c = TestNode("b", {"--print-pid"});
    c.name_space = "zeek";
    return c;
  }());
  EXPECT_GT(WaitRunning("d"), 0);
  auto all = GetStatus();
  ASSERT_TRUE(all.ok());
  EXPECT_FALSE(all->nodes.contains("c"));

  KillDaemon();  // durable: the next zsupd has the applied set
  StartDaemon();
  EXPECT_EQ(GetStatus()->nodes.size(), 3u);
}

TEST_F(ApplyTest, OneBadEntryChangesNothingAndNamesTheNode) {
  StartDaemon();
  NodeConfig bad = TestNode("bad");
  bad.stop_signal = "NOPE";
  auto r = Apply(ApplyRequest{{TestNode("good"), bad}});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("node 'bad'"), std::string::npos) << r.error();
  EXPECT_TRUE(GetStatus()->nodes.empty());

  r = Apply(ApplyRequest{{TestNode("x"), TestNode("x")}});
  EXPECT_EQ(r.error(), "node 'x' is given twice");
  NodeConfig other = TestNode("o");
  other.name_space = "other";
  r = Apply(ApplyRequest{{other}, "zeek"});
  EXPECT_EQ(r.error(), "node 'o' is in namespace 'other', not 'zeek'");
  r = Apply(ApplyRequest{{TestNode("y")}, std::nullopt, true});
  EXPECT_NE(r.error().find("prune needs a namespace"), std::string::npos);
  NodeConfig env = TestNode("env");
  env.env["K"] = std::string(200 << 10, 'v');
  r = Apply(ApplyRequest{{env}});
  EXPECT_NE(r.error().find("node 'env'"), std::string::npos) << r.error();
  EXPECT_TRUE(GetStatus()->nodes.empty());
}

TEST_F(ApplyTest, AnUpdateTakesBackAFailedNodeAndAStoppedOneStaysStopped) {
  StartDaemon();
  NodeConfig broken;
  broken.name = "broken";
  broken.command = {"/bin/sh", "-c", "exit 3"};
  broken.permanent_failure_codes = {3};
  NodeConfig stopped = TestNode("stopped");
  ASSERT_TRUE(Apply(ApplyRequest{{broken, stopped}}).ok());
  ASSERT_TRUE(WaitState("broken", NodeState::kFailed)) << Log();
  ASSERT_GT(WaitRunning("stopped"), 0);
  ASSERT_TRUE(Send(StopRequest{"stopped"}).ok());
  ASSERT_TRUE(WaitState("stopped", NodeState::kStopped));

  ApplyRequest again{{broken, stopped}};
  auto r = Apply(again);  // identical: both stay as they are
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->unchanged, (std::vector<std::string>{"broken", "stopped"}));
  EXPECT_EQ(StateOf("broken"), NodeState::kFailed);

  broken.command = {TestNodePath()};
  stopped.env["NEW"] = "1";
  r = Apply(ApplyRequest{{broken, stopped}});
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->updated, (std::vector<std::string>{"broken", "stopped"}));
  EXPECT_GT(WaitRunning("broken"), 0) << Log();
  EXPECT_EQ(StateOf("stopped"), NodeState::kStopped);
  EXPECT_EQ(NodeStatusOf("stopped")->node.env.at("NEW"), "1");
}

}  // namespace
}  // namespace zsup::testing
