// zsupctl --hosts: two zsupd on one machine standing in for two hosts. The
// fixture's zsupd is host "alpha" (ipc); another on tcp ports of its own,
// with CURVE, is host "beta". Status aggregation, commands and apply routed
// to the host that holds the nodes, tail and events from both, one host
// down reported but not fatal.
#include <signal.h>

#include <algorithm>
#include <filesystem>

#include "broker/curve.h"
#include "tests/zsupctl_fixture.h"

namespace zsup::testing {
namespace {

class FleetTest : public ZsupctlTest {
 protected:
  void SetUp() override {
    ZsupctlTest::SetUp();
    auto pair = NewCurveKeyPair();
    ASSERT_TRUE(pair.ok());
    ASSERT_TRUE(WriteKeyFile(dir() + "/ops.key", pair->public_z85, 0644).ok());
    ASSERT_TRUE(WriteKeyFile(dir() + "/ops.secret", pair->secret_z85, 0600).ok());
    beta_ = std::make_unique<OtherZsupd>(dir() + "/beta");
    beta_->AuthorizeKey(dir() + "/ops.key");
    ASSERT_TRUE(beta_->Start()) << beta_->Log();
    StartDaemon();
    hosts_ = WriteFile("hosts.ini",
                       "; two zsupd on this machine, standing in for two hosts\n"
                       "[alpha]\n"
                       "control = " + control_endpoint() + "\n"
                       "events = " + events_endpoint() + "\n"
                       "\n"
                       "[beta]\n"
                       "control = " + beta_->control() + "\n"
                       "events = " + beta_->events() + "\n"
                       "server_key = beta/curve/server.key\n"
                       "client_key = ops.secret\n");
  }
  void TearDown() override {
    if (beta_) {
      EXPECT_EQ(beta_->Stop(), 0);
    }
    ZsupctlTest::TearDown();
  }
  // zsupctl --hosts FILE ARGS... (no --state-dir: the file says where).
  std::vector<std::string> Fleet(const std::vector<std::string>& args) const {
    std::vector<std::string> argv = {ZsupctlPath(), "--hosts", hosts_, "--timeout", "2"};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  }
  CommandResult RunFleet(const std::vector<std::string>& args) {
    return RunCommand(Fleet(args), seconds(20));
  }
  // Creates `node` on `host` through zsupctl, printing `lines` lines.
  void CreateOn(const std::string& host, const std::string& node, int lines = 0) {
    CommandResult r = RunFleet({"--host", host, "create", node, "--", TestNodePath(),
                                "--lines=" + std::to_string(lines)});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  }
  // The state of `node` in `host`'s row of `zsupctl --hosts status`.
  std::string StateOn(const std::string& host, const std::string& node) {
    CommandResult r = RunFleet({"status", "--json"});
    for (const json& n : json::parse(r.out, nullptr, false)) {
      if (n.value("host", "") == host && n.value("name", "") == node) {
        return n.value("state", "");
      }
    }
    return "";
  }

