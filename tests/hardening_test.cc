// Regressions for what fault and bad-input probes broke (issue "Hardening"):
// each test names the probe it repeats, against the real binaries.
#include <signal.h>

#include <set>

#include "tests/daemon_fixture.h"

namespace zsup::testing {
namespace {

class HardeningTest : public DaemonTest {};

bool PidMatchesState(const NodeStatus& s) {
  const bool has_process = s.state == NodeState::kStarting || s.state == NodeState::kRunning ||
                           s.state == NodeState::kStopping;
  return has_process == s.pid.has_value();
}

NodeConfig Command(const std::string& name, std::vector<std::string> command) {
  NodeConfig c;
  c.name = name;
  c.command = std::move(command);
  return c;
}

// Probe 10: `create x -- /nonexistent; sleep 1.5; destroy x; create x -- sleep
// 100` left x `starting` forever (the stem forgot a node in backoff without
// saying so, and zsupd waited for its exit).
TEST_F(HardeningTest, ANodeRecreatedAfterItsCrashLoopStartsAgain) {
  StartDaemon();
  for (const auto& broken : {std::vector<std::string>{"/nonexistent"},
                             std::vector<std::string>{"/bin/sh", "-c", "exit 3"}}) {
    ASSERT_TRUE(Create(Command("x", broken)).ok());
    ASSERT_TRUE(WaitUntil([&] {
      auto s = NodeStatusOf("x");
      return s && s->state == NodeState::kBackoff && s->restarts.value_or(0) >= 1;
    })) << Log();
    ASSERT_TRUE(Destroy("x").ok());
    ASSERT_TRUE(Create(TestNode("x")).ok());
    EXPECT_GT(WaitRunning("x", seconds(5)), 0) << Log();
    ASSERT_TRUE(Destroy("x").ok());
  }
}

TEST_F(HardeningTest, ANodeInBackoffRestartedThenRecreatedStartsAgain) {
  StartDaemon();
  ASSERT_TRUE(Create(Command("x", {"/bin/sh", "-c", "exit 3"})).ok());
  ASSERT_TRUE(WaitUntil([&] {
    auto s = NodeStatusOf("x");
    return s && s->state == NodeState::kBackoff;
  })) << Log();
  ASSERT_TRUE(Restart("x").ok());
  ASSERT_TRUE(Destroy("x").ok());
  ASSERT_TRUE(Create(TestNode("x")).ok());
  EXPECT_GT(WaitRunning("x", seconds(5)), 0) << Log();
}

// Probe 11: a restart of a node that ignores SIGTERM showed `running` with
// the old pid for the whole stop timeout.
TEST_F(HardeningTest, StatusShowsStoppingWithTheOldPidUntilTheOldProcessIsGone) {
  StartDaemon({"--stop-timeout", "2"});
  ASSERT_TRUE(Create(TestNode("stubborn", {"--ignore-sigterm"})).ok());
  const int64_t pid = WaitRunning("stubborn");
  ASSERT_GT(pid, 0);
  ASSERT_TRUE(Restart("stubborn").ok());
  auto s = NodeStatusOf("stubborn");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->state, NodeState::kStopping);
  EXPECT_EQ(s->pid, pid);
  // Every status on the way: a pid exactly while starting, running or stopping.
  bool consistent = true;
  const bool restarted = WaitUntil([&] {
    auto now = NodeStatusOf("stubborn");
    if (!now) return false;
    consistent = consistent && PidMatchesState(*now);
    if (now->pid == pid) {
      EXPECT_EQ(now->state, NodeState::kStopping);
    }
    return now->state == NodeState::kRunning && now->pid != pid;
  });
  EXPECT_TRUE(restarted) << Log();
  EXPECT_TRUE(consistent);
}

// Probe 11, second half: a spawn that failed for lack of descriptors showed
// `starting` with no pid and no restart counted.
TEST_F(HardeningTest, ASpawnThatFailsForLackOfDescriptorsShowsBackoffNotStarting) {
  set_daemon_nofile(80);
  StartDaemon();
  for (int i = 0; i < 40; ++i) ASSERT_TRUE(Create(TestNode("n" + std::to_string(i))).ok());
  bool some_failed = false;
  ASSERT_TRUE(WaitUntil([&] {
    auto report = GetStatus();
    if (!report.ok()) return false;
    bool settled = true;
    for (const auto& [name, s] : report->nodes) {
      EXPECT_TRUE(PidMatchesState(s)) << name << " " << StateName(*s.state);
      if (s.state == NodeState::kWaiting) settled = false;
      if (s.last_error && s.last_error->find("Too many open files") != std::string::npos) {
        some_failed = true;
        EXPECT_EQ(s.state, NodeState::kBackoff) << name;
      }
    }
    return settled && some_failed;
  })) << Log();
}

// Probe 9: zsupd frozen past the stem's grace; the stem stopped the nodes and
// exited, zsupd started them again, and no node_exit ever told of the old
// processes.
TEST_F(HardeningTest, NodesTheStemStoppedWhileZsupdWasFrozenGetTheirNodeExit) {
  StartDaemon({"--grace", "1"});
  auto sub = Subscribe({"node_exit/w1"});
  ASSERT_TRUE(Create(TestNode("w1")).ok());
  const int64_t pid = WaitRunning("w1");
  ASSERT_GT(pid, 0);
  const pid_t stem = StemPid();
  ASSERT_EQ(::kill(daemon_pid(), SIGSTOP), 0);
  const bool stem_gone = WaitUntil([&] { return !ProcessAlive(stem); }, seconds(20));
  ::kill(daemon_pid(), SIGCONT);
  ASSERT_TRUE(stem_gone) << Log();
  auto exit = sub->WaitFor([&](const Event& e) {
    return e.kind == EventKind::kNodeExit && std::get<NodeExitEvent>(e.payload).pid == pid;
  });
  ASSERT_TRUE(exit) << Log();
  const auto& x = std::get<NodeExitEvent>(exit->payload);
  EXPECT_EQ(x.signal, SIGTERM);  // as the stem stopped it, not a guess
  EXPECT_TRUE(x.commanded);
  EXPECT_GT(WaitNewPid("w1", pid), 0) << Log();
  EXPECT_NE(Log().find("no zsupd connected within the grace period"), std::string::npos) << Log();
}

// Probe 9 without a last word: a stem killed outright still leaves a
// node_exit for each of its nodes.
TEST_F(HardeningTest, NodesOfAStemKilledOutrightGetANodeExitEach) {
  StartDaemon();
  auto sub = Subscribe({"node_exit/"});
  ASSERT_TRUE(Create(TestNode("a")).ok());
  ASSERT_TRUE(Create(TestNode("b")).ok());
  const std::set<int64_t> pids = {WaitRunning("a"), WaitRunning("b")};
  ASSERT_EQ(::kill(StemPid(), SIGKILL), 0);
  std::set<int64_t> seen;
  ASSERT_TRUE(sub->WaitFor([&](const Event& e) {
    if (e.kind == EventKind::kNodeExit) seen.insert(std::get<NodeExitEvent>(e.payload).pid);
    return seen == pids;
  })) << Log();
}

// Probe 12: after adoption the stem kept logging into the killed zsupd's
// stderr, and `ps` showed the settings it was first started with.
TEST_F(HardeningTest, AnAdoptedStemLogsWhereTheAdoptingZsupdLogsAndShowsNoStaleSettings) {
  StartDaemon({"--stop-timeout", "7.5"});
  ASSERT_TRUE(Create(TestNode("w1")).ok());
  ASSERT_GT(WaitRunning("w1"), 0);
  KillDaemon();
  LogTo("second.log");
  StartDaemon({"--stop-timeout", "3"});
  ASSERT_TRUE(WaitUntil([&] { return Log().find("1 node(s) adopted") != std::string::npos; }));
  ASSERT_TRUE(Create(Command("broken", {"/nonexistent"})).ok());
  EXPECT_TRUE(WaitUntil([&] {
    return Log().find("zsup-stem ERROR node 'broken' failed to exec") != std::string::npos;
  })) << Log();
  EXPECT_EQ(LogOf("zsupd.log").find("broken"), std::string::npos) << LogOf("zsupd.log");
  const std::string cmdline = ReadFile("/proc/" + std::to_string(StemPid()) + "/cmdline");
  EXPECT_EQ(cmdline.find("7.5"), std::string::npos) << cmdline;
}

}  // namespace
}  // namespace zsup::testing
