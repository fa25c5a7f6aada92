// The stem through zsupd, with real processes: revival timing, SIGKILL
// escalation that stalls nobody, reaping (no zombies, no descriptor leaks),
// the stem dying, and zsupd dying (adoption, grace period). What a node sees
// when spawned is in stem_integration_test.cc.
#include <signal.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>

#include "broker/clock.h"
#include "tests/daemon_fixture.h"

namespace zsup::testing {
namespace {

class StemLifecycleTest : public DaemonTest {};

// The parent pid of a process, from /proc (0 if it is gone).
pid_t ParentOf(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t paren = stat.rfind(')');
  if (paren == std::string::npos) return 0;
  std::istringstream rest(stat.substr(paren + 1));
  std::string state;
  pid_t ppid = 0;
  rest >> state >> ppid;
  return ppid;
}

// Kills the processes it holds when the test ends, however it ends.
struct KillOnExit {
  std::vector<pid_t> pids;
  ~KillOnExit() {
    for (pid_t p : pids) ::kill(p, SIGKILL);
  }
};

TEST_F(StemLifecycleTest, CrashedNodeIsRevivedAfterOneSecondDoublingEveryThirdAttempt) {
  StartDaemon();
  auto sub = Subscribe({"node_status/crasher"});
  ASSERT_TRUE(Create(TestNode("crasher", {"--exit=1"})).ok());
  std::vector<double> starts;
  for (int i = 0; i < 5; ++i) {
    auto e = sub->Next(seconds(5));
    ASSERT_TRUE(e.has_value()) << "start " << i << " did not happen";
    const auto& st = std::get<NodeStatusEvent>(e->payload);
    EXPECT_EQ(st.restarts, i);
    starts.push_back(st.at);
  }
  // Zeek's schedule: 1 s after the previous start, 1, 1, then 2 s.
  for (int i = 0; i < 3; ++i) {
    const double gap = starts[i + 1] - starts[i];
    EXPECT_GE(gap, 0.95) << "gap " << i;
    EXPECT_LT(gap, 1.5) << "gap " << i;
  }
  const double fourth = starts[4] - starts[3];
  EXPECT_GE(fourth, 1.95);
  EXPECT_LT(fourth, 2.5);
}

TEST_F(StemLifecycleTest, SigkillEscalationDoesNotStallOtherNodesOutput) {
  StartDaemon({"--stop-timeout", "2"});
  ASSERT_TRUE(Create(TestNode("stubborn", {"--ignore-sigterm", "--print-pid"})).ok());
  NodeConfig ticker;
  ticker.name = "ticker";
  ticker.command = {"/bin/sh", "-c", "i=0; while :; do i=$((i+1)); echo tick $i; sleep 0.1; done"};
  ASSERT_TRUE(Create(ticker).ok());
  const int64_t stubborn = WaitRunning("stubborn");
  ASSERT_GT(stubborn, 0);
  // It prints its pid once SIGTERM is ignored; exec alone is too early.
  ASSERT_TRUE(WaitPrinted("stubborn"));
  auto sub = Subscribe({"stdout/ticker", "node_exit/stubborn"});
  ASSERT_TRUE(sub->WaitFor([](const Event& e) { return e.kind == EventKind::kStdout; }))
      << "the ticker prints nothing";

  const double destroyed_at = WallNow();
  ASSERT_TRUE(Destroy("stubborn").ok());
  std::vector<double> ticks;
  std::optional<NodeExitEvent> exit;
  while (!exit) {
    auto e = sub->Next(seconds(6));
    ASSERT_TRUE(e.has_value()) << "the stubborn node did not exit within 6 s";
    if (e->kind == EventKind::kNodeExit) {
      exit = std::get<NodeExitEvent>(e->payload);
    } else {
      ticks.push_back(std::get<OutputEvent>(e->payload).at);
    }
  }
  EXPECT_EQ(exit->pid, stubborn);
  EXPECT_EQ(exit->signal, SIGKILL);
  EXPECT_TRUE(exit->commanded);
  EXPECT_GE(exit->at - destroyed_at, 2.0 - 0.01);  // float rounding of `at` only
  EXPECT_LT(exit->at - destroyed_at, 4.0);

  // The ticker prints every 0.1 s; a stem that waits for the stubborn node
  // (as Zeek's does) would leave a 2 s hole. 0.6 s leaves room for a busy CI.
  std::vector<double> window = {destroyed_at};
  for (double t : ticks) {
    if (t >= destroyed_at && t <= exit->at) window.push_back(t);
  }
  window.push_back(exit->at);
  EXPECT_GE(window.size(), 12u) << "too few ticks during the 2 s stop";
  double worst = 0;
  for (size_t i = 1; i < window.size(); ++i) worst = std::max(worst, window[i] - window[i - 1]);
  EXPECT_LT(worst, 0.6) << "output stalled while a node was being stopped";
}

TEST_F(StemLifecycleTest, TwoHundredRespawnsLeaveNoZombiesAndNoExtraDescriptors) {
  StartDaemon({"--no-echo"});
  constexpr int kNodes = 20, kRounds = 10;
  auto sub = Subscribe({"node_status/"});
  for (int i = 0; i < kNodes; ++i) {
    ASSERT_TRUE(Create(TestNode("n" + std::to_string(i), {"--lines=3", "--stream=both"})).ok());
  }
  auto wait_round = [&](int restarts) {
    std::set<std::string> started;
    while (started.size() < kNodes) {
      auto e = sub->Next(seconds(10));
      if (!e) return false;
      const auto& st = std::get<NodeStatusEvent>(e->payload);
      if (st.restarts == restarts) started.insert(st.node);
    }
    return true;
  };
  ASSERT_TRUE(wait_round(0)) << "not every node started";
  const pid_t stem = StemPid();
  const int stem_fds = CountFds(stem);
  const int zsupd_fds = CountFds(daemon_pid());
  ASSERT_GT(stem_fds, 2 * kNodes);  // each running node has two pipes

  for (int round = 1; round <= kRounds; ++round) {
    ASSERT_TRUE(Restart("").ok());
    ASSERT_TRUE(wait_round(round)) << "round " << round << " did not complete";
  }
  EXPECT_EQ(StemPid(), stem);
  EXPECT_TRUE(WaitUntil([&] { return CountZombieChildren(stem) == 0; }, seconds(3)))
      << CountZombieChildren(stem) << " zombie(s)";
  // Same nodes running as before: the same descriptors, give or take a
  // transient one (a socket of ZeroMQ's).
  EXPECT_LE(CountFds(stem), stem_fds + 2);
  EXPECT_LE(CountFds(daemon_pid()), zsupd_fds + 2);
}

// Revivals of nodes that crash on their own (the schedule, not commands):
// 50 nodes × 4 revivals, then no zombie and no descriptor left behind.
TEST_F(StemLifecycleTest, TwoHundredCrashRevivalsLeaveNoZombiesAndNoExtraDescriptors) {
  StartDaemon({"--no-echo"});
  const pid_t stem = StemPid();
  const int stem_fds = CountFds(stem);  // no nodes yet
  constexpr int kNodes = 50, kRevivals = 4;
  for (int i = 0; i < kNodes; ++i) {
    ASSERT_TRUE(Create(TestNode("c" + std::to_string(i), {"--lines=2", "--stream=both", "--exit=1"}))
                    .ok());
  }
  // Zeek's schedule: 1 s, 1 s, 1 s, then 2 s between starts.
  ASSERT_TRUE(WaitUntil(
      [&] {
        auto status = GetStatus();
        if (!status.ok() || status->nodes.size() != kNodes) return false;
        for (const auto& [name, s] : status->nodes) {
          if (s.restarts < kRevivals) return false;
        }
        return true;
      },
      seconds(30)))
      << "not every node was revived " << kRevivals << " times";
  ASSERT_TRUE(Destroy("").ok());
  EXPECT_TRUE(WaitUntil([&] { return CountZombieChildren(stem) == 0 && CountFds(stem) <= stem_fds + 2; },
                        seconds(10)))
      << CountZombieChildren(stem) << " zombie(s), " << CountFds(stem) << " descriptors (was "
      << stem_fds << ")";
  EXPECT_EQ(StemPid(), stem);
}

size_t Occurrences(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// A hung peer (stopped, not dead: no pidfd fires) is noticed by missed
// heartbeats on either side; the side that notices re-creates its socket,
// and the two find each other again without restarting a node.
TEST_F(StemLifecycleTest, AHungZsupdIsNoticedByTheStemAndTheLinkRecovers) {
  StartDaemon();
  ASSERT_TRUE(Create(TestNode("w1")).ok());
  const int64_t pid = WaitRunning("w1");
  ASSERT_GT(pid, 0);
  ASSERT_EQ(::kill(daemon_pid(), SIGSTOP), 0);
  const bool noticed =
      WaitUntil([&] { return Log().find("no message from zsupd for 5 s") != std::string::npos; },
                seconds(15));
  ::kill(daemon_pid(), SIGCONT);
  ASSERT_TRUE(noticed) << Log();
  ASSERT_TRUE(WaitUntil([&] { return Occurrences(Log(), "connected; reporting") >= 2; }, seconds(20)))
      << Log();
  auto s = NodeStatusOf("w1");
  ASSERT_TRUE(s && s->pid);
  EXPECT_EQ(*s->pid, pid) << "the node was restarted";
  ASSERT_TRUE(Restart("w1").ok());
  EXPECT_GT(WaitNewPid("w1", pid), 0) << Log();
}

TEST_F(StemLifecycleTest, AHungStemIsNoticedByZsupdAndTheLinkRecovers) {
  StartDaemon();
  ASSERT_TRUE(Create(TestNode("w1")).ok());
  const int64_t pid = WaitRunning("w1");
  ASSERT_GT(pid, 0);
  const pid_t stem = StemPid();
  ASSERT_EQ(::kill(stem, SIGSTOP), 0);
  const bool noticed = WaitUntil(
      [&] { return Log().find("silent for 5 s: reconnecting") != std::string::npos; }, seconds(15));
  ::kill(stem, SIGCONT);
  ASSERT_TRUE(noticed) << Log();
  ASSERT_TRUE(WaitUntil([&] { return Occurrences(Log(), "connected; reporting") >= 2; }, seconds(20)))
      << Log();
  EXPECT_EQ(StemPid(), stem);
  auto s = NodeStatusOf("w1");
  ASSERT_TRUE(s && s->pid);
  EXPECT_EQ(*s->pid, pid) << "the node was restarted";
  ASSERT_TRUE(Restart("w1").ok());
  EXPECT_GT(WaitNewPid("w1", pid), 0) << Log();
}

// A daemon a node leaves behind (double fork: re-parented to the node, a
// subreaper, then to the stem when the node exits) goes with the node and is
// reaped: no zombie stays.
TEST_F(StemLifecycleTest, ADaemonizedGrandchildGoesWithItsNodeAndIsReaped) {
  StartDaemon();
  auto sub = Subscribe({"stdout/daemonizer", "node_exit/daemonizer"});
  ASSERT_TRUE(Create(TestNode("daemonizer", {"--daemonize", "--exit=0"})).ok());
  KillOnExit daemons;
  auto collect = [&](const Event& e) {
    if (e.kind != EventKind::kStdout) return false;
    const std::string& msg = std::get<OutputEvent>(e.payload).msg;
    if (msg.starts_with("DAEMON ")) daemons.pids.push_back(std::stoi(msg.substr(7)));
    return false;
  };
  ASSERT_TRUE(sub->WaitFor([&](const Event& e) {
    return collect(e) || e.kind == EventKind::kNodeExit;
  })) << "the node did not exit";
  ASSERT_TRUE(Destroy("daemonizer").ok());  // no more revivals, no more daemons
  while (auto e = sub->Next(milliseconds(300))) collect(*e);
  ASSERT_FALSE(daemons.pids.empty()) << "no DAEMON line";

  const pid_t stem = StemPid();
  for (pid_t daemon : daemons.pids) {
    EXPECT_TRUE(WaitUntil([&] { return ::kill(daemon, 0) != 0; }, seconds(5)))
        << "pid " << daemon << " outlived its node or was not reaped (parent "
        << ParentOf(daemon) << ", stem " << stem << ")";
  }
  EXPECT_EQ(CountZombieChildren(stem), 0);
}

TEST_F(StemLifecycleTest, StemDeathTakesItsNodesAlongAndTheReplacementNeverOverlaps) {
  StartDaemon();
  ASSERT_TRUE(Create(TestNode("victim")).ok());
  const int64_t old_node = WaitRunning("victim");
  ASSERT_GT(old_node, 0);
  const pid_t old_stem = StemPid();
  ASSERT_GT(old_stem, 0);
  auto sub = Subscribe({"node_status/victim"});

  ASSERT_EQ(::kill(old_stem, SIGKILL), 0);
  // Whenever the replacement is announced, the old process is already gone.
  std::optional<NodeStatusEvent> started;
  bool old_alive_at_restart = true;
  EXPECT_TRUE(WaitUntil(
      [&] {
        auto e = sub->Next(milliseconds(5));
        if (!e) return false;
        old_alive_at_restart = ProcessAlive(static_cast<pid_t>(old_node));
        started = std::get<NodeStatusEvent>(e->payload);
        return true;
      },
      seconds(15)))
      << "no replacement node";
  EXPECT_FALSE(ProcessAlive(static_cast<pid_t>(old_node)));
  ASSERT_TRUE(started.has_value());
  EXPECT_FALSE(old_alive_at_restart);
  EXPECT_NE(started->pid, old_node);
  EXPECT_TRUE(ProcessAlive(static_cast<pid_t>(started->pid)));
  EXPECT_EQ(WaitNewPid("victim", old_node), started->pid);
  const pid_t new_stem = StemPid();
  EXPECT_NE(new_stem, old_stem);
  EXPECT_TRUE(ProcessAlive(new_stem));
}

TEST_F(StemLifecycleTest, NodesOutliveZsupdAndTheNextZsupdAdoptsThem) {
  StartDaemon();
  ASSERT_TRUE(Create(TestNode("keep-a")).ok());
  ASSERT_TRUE(Create(TestNode("keep-b")).ok());
  const int64_t a = WaitRunning("keep-a");
  const int64_t b = WaitRunning("keep-b");
  ASSERT_GT(a, 0);
  ASSERT_GT(b, 0);
  const pid_t stem = StemPid();

  KillDaemon();
  EXPECT_TRUE(ProcessAlive(static_cast<pid_t>(a)));
  EXPECT_TRUE(ProcessAlive(static_cast<pid_t>(b)));
  EXPECT_TRUE(ProcessAlive(stem));

  StartDaemon();  // READY once the stem has reported its nodes
  auto sub = Subscribe({"node_exit/", "node_status/"});
  auto status = GetStatus();
  ASSERT_TRUE(status.ok()) << status.error();
  for (const auto& [name, pid] : {std::pair<std::string, int64_t>{"keep-a", a}, {"keep-b", b}}) {
    ASSERT_TRUE(status->nodes.contains(name)) << name;
    const NodeStatus& s = status->nodes.at(name);
    EXPECT_EQ(s.pid, pid) << name;
    EXPECT_EQ(s.state, NodeState::kRunning) << name;
    EXPECT_EQ(s.restarts, 0) << name;
    EXPECT_FALSE(s.last_exit.has_value()) << name << " was restarted";
    EXPECT_TRUE(ProcessAlive(static_cast<pid_t>(pid))) << name;
  }
  EXPECT_EQ(StemPid(), stem);
  EXPECT_FALSE(sub->Next(milliseconds(500)).has_value()) << "a node was stopped or started";
}

TEST_F(StemLifecycleTest, WithoutZsupdTheStemStopsItsNodesAfterTheGracePeriod) {
  StartDaemon({"--grace", "1"});
  ASSERT_TRUE(Create(TestNode("orphan")).ok());
  const int64_t node = WaitRunning("orphan");
  ASSERT_GT(node, 0);
  const pid_t stem = StemPid();
  ASSERT_GT(stem, 0);

  KillDaemon();
  EXPECT_TRUE(ProcessAlive(static_cast<pid_t>(node))) << "stopped before the grace period";
  EXPECT_TRUE(WaitUntil([&] { return !ProcessAlive(static_cast<pid_t>(node)); }, seconds(5)))
      << "the node still runs";
  EXPECT_TRUE(WaitUntil([&] { return !ProcessAlive(stem); }, seconds(5))) << "the stem still runs";
}

}  // namespace
}  // namespace zsup::testing

namespace zsup::testing {
namespace {

// The grace period running out with nothing left to stop: the stem says Bye
// and exits at once (it once waited for a wakeup that never came).
class StemGraceTest : public DaemonTest {};

TEST_F(StemGraceTest, AStemWithoutNodesExitsWhenTheGraceRunsOut) {
  StartDaemon({"--grace", "1"});
  const pid_t stem = StemPid();
  ASSERT_GT(stem, 0);
  KillDaemon();
  EXPECT_TRUE(WaitUntil([&] { return !ProcessAlive(stem); }, seconds(10)))
      << "the stem outlived its grace period with no node: " << Log();
}

}  // namespace
}  // namespace zsup::testing
