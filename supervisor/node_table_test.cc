#include "supervisor/node_table.h"

#include <gtest/gtest.h>

namespace zsup {
namespace {

NodeConfig Config(const std::string& name, std::vector<std::string> command = {"sleep", "1000"}) {
  NodeConfig c;
  c.name = name;
  c.command = std::move(command);
  return c;
}

stem::NodeReport Report(const NodeConfig& c, int64_t pid) {
  return {c.name, stem::Fingerprint(c), NodeState::kRunning, pid, 2, 100.0, {}, {}};
}

TEST(NodeTableTest, StatusOfAllOneAndUnknown) {
  NodeTable t;
  t.Add(Config("a"));
  t.Add(Config("b"));
  EXPECT_EQ(t.Status("").nodes.size(), 2u);
  EXPECT_EQ(t.Status("a").nodes.size(), 1u);
  EXPECT_TRUE(t.Status("zzz").nodes.empty());
  const NodeStatus s = t.Status("a").nodes.at("a");
  EXPECT_EQ(s.state, NodeState::kWaiting);  // no process reported yet
  EXPECT_FALSE(s.pid.has_value());
  EXPECT_EQ(s.restarts, 0);
}

TEST(NodeTableTest, StartedThenExited) {
  NodeTable t;
  t.Add(Config("a"));
  t.OnStarted({"a", 42, 0, 5.0});
  auto s = t.Status("a").nodes.at("a");
  EXPECT_EQ(s.state, NodeState::kRunning);
  EXPECT_EQ(s.pid, 42);
  EXPECT_EQ(s.started_at, 5.0);
  t.OnExited({"a", 42, {}, 9, false, 6.0, NodeState::kBackoff, 0});
  s = t.Status("a").nodes.at("a");
  EXPECT_EQ(s.state, NodeState::kBackoff);
  EXPECT_FALSE(s.pid.has_value());
  EXPECT_EQ(s.last_exit, (ExitInfo{{}, 9, 6.0}));
}

TEST(NodeTableTest, LastExitSaysWhetherItWasCommanded) {
  NodeTable t;
  t.Add(Config("a"));
  t.OnStarted({"a", 42, 0, 5.0});
  t.OnExited({"a", 42, {}, 15, true, 6.0, NodeState::kStarting, 1});
  EXPECT_EQ(t.Status("a").nodes.at("a").last_exit, (ExitInfo{{}, 15, 6.0, true}));
  t.OnStarted({"a", 43, 1, 7.0});
  t.OnExited({"a", 43, 1, {}, false, 8.0, NodeState::kBackoff, 1});
  EXPECT_EQ(t.Status("a").nodes.at("a").last_exit, (ExitInfo{1, {}, 8.0, false}));
}

TEST(NodeTableTest, DetailKeepsTheNewestExitsUpToTheBound) {
  NodeTable t;
  t.Add(Config("a"));
  EXPECT_FALSE(t.Status("a").nodes.at("a").exits) << "only with detail";
  EXPECT_EQ(t.Status("a", true).nodes.at("a").exits, std::vector<ExitInfo>{});
  const int64_t total = static_cast<int64_t>(kExitHistory) + 3;
  for (int64_t i = 0; i < total; ++i) {
    t.OnStarted({"a", 100 + i, i, 10.0 * static_cast<double>(i)});
    t.OnExited({"a", 100 + i, i, {}, i == total - 1, 10.0 * static_cast<double>(i) + 1,
                NodeState::kBackoff, i + 1});
  }
  const NodeStatus plain = t.Status("a").nodes.at("a");
  EXPECT_FALSE(plain.exits);
  const NodeStatus s = t.Status(std::vector<std::string>{"a"}, true).nodes.at("a");
  ASSERT_TRUE(s.exits);
  ASSERT_EQ(s.exits->size(), kExitHistory);
  for (size_t k = 0; k < kExitHistory; ++k) {  // newest first
    EXPECT_EQ((*s.exits)[k].code, total - 1 - static_cast<int64_t>(k)) << k;
  }
  EXPECT_TRUE(s.exits->front().commanded);
  EXPECT_FALSE((*s.exits)[1].commanded);
  EXPECT_EQ(s.exits->front(), *s.last_exit);
}

TEST(NodeTableTest, AReportRepeatingTheLastExitAddsNoHistory) {
  NodeTable t;
  const NodeConfig c = Config("a");
  t.Add(c);
  t.OnStarted({"a", 42, 0, 5.0});
  t.OnExited({"a", 42, {}, 15, true, 6.0, NodeState::kStarting, 1});
  stem::NodeReport r = Report(c, 43);
  r.last_exit = ExitInfo{{}, 15, 6.0, false};  // a stem from before `commanded`
  t.OnReport(r);
  NodeStatus s = t.Status("a", true).nodes.at("a");
  ASSERT_EQ(s.exits->size(), 1u);
  EXPECT_TRUE(s.exits->front().commanded);
  EXPECT_TRUE(s.last_exit->commanded);
  r.last_exit = ExitInfo{2, {}, 7.0, false};  // one zsupd missed: it is history too
  t.OnReport(r);
  s = t.Status("a", true).nodes.at("a");
  ASSERT_EQ(s.exits->size(), 2u);
  EXPECT_EQ(s.exits->front().code, 2);
}

TEST(NodeTableTest, StaleExitDoesNotClearNewerPid) {
  NodeTable t;
  t.Add(Config("a"));
  t.OnStarted({"a", 43, 1, 5.0});
  t.OnExited({"a", 42, 0, {}, true, 6.0, NodeState::kStarting, 1});
  EXPECT_EQ(t.Status("a").nodes.at("a").pid, 43);
}

TEST(NodeTableTest, APidIsShownExactlyWhileStartingRunningOrStopping) {
  NodeTable t;
  t.Add(Config("a"));
  auto state = [&] { return t.Status("a").nodes.at("a"); };
  t.OnUpdate({"a", NodeState::kStarting, 42, 0, {}, false});
  EXPECT_EQ(state().state, NodeState::kStarting);
  EXPECT_EQ(state().pid, 42);
  t.OnStarted({"a", 42, 0, 5.0});
  t.OnStopSent("a");  // restart: the old pid until it is gone
  EXPECT_EQ(state().state, NodeState::kStopping);
  EXPECT_EQ(state().pid, 42);
  t.OnExited({"a", 42, {}, 15, true, 6.0, NodeState::kStarting, 1});
  EXPECT_EQ(state().state, NodeState::kWaiting) << "no process until the new one is reported";
  EXPECT_FALSE(state().pid.has_value());
  t.OnUpdate({"a", NodeState::kStarting, 43, 1, {}, false});
  EXPECT_EQ(state().pid, 43);
  EXPECT_EQ(state().restarts, 1);
  t.OnUpdate({"a", NodeState::kBackoff, {}, 1, 1700000000.0, false});
  EXPECT_EQ(state().state, NodeState::kBackoff);
  EXPECT_FALSE(state().pid.has_value());
  EXPECT_EQ(state().next_start_at, 1700000000.0);
  t.OnStopSent("a");  // restart in backoff: a new process is on its way
  EXPECT_EQ(state().state, NodeState::kWaiting);
  EXPECT_FALSE(state().next_start_at.has_value());
}

TEST(NodeTableTest, ExitsCarryTheRestartCountOfNodesThatNeverStart) {
  NodeTable t;
  t.Add(Config("a"));
  t.OnExited({"a", 42, 127, {}, false, 6.0, NodeState::kBackoff, 0});
  t.OnExited({"a", 43, 127, {}, false, 7.0, NodeState::kBackoff, 1});
  EXPECT_EQ(t.Status("a").nodes.at("a").restarts, 1);
}

TEST(NodeTableTest, ErrorsShowUntilTheNextStart) {
  NodeTable t;
  t.Add(Config("a"));
  t.OnError("a", "node 'a' failed to exec 'x': No such file or directory");
  EXPECT_TRUE(t.Status("a").nodes.at("a").last_error.has_value());
  t.OnStarted({"a", 42, 1, 5.0});
  EXPECT_FALSE(t.Status("a").nodes.at("a").last_error.has_value());
}

TEST(NodeTableTest, ReplayCountsAsRestart) {
  NodeTable t;
  NodeView& v = t.Add(Config("a"));
  EXPECT_EQ(v.NextRestarts(), 0);
  t.OnStarted({"a", 42, 3, 5.0});
  EXPECT_EQ(t.Find("a")->NextRestarts(), 4);
}

TEST(NodeTableTest, ForgetProcesses) {
  NodeTable t;
  t.Add(Config("a"));
  t.OnStarted({"a", 42, 0, 5.0});
  t.ForgetProcesses();
  EXPECT_FALSE(t.Status("a").nodes.at("a").pid.has_value());
}

TEST(ReconcileTest, AdoptReplaceCreateDestroy) {
  NodeTable desired;
  NodeConfig same = Config("same");
  NodeConfig changed = Config("changed", {"sleep", "2"});
  desired.Add(same);
  desired.Add(changed);
  desired.Add(Config("new-b"));
  desired.Add(Config("new-a"));
  std::vector<stem::NodeReport> reported = {Report(same, 10), Report(Config("changed"), 11),
                                            Report(Config("gone"), 12)};
  ReconcilePlan plan = Reconcile(desired, reported);
  EXPECT_EQ(plan.adopt, std::vector<std::string>{"same"});
  EXPECT_EQ(plan.replace, std::vector<std::string>{"changed"});
  EXPECT_EQ(plan.destroy, std::vector<std::string>{"gone"});
  EXPECT_EQ(plan.create, (std::vector<std::string>{"new-a", "new-b"}));
}

TEST(ReconcileTest, EmptyStemCreatesEverythingSorted) {
  NodeTable desired;
  for (const char* n : {"w3", "w1", "w2"}) desired.Add(Config(n));
  ReconcilePlan plan = Reconcile(desired, {});
  EXPECT_EQ(plan.create, (std::vector<std::string>{"w1", "w2", "w3"}));
  EXPECT_TRUE(plan.adopt.empty());
}

TEST(ReconcileTest, AdoptionTakesReportedState) {
  NodeTable desired;
  NodeConfig c = Config("a");
  desired.Add(c);
  desired.OnReport(Report(c, 77));
  auto s = desired.Status("a").nodes.at("a");
  EXPECT_EQ(s.pid, 77);
  EXPECT_EQ(s.restarts, 2);
  EXPECT_EQ(s.state, NodeState::kRunning);
}

}  // namespace
}  // namespace zsup
