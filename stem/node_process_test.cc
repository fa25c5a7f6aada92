// The node state machine, driven by hand with a fake clock.
#include "stem/node_process.h"

#include <gtest/gtest.h>
#include <signal.h>

namespace zsup {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

class NodeProcessTest : public ::testing::Test {
 protected:
  NodeProcessTest() : node_({seconds(26), std::chrono::minutes(5)}) {}

  // Starts the node and confirms the exec, as the stem would.
  void StartRunning(pid_t pid) {
    NodeActions a = node_.Start(now_);
    ASSERT_TRUE(a.spawn);
    node_.Spawned(pid, now_);
    a = node_.ExecSucceeded(now_);
    ASSERT_TRUE(a.report_started);
  }
  void Advance(Duration d) { now_ += d; }

  TimePoint now_{seconds(1000)};
  NodeProcess node_;
};

TEST_F(NodeProcessTest, StartSpawnsThenRunsAfterExec) {
  NodeActions a = node_.Start(now_);
  EXPECT_TRUE(a.spawn);
  node_.Spawned(10, now_);
  EXPECT_EQ(node_.state(), NodeState::kStarting);
  EXPECT_EQ(node_.pid(), 10);
  a = node_.ExecSucceeded(now_);
  EXPECT_TRUE(a.report_started);
  EXPECT_EQ(node_.state(), NodeState::kRunning);
  EXPECT_EQ(node_.restarts(), 0);
  EXPECT_FALSE(node_.deadline().has_value());
}

TEST_F(NodeProcessTest, CrashGoesToBackoffAndRevivesOneSecondAfterStart) {
  StartRunning(10);
  Advance(milliseconds(200));
  NodeActions a = node_.Exited({1, {}, 0}, now_);
  EXPECT_TRUE(a.report_exit);
  EXPECT_FALSE(a.spawn);
  EXPECT_FALSE(node_.last_exit_commanded());
  EXPECT_EQ(node_.state(), NodeState::kBackoff);
  EXPECT_FALSE(node_.pid().has_value());
  ASSERT_TRUE(node_.deadline().has_value());
  EXPECT_EQ(*node_.deadline(), now_ + milliseconds(800));

  EXPECT_FALSE(node_.Tick(now_ + milliseconds(799)).spawn);
  a = node_.Tick(now_ + milliseconds(800));
  EXPECT_TRUE(a.spawn);
  EXPECT_EQ(node_.restarts(), 1);
  EXPECT_EQ(node_.state(), NodeState::kStarting);
}

TEST_F(NodeProcessTest, ExecFailureCountsAsCrash) {
  ASSERT_TRUE(node_.Start(now_).spawn);
  node_.Spawned(10, now_);
  NodeActions a = node_.Exited({127, {}, 0}, now_);
  EXPECT_TRUE(a.report_exit);
  EXPECT_EQ(node_.state(), NodeState::kBackoff);
  EXPECT_EQ(*node_.deadline(), now_ + seconds(1));
}

TEST_F(NodeProcessTest, SpawnFailureBacksOff) {
  ASSERT_TRUE(node_.Start(now_).spawn);
  NodeActions a = node_.SpawnFailed(now_);
  EXPECT_FALSE(a.report_exit);  // there was no process
  EXPECT_EQ(node_.state(), NodeState::kBackoff);
  EXPECT_EQ(*node_.deadline(), now_ + seconds(1));
}

TEST_F(NodeProcessTest, CrashLoopFollowsRevivalSchedule) {
  StartRunning(10);
  std::vector<Duration> gaps;
  for (int i = 0; i < 6; ++i) {
    TimePoint started = now_;
    node_.Exited({1, {}, 0}, now_);
    now_ = *node_.deadline();
    gaps.push_back(now_ - started);
    ASSERT_TRUE(node_.Tick(now_).spawn);
    node_.Spawned(11 + i, now_);
  }
  std::vector<Duration> want = {seconds(1), seconds(1), seconds(1),
                                seconds(2), seconds(2), seconds(2)};
  EXPECT_EQ(gaps, want);
  EXPECT_EQ(node_.restarts(), 6);
}

TEST_F(NodeProcessTest, DestroySendsTermThenKillAfterTimeout) {
  StartRunning(10);
  NodeActions a = node_.Stop(StopReason::kDestroy, now_);
  EXPECT_EQ(a.signal, SIGTERM);
  EXPECT_EQ(node_.state(), NodeState::kStopping);
  EXPECT_EQ(node_.pid(), 10);
  EXPECT_EQ(*node_.deadline(), now_ + seconds(26));
  EXPECT_EQ(node_.Tick(now_ + seconds(25)).signal, 0);
  EXPECT_EQ(node_.Tick(now_ + seconds(26)).signal, SIGKILL);
  EXPECT_FALSE(node_.deadline().has_value());
  a = node_.Exited({{}, SIGKILL, 0}, now_ + seconds(26));
  EXPECT_TRUE(a.report_exit);
  EXPECT_TRUE(a.forget);
  EXPECT_FALSE(a.spawn);
  EXPECT_TRUE(node_.last_exit_commanded());
  EXPECT_EQ(node_.state(), NodeState::kExited);
}

TEST_F(NodeProcessTest, DestroyWhenTermSuffices) {
  StartRunning(10);
  node_.Stop(StopReason::kDestroy, now_);
  NodeActions a = node_.Exited({0, {}, 0}, now_ + milliseconds(5));
  EXPECT_TRUE(a.forget);
  EXPECT_FALSE(node_.deadline().has_value());
}

TEST_F(NodeProcessTest, RestartSpawnsOnlyAfterTheOldProcessIsReaped) {
  StartRunning(10);
  NodeActions a = node_.Stop(StopReason::kRestart, now_);
  EXPECT_EQ(a.signal, SIGTERM);
  EXPECT_FALSE(a.spawn);
  EXPECT_FALSE(node_.Tick(now_ + seconds(1)).spawn);
  a = node_.Exited({{}, SIGTERM, 0}, now_ + seconds(1));
  EXPECT_TRUE(a.report_exit);
  EXPECT_TRUE(a.spawn);
  EXPECT_FALSE(a.forget);
  EXPECT_TRUE(node_.last_exit_commanded());
  EXPECT_EQ(node_.restarts(), 1);
  EXPECT_EQ(node_.state(), NodeState::kStarting);
}

TEST_F(NodeProcessTest, RestartResetsRevivalSchedule) {
  StartRunning(10);
  for (int i = 0; i < 4; ++i) {
    node_.Exited({1, {}, 0}, now_);
    now_ = *node_.deadline();
    node_.Tick(now_);
    node_.Spawned(20 + i, now_);
  }
  EXPECT_EQ(node_.revival().delay(), seconds(2));
  node_.Stop(StopReason::kRestart, now_);
  node_.Exited({0, {}, 0}, now_);
  EXPECT_EQ(node_.revival().delay(), seconds(1));
}

TEST_F(NodeProcessTest, StopInBackoffNeedsNoSignal) {
  StartRunning(10);
  node_.Exited({1, {}, 0}, now_);
  NodeActions a = node_.Stop(StopReason::kDestroy, now_);
  EXPECT_EQ(a.signal, 0);
  EXPECT_TRUE(a.forget);
  EXPECT_FALSE(a.report_exit);
}

TEST_F(NodeProcessTest, RestartInBackoffSpawnsAtOnce) {
  StartRunning(10);
  node_.Exited({1, {}, 0}, now_);
  NodeActions a = node_.Stop(StopReason::kRestart, now_);
  EXPECT_TRUE(a.spawn);
  EXPECT_EQ(node_.restarts(), 1);
  EXPECT_FALSE(node_.deadline().has_value());
}

TEST_F(NodeProcessTest, DestroyOutranksPendingRestart) {
  StartRunning(10);
  node_.Stop(StopReason::kRestart, now_);
  EXPECT_EQ(node_.Stop(StopReason::kDestroy, now_).signal, 0);  // already signalled
  NodeActions a = node_.Exited({0, {}, 0}, now_);
  EXPECT_TRUE(a.forget);
  EXPECT_FALSE(a.spawn);
}

TEST_F(NodeProcessTest, RestartDoesNotDowngradeDestroy) {
  StartRunning(10);
  node_.Stop(StopReason::kDestroy, now_);
  node_.Stop(StopReason::kRestart, now_);
  EXPECT_TRUE(node_.Exited({0, {}, 0}, now_).forget);
}

TEST_F(NodeProcessTest, StopWhileStartingSignalsToo) {
  ASSERT_TRUE(node_.Start(now_).spawn);
  node_.Spawned(10, now_);
  EXPECT_EQ(node_.Stop(StopReason::kShutdown, now_).signal, SIGTERM);
  // A late exec confirmation does not report a start while stopping.
  EXPECT_FALSE(node_.ExecSucceeded(now_).report_started);
  EXPECT_EQ(node_.state(), NodeState::kStopping);
}

TEST_F(NodeProcessTest, ZeroStopTimeoutKillsOnFirstTick) {
  NodeProcess fast({seconds(0), std::chrono::minutes(5)});
  ASSERT_TRUE(fast.Start(now_).spawn);
  fast.Spawned(10, now_);
  EXPECT_EQ(fast.Stop(StopReason::kDestroy, now_).signal, SIGTERM);
  EXPECT_EQ(fast.Tick(now_).signal, SIGKILL);
}

TEST_F(NodeProcessTest, RestartCountContinuesFromGivenBase) {
  NodeProcess replayed({seconds(26), std::chrono::minutes(5)}, 7);
  ASSERT_TRUE(replayed.Start(now_).spawn);
  EXPECT_EQ(replayed.restarts(), 7);
}

TEST_F(NodeProcessTest, LongRunResetsScheduleOnExit) {
  StartRunning(10);
  for (int i = 0; i < 3; ++i) {
    node_.Exited({1, {}, 0}, now_);
    now_ = *node_.deadline();
    node_.Tick(now_);
    node_.Spawned(20 + i, now_);
  }
  EXPECT_EQ(node_.revival().delay(), seconds(2));
  Advance(seconds(31));
  node_.Exited({1, {}, 0}, now_);
  EXPECT_EQ(*node_.deadline(), now_);  // revived at once: up 31 s > 1 s delay
  EXPECT_EQ(node_.revival().delay(), seconds(1));
}


// ---- version 2: the node's own stop signal and failure policy ----

using Policy = NodeProcess::Options::RestartPolicy;

NodeProcess::Options PolicyOptions(Policy policy) {
  NodeProcess::Options o{seconds(26), std::chrono::minutes(5)};
  o.restart_policy = policy;
  return o;
}

// Spawn, exec and exit at `now` with `exit`.
NodeActions RunAndExit(NodeProcess& p, TimePoint now, const ExitInfo& exit, pid_t pid = 10) {
  if (p.state() == NodeState::kExited || p.state() == NodeState::kBackoff) {
    NodeActions a = p.state() == NodeState::kExited ? p.Start(now) : p.Tick(now);
    EXPECT_TRUE(a.spawn);
  }
  p.Spawned(pid, now);
  p.ExecSucceeded(now);
  return p.Exited(exit, now);
}

TEST(NodeProcessPolicyTest, TheStopSignalIsTheConfigs) {
  NodeProcess::Options o{seconds(26), std::chrono::minutes(5)};
  o.stop_signal = SIGINT;
  NodeProcess p(o);
  const TimePoint t{seconds(100)};
  p.Start(t);
  p.Spawned(10, t);
  EXPECT_EQ(p.Stop(StopReason::kDestroy, t).signal, SIGINT);
  EXPECT_EQ(p.Tick(t + seconds(26)).signal, SIGKILL);
}

TEST(NodeProcessPolicyTest, APermanentFailureCodeFailsAtOnceWithTheReason) {
  NodeProcess::Options o = PolicyOptions(Policy::kAlways);
  o.permanent_failure_codes = {3, 125};
  NodeProcess p(o);
  NodeActions a = RunAndExit(p, TimePoint{seconds(100)}, {2, {}, 0});
  EXPECT_EQ(p.state(), NodeState::kBackoff) << "2 is not one of them";
  a = RunAndExit(p, TimePoint{seconds(200)}, {125, {}, 0});
  EXPECT_EQ(p.state(), NodeState::kFailed);
  EXPECT_TRUE(a.report_exit);
  EXPECT_TRUE(a.forget);
  EXPECT_FALSE(p.deadline().has_value());
  EXPECT_EQ(p.failed_reason(), "exit code 125 is a permanent failure");
}

TEST(NodeProcessPolicyTest, NeverIsNotRevivedWhateverTheExit) {
  NodeProcess p(PolicyOptions(Policy::kNever));
  NodeActions a = RunAndExit(p, TimePoint{seconds(100)}, {{}, SIGSEGV, 0});
  EXPECT_EQ(p.state(), NodeState::kExited);
  EXPECT_TRUE(a.forget);
  EXPECT_FALSE(p.failed_reason().has_value());
}

TEST(NodeProcessPolicyTest, OnFailureIsNotRevivedAfterCodeZeroOrItsStopSignal) {
  for (const ExitInfo& clean : {ExitInfo{0, {}, 0}, ExitInfo{{}, SIGTERM, 0}}) {
    NodeProcess p(PolicyOptions(Policy::kOnFailure));
    RunAndExit(p, TimePoint{seconds(100)}, clean);
    EXPECT_EQ(p.state(), NodeState::kExited);
  }
  for (const ExitInfo& failure : {ExitInfo{1, {}, 0}, ExitInfo{{}, SIGKILL, 0}}) {
    NodeProcess p(PolicyOptions(Policy::kOnFailure));
    RunAndExit(p, TimePoint{seconds(100)}, failure);
    EXPECT_EQ(p.state(), NodeState::kBackoff);
  }
}

TEST(NodeProcessPolicyTest, MoreStartsThanTheBurstWithinTheIntervalFail) {
  NodeProcess::Options o = PolicyOptions(Policy::kAlways);
  o.start_limit_burst = 2;
  o.start_limit_interval = seconds(10);
  NodeProcess p(o);
  TimePoint t{seconds(100)};
  RunAndExit(p, t, {1, {}, 0});  // start 1
  EXPECT_EQ(p.state(), NodeState::kBackoff);
  t += seconds(1);
  RunAndExit(p, t, {1, {}, 0});  // start 2: a third would pass the burst
  EXPECT_EQ(p.state(), NodeState::kFailed);
  EXPECT_EQ(p.failed_reason(), "start limit: 3 starts within 10 s");
}

TEST(NodeProcessPolicyTest, StartsOutsideTheIntervalDoNotCount) {
  NodeProcess::Options o = PolicyOptions(Policy::kAlways);
  o.start_limit_burst = 2;
  o.start_limit_interval = seconds(10);
  NodeProcess p(o);
  TimePoint t{seconds(100)};
  RunAndExit(p, t, {1, {}, 0});
  t += seconds(11);  // the first start has left the window
  RunAndExit(p, t, {1, {}, 0});
  EXPECT_EQ(p.state(), NodeState::kBackoff);
}

NodeProcess::Options WaitsForReady() {
  NodeProcess::Options o{seconds(2), std::chrono::minutes(5)};
  o.ready_at_exec = false;
  o.ready_timeout = seconds(5);
  return o;
}

// A node with these options, spawned as pid 10 at `t` and exec'd.
NodeProcess Running(const NodeProcess::Options& o, TimePoint t) {
  NodeProcess n(o);
  n.Start(t);
  n.Spawned(10, t);
  n.ExecSucceeded(t);
  return n;
}

TEST_F(NodeProcessTest, ReadyAtExecByDefault) {
  NodeActions a = node_.Start(now_);
  node_.Spawned(10, now_);
  EXPECT_FALSE(node_.ready());
  a = node_.ExecSucceeded(now_);
  EXPECT_TRUE(a.report_started);
  EXPECT_TRUE(a.report_ready);
  EXPECT_TRUE(node_.ready());
  EXPECT_FALSE(node_.awaiting_ready());
  node_.Exited({1, {}, 0}, now_);
  EXPECT_FALSE(node_.ready()) << "no process, not ready";
}

TEST_F(NodeProcessTest, WaitingForReadyUntilTheStemSaysSo) {
  NodeProcess n(WaitsForReady());
  n.Start(now_);
  n.Spawned(10, now_);
  EXPECT_TRUE(n.awaiting_ready());
  NodeActions a = n.ExecSucceeded(now_);
  EXPECT_TRUE(a.report_started);
  EXPECT_FALSE(a.report_ready);
  EXPECT_FALSE(n.ready());
  EXPECT_EQ(n.deadline(), now_ + seconds(5));
  Advance(seconds(1));
  a = n.BecameReady(now_);
  EXPECT_TRUE(a.report_ready);
  EXPECT_TRUE(n.ready());
  EXPECT_FALSE(n.deadline().has_value());
  EXPECT_FALSE(n.BecameReady(now_).report_ready) << "once per process";
}

TEST_F(NodeProcessTest, ReadyBeforeTheExecReportIsReportedAfterIt) {
  NodeProcess n(WaitsForReady());
  n.Start(now_);
  n.Spawned(10, now_);
  EXPECT_FALSE(n.BecameReady(now_).report_ready);
  NodeActions a = n.ExecSucceeded(now_);
  EXPECT_TRUE(a.report_started);
  EXPECT_TRUE(a.report_ready);
  EXPECT_TRUE(n.ready());
}

TEST_F(NodeProcessTest, NotReadyInTimeIsStoppedAndRevivedAsAFailedStart) {
  NodeProcess::Options o = WaitsForReady();
  o.restart_policy = NodeProcess::Options::RestartPolicy::kOnFailure;
  NodeProcess n = Running(o, now_);
  EXPECT_EQ(n.Tick(now_ + seconds(4)).signal, 0);
  Advance(seconds(5));
  NodeActions a = n.Tick(now_);
  EXPECT_EQ(a.signal, SIGTERM);
  EXPECT_TRUE(a.ready_timed_out);
  EXPECT_EQ(n.state(), NodeState::kStopping);
  EXPECT_EQ(n.deadline(), now_ + seconds(2));
  EXPECT_EQ(n.Tick(now_ + seconds(2)).signal, SIGKILL);
  // Killed by its stop signal, yet on-failure revives it: it failed to start.
  a = n.Exited({{}, SIGTERM, 0}, now_ + seconds(2));
  EXPECT_TRUE(a.report_exit);
  EXPECT_FALSE(n.last_exit_commanded());
  EXPECT_EQ(n.state(), NodeState::kBackoff);
  ASSERT_TRUE(n.deadline().has_value());
  a = n.Tick(*n.deadline());
  EXPECT_TRUE(a.spawn);
}

TEST_F(NodeProcessTest, ANeverPolicyNodeNotReadyInTimeIsNotRevived) {
  NodeProcess::Options o = WaitsForReady();
  o.restart_policy = NodeProcess::Options::RestartPolicy::kNever;
  NodeProcess n = Running(o, now_);
  ASSERT_TRUE(n.Tick(now_ + seconds(5)).ready_timed_out);
  NodeActions a = n.Exited({{}, SIGTERM, 0}, now_ + seconds(5));
  EXPECT_TRUE(a.forget);
  EXPECT_EQ(n.state(), NodeState::kExited);
}

TEST_F(NodeProcessTest, ACommandDuringAReadyTimeoutStopWins) {
  NodeProcess n = Running(WaitsForReady(), now_);
  ASSERT_TRUE(n.Tick(now_ + seconds(5)).ready_timed_out);
  n.Stop(StopReason::kDestroy, now_ + seconds(5));
  EXPECT_TRUE(n.Exited({{}, SIGTERM, 0}, now_ + seconds(6)).forget);

  NodeProcess r = Running(WaitsForReady(), now_);
  ASSERT_TRUE(r.Tick(now_ + seconds(5)).ready_timed_out);
  r.Stop(StopReason::kRestart, now_ + seconds(5));
  NodeActions a = r.Exited({{}, SIGTERM, 0}, now_ + seconds(6));
  EXPECT_TRUE(a.spawn) << "a restart respawns at once";
  EXPECT_TRUE(r.last_exit_commanded());
}

}  // namespace
}  // namespace zsup
