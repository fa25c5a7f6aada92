// StartGate with a fake clock: which stage waits for which, and for how long.
#include "supervisor/start_gate.h"

#include <gtest/gtest.h>

namespace zsup {
namespace {

using std::chrono::seconds;

class StartGateTest : public ::testing::Test {
 protected:
  NodeView& Add(const std::string& name, int64_t stage, bool ready = false,
                double ready_timeout = 10) {
    NodeConfig c;
    c.name = name;
    if (stage != 0) c.stage = stage;
    c.ready_timeout = ready_timeout;
    NodeView& v = table_.Add(c);
    v.ready = ready;
    return v;
  }
  StartGate::Decision Decide(const std::string& name) {
    return StartGate(table_, now_).Decide(*table_.Find(name));
  }

  NodeTable table_;
  TimePoint now_{seconds(1000)};
};

TEST_F(StartGateTest, TheLowestStageNeverWaits) {
  Add("m", 0);
  Add("w", 0);
  EXPECT_FALSE(Decide("m").wait);
  EXPECT_FALSE(Decide("w").wait);
  EXPECT_FALSE(table_.staged());
}

TEST_F(StartGateTest, ALaterStageWaitsUntilEveryLowerOneIsReady) {
  Add("logger", 0).start_wanted_at = now_;
  Add("manager", 0, /*ready=*/true);
  Add("proxy", 1).start_wanted_at = now_;
  Add("worker", 2).start_wanted_at = now_;
  EXPECT_TRUE(table_.staged());
  StartGate::Decision d = Decide("proxy");
  EXPECT_TRUE(d.wait);
  EXPECT_EQ(d.waits_for, "logger");
  EXPECT_EQ(d.until, now_ + seconds(10));
  d = Decide("worker");
  EXPECT_TRUE(d.wait);

  table_.Find("logger")->ready = true;
  EXPECT_FALSE(Decide("proxy").wait);
  EXPECT_FALSE(Decide("proxy").timed_out_on.has_value());
  d = Decide("worker");
  EXPECT_TRUE(d.wait) << "the proxy is not ready yet";
  EXPECT_EQ(d.waits_for, "proxy");
  table_.Find("proxy")->ready = true;
  EXPECT_FALSE(Decide("worker").wait);
}

TEST_F(StartGateTest, AFailedOrStoppedLowerNodeDoesNotHoldTheRest) {
  Add("m", 0).hold = NodeState::kFailed;
  Add("p", 0).desired_up = false;
  Add("w", 1).start_wanted_at = now_;
  EXPECT_FALSE(Decide("w").wait);
}

TEST_F(StartGateTest, TheWaitEndsWithTheLowerNodesReadyTimeout) {
  Add("m", 0, false, 5).start_wanted_at = now_;
  Add("w", 1).start_wanted_at = now_;
  now_ += seconds(4);
  EXPECT_TRUE(Decide("w").wait);
  now_ += seconds(1);
  StartGate::Decision d = Decide("w");
  EXPECT_FALSE(d.wait);
  EXPECT_EQ(d.timed_out_on, "m") << "logged as a warning";
}

TEST_F(StartGateTest, TheLongestWaitOfSeveralLowerNodesCounts) {
  Add("a", 0, false, 5).start_wanted_at = now_;
  Add("b", 1, false, 20).start_wanted_at = now_;
  Add("w", 2).start_wanted_at = now_;
  StartGate::Decision d = Decide("w");
  EXPECT_TRUE(d.wait);
  EXPECT_EQ(d.until, now_ + seconds(20));
  EXPECT_EQ(d.waits_for, "b");
}

TEST_F(StartGateTest, ALowerNodeZsupdDidNotStartCountsFromTheWaitingOne) {
  // Crash-looping, revived by the stem: no start_wanted_at of its own.
  Add("m", 0, false, 5);
  Add("w", 1).start_wanted_at = now_ - seconds(3);
  StartGate::Decision d = Decide("w");
  EXPECT_TRUE(d.wait);
  EXPECT_EQ(d.until, now_ + seconds(2));
  now_ += seconds(2);
  EXPECT_FALSE(Decide("w").wait);
}

TEST_F(StartGateTest, ALowerNodeStillHeldBackBlocksWithNoEnd) {
  Add("m", 0, false, 5).start_wanted_at = now_ - seconds(60);  // long timed out
  Add("p", 1).start_wanted_at = now_ - seconds(60);
  Add("w", 2).start_wanted_at = now_ - seconds(60);
  StartGate::Decision d = StartGate(table_, now_, {"p"}).Decide(*table_.Find("w"));
  EXPECT_TRUE(d.wait) << "the proxy has not started: the workers cannot go with it";
  EXPECT_EQ(d.waits_for, "p");
  EXPECT_EQ(d.until, TimePoint::max());
  EXPECT_FALSE(StartGate(table_, now_, {"p"}).Decide(*table_.Find("p")).wait);
}

TEST_F(StartGateTest, HasLowerStageLooksAtNodesThatShouldRunOnly) {
  Add("m", 0, true);
  NodeView& w = Add("w", 1);
  EXPECT_TRUE(StartGate(table_, now_).HasLowerStage(w));
  table_.Find("m")->desired_up = false;
  EXPECT_FALSE(StartGate(table_, now_).HasLowerStage(w));
}

TEST_F(StartGateTest, StagedCountsFollowAddUpdateAndRemove) {
  Add("w", 3);
  EXPECT_TRUE(table_.staged());
  NodeConfig c;
  c.name = "w";
  table_.Update(c);
  EXPECT_FALSE(table_.staged());
  c.stage = 1;
  table_.Update(c);
  EXPECT_TRUE(table_.staged());
  table_.Remove("w");
  EXPECT_FALSE(table_.staged());
}

}  // namespace
}  // namespace zsup