  std::unique_ptr<OtherZsupd> beta_;
  std::string hosts_;
};

TEST_F(FleetTest, StatusShowsEveryHostsNodesWithTheirHost) {
  CreateOn("alpha", "a1");
  CreateOn("beta", "b1");
  CreateOn("beta", "b2");
  ASSERT_TRUE(WaitUntil([&] { return StateOn("beta", "b2") == "running"; }));
  CommandResult r = RunFleet({"status"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const std::vector<std::string> lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 5u) << r.out;
  EXPECT_TRUE(lines[0].starts_with("HOST   NAME  STATE")) << r.out;
  EXPECT_TRUE(lines[1].starts_with("alpha  a1    running")) << r.out;
  EXPECT_TRUE(lines[2].starts_with("beta   b1    running")) << r.out;
  EXPECT_TRUE(lines[3].starts_with("beta   b2    running")) << r.out;
  EXPECT_EQ(lines[4], "3 nodes on 2 hosts: 3 running");

  r = RunFleet({"status", "--json", "b*"});
  json nodes = json::parse(r.out, nullptr, false);
  ASSERT_TRUE(nodes.is_array()) << r.out;
  ASSERT_EQ(nodes.size(), 2u) << r.out;
  EXPECT_NE(r.out.find("{\n    \"host\": \"beta\",\n    \"name\": \"b1\""), std::string::npos)
      << "host comes first: " << r.out;
  EXPECT_EQ(nodes[0]["host"], "beta");
  EXPECT_EQ(nodes[1]["name"], "b2");

  r = RunFleet({"ping"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Count(r.out, "alpha: zsupd "), 1u) << r.out;
  EXPECT_EQ(Count(r.out, "beta: zsupd "), 1u) << r.out;

  r = RunFleet({"status", "nosuch"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("no node named 'nosuch' on any host"), std::string::npos) << r.err;
  r = RunFleet({"create", "x", "--", TestNodePath()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("say which with --host NAME (one of alpha, beta)"), std::string::npos)
      << r.err;
}

TEST_F(FleetTest, ShowFindsTheNodesOnTheirHostsAndNamesTheHost) {
  CreateOn("alpha", "a1");
  CreateOn("beta", "b1");
  ASSERT_TRUE(WaitUntil([&] { return StateOn("beta", "b1") == "running"; }));
  CommandResult r = RunFleet({"show", "b1", "a1"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(r.out.starts_with("a1 on alpha\n")) << r.out;
  EXPECT_NE(r.out.find("\n\nb1 on beta\n  state:         running"), std::string::npos) << r.out;
  r = RunFleet({"show", "--json", "b1"});
  json shown = json::parse(r.out, nullptr, false);
  ASSERT_TRUE(shown.is_array()) << r.out;
  ASSERT_EQ(shown.size(), 1u) << r.out;
  EXPECT_TRUE(r.out.starts_with("[\n  {\n    \"host\": \"beta\",\n")) << "host first: " << r.out;
  EXPECT_EQ(shown[0]["host"], "beta");
  EXPECT_TRUE(shown[0]["exits"].is_array());
  r = RunFleet({"show", "nosuch"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("no node named 'nosuch' on any host"), std::string::npos) << r.err;
}

TEST_F(FleetTest, CommandsGoToTheHostsThatHoldTheNodes) {
  CreateOn("alpha", "w1");
  CreateOn("beta", "w2");
  CreateOn("beta", "db");
  ASSERT_TRUE(WaitUntil([&] { return StateOn("beta", "db") == "running"; }));
  CommandResult r = RunFleet({"stop", "--wait", "w*"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(Count(r.out, "alpha: stopping w1\n"), 1u) << r.out;
  EXPECT_EQ(Count(r.out, "beta: stopping w2\n"), 1u) << r.out;
  EXPECT_EQ(StateOn("alpha", "w1"), "stopped");
  EXPECT_EQ(StateOn("beta", "w2"), "stopped");
  EXPECT_EQ(StateOn("beta", "db"), "running") << "not matched, not touched";

  r = RunFleet({"start", "--wait", "w2"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.out, "beta: starting w2\n");
  EXPECT_EQ(StateOn("alpha", "w1"), "stopped") << "w2 is on beta only";
  EXPECT_EQ(StateOn("beta", "w2"), "running");

  // destroy --wait on a host that is not this machine (beta, 127.0.0.3): its
  // processes cannot be looked up here, so the wait ends with their node_exit.
  r = RunFleet({"--host", "beta", "create", "slow", "--stop-timeout", "1", "--", TestNodePath(),
                "--ignore-sigterm"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  int64_t pid = 0;
  ASSERT_TRUE(WaitUntil([&] {
    for (const json& n : json::parse(RunFleet({"status", "--json", "slow"}).out, nullptr, false)) {
      if (n.value("state", "") == "running") pid = n.value("pid", int64_t{0});
    }
    return pid > 0;
  }));
  r = RunFleet({"destroy", "--wait", "slow"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.out, "beta: destroyed slow\n");
  EXPECT_EQ(r.err, "");
  EXPECT_NE(::kill(static_cast<pid_t>(pid), 0), 0) << "--wait returned before its process was gone";

  r = RunFleet({"destroy", "--all"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  ASSERT_TRUE(WaitUntil([&] { return GetStatus().ok() && GetStatus()->nodes.empty(); }));
  r = RunFleet({"status"});
  EXPECT_EQ(r.out, "no nodes\n") << "every host's nodes are destroyed";
}

TEST_F(FleetTest, ApplySendsEachNodeToTheHostThatHoldsIt) {
  CreateOn("alpha", "a1");
  CreateOn("beta", "b1");
  const std::string file = WriteFile(
      "nodes.json", "[" + JsonNode("a1", R"(, "env": {"V": "2"})") + ", " +
                        JsonNode("b1", R"(, "env": {"V": "2"})") + "]");
  CommandResult r = RunFleet({"apply", file});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.out, "alpha: updated a1\nbeta: updated b1\n");

  // A new node: on which host is the operator's to say.
  const std::string more =
      WriteFile("more.json", "[" + JsonNode("a1", R"(, "env": {"V": "2"})") + ", " +
                                 JsonNode("n1") + "]");
  r = RunFleet({"apply", more});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("no host holds n1 yet: say where new nodes go with --host NAME"),
            std::string::npos)
      << r.err;
  r = RunFleet({"--host", "beta", "apply", more});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.out, "beta: created a1\nbeta: created n1\n")
      << "--host narrows the fleet: beta does not hold a1, so it is new there";
}

TEST_F(FleetTest, TailAndEventsFollowEveryHost) {
  CreateOn("alpha", "a1", 2);
  CreateOn("beta", "b1", 1);
  ASSERT_TRUE(WaitUntil([&] {
    auto t = Tail("a1", Stream::kStdout, 10);
    return t.ok() && t->size() == 2;
  }));
  BackgroundCommand tail(Fleet({"tail", "-f", "--all"}));
  ASSERT_TRUE(tail.WaitForOutput([](const CommandResult& r) {
    return Count(r.out, "alpha/a1: line 2\n") == 1 && Count(r.out, "beta/b1: line 1\n") == 1;
  })) << tail.output().out
      << tail.output().err;
  BackgroundCommand events(Fleet({"events"}));
  CommandResult r = RunFleet({"--host", "beta", "create", "b2", "--", TestNodePath(), "--lines=1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(tail.WaitForOutput(
      [](const CommandResult& out) { return Count(out.out, "beta/b2: line 1\n") == 1; }))
      << "a node created later on one host: " << tail.output().out;
  // The events subscription is in place once a restart shows up in it.
  bool seen = false;
  for (int attempt = 0; attempt < 20 && !seen; ++attempt) {
    ASSERT_EQ(RunFleet({"restart", "a1"}).exit_code, 0);
    seen = events.WaitForOutput(
        [](const CommandResult& out) { return Count(out.out, " alpha/a1 started") > 0; },
        milliseconds(1500));
  }
  EXPECT_TRUE(seen) << events.output().out << events.output().err;
  ASSERT_EQ(RunFleet({"restart", "b1"}).exit_code, 0);
  EXPECT_TRUE(events.WaitForOutput(
      [](const CommandResult& out) { return Count(out.out, " beta/b1 started") > 0; }))
      << events.output().out << events.output().err;
  EXPECT_EQ(tail.Stop(SIGINT).exit_code, 0);
  EXPECT_EQ(events.Stop(SIGINT).exit_code, 0);
}

TEST_F(FleetTest, AHostDownIsReportedAndTheOthersAnswer) {
  CreateOn("alpha", "a1");
  CreateOn("beta", "b1");
  ASSERT_EQ(beta_->Stop(), 0);
  beta_.reset();
  CommandResult r = RunFleet({"status"});
  EXPECT_EQ(r.exit_code, 3) << "a host down is not a success";
  EXPECT_TRUE(Row(r.out, "alpha").find("a1") != std::string::npos) << r.out;
  EXPECT_EQ(Count(r.out, "b1"), 0u) << r.out;
  EXPECT_NE(r.err.find("host beta: zsupd is not answering"), std::string::npos) << r.err;

  r = RunFleet({"restart", "--wait", "a1"});
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_EQ(r.out, "alpha: restarting a1\n") << "alpha still gets its command";

  r = RunFleet({"restart", "b1"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("no node named 'b1' on any host that answered"), std::string::npos)
      << r.err;

  BackgroundCommand events(Fleet({"events"}));
  EXPECT_TRUE(events.WaitForOutput(
      [](const CommandResult& out) { return out.err.find("host beta:") != std::string::npos; }))
      << events.output().err;
  bool seen = false;
  for (int attempt = 0; attempt < 20 && !seen; ++attempt) {
    ASSERT_TRUE(Restart("a1").ok());
    seen = events.WaitForOutput(
        [](const CommandResult& out) { return Count(out.out, " alpha/a1 started") > 0; },
        milliseconds(1500));
  }
  EXPECT_TRUE(seen) << "alpha is followed: " << events.output().out << events.output().err;
  EXPECT_EQ(events.Stop(SIGINT).exit_code, 3);
}

}  // namespace
}  // namespace zsup::testing
