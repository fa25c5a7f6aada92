// SupervisorSession with a fake clock: heartbeats, losing zsupd and the
// grace period, shutdown, and the Bye handshake (acknowledged, or no zsupd
// left to acknowledge it, or the flush timeout).
#include "stem/supervisor_session.h"

#include <gtest/gtest.h>

namespace zsup {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using SvState = SupervisorSession::State;
using SvActions = SupervisorSession::Actions;
using Why = SupervisorSession::Why;

class SupervisorSessionTest : public ::testing::Test {
 protected:
  TimePoint now_{seconds(1000)};
  const Duration grace_ = seconds(60);
  SupervisorSession s_{SupervisorSession::Options{}, now_, grace_};
};

TEST_F(SupervisorSessionTest, NoHelloWithinTheFirstWaitStopsEveryNode) {
  EXPECT_EQ(s_.state(), SvState::kWaiting);
  EXPECT_EQ(s_.deadline(), now_ + seconds(60)) << "max(30 s, grace)";
  EXPECT_EQ(s_.Tick(now_ + seconds(59), grace_, true), SvActions{});
  EXPECT_EQ(s_.Tick(now_ + seconds(60), grace_, true),
            (SvActions{.stop_nodes = true, .why = Why::kGraceOver}));
  EXPECT_TRUE(s_.stopping());
}

TEST_F(SupervisorSessionTest, ConnectedItHeartbeatsAndNoticesSilence) {
  s_.Hello(now_);
  EXPECT_EQ(s_.state(), SvState::kConnected);
  EXPECT_EQ(s_.Tick(now_ + seconds(1), grace_, true), SvActions{.heartbeat = true});
  EXPECT_EQ(s_.Tick(now_ + milliseconds(1500), grace_, true), SvActions{}) << "once a second";
  s_.Heard(now_ + seconds(4));
  EXPECT_FALSE(s_.Tick(now_ + seconds(9), grace_, true).reset_link) << "heard 5 s ago";
  const SvActions a = s_.Tick(now_ + seconds(10), grace_, true);
  EXPECT_TRUE(a.reset_link);
  EXPECT_EQ(a.why, Why::kSilent);
  EXPECT_FALSE(a.stop_nodes) << "nodes outlive zsupd for the grace period";
  EXPECT_EQ(s_.state(), SvState::kWaiting);
  EXPECT_EQ(s_.deadline(), now_ + seconds(70));
}

TEST_F(SupervisorSessionTest, AZsupdThatReturnsWithinTheGraceTakesOver) {
  s_.Hello(now_);
  ASSERT_TRUE(s_.Lost(now_, grace_, Why::kNone).reset_link);
  EXPECT_EQ(s_.Lost(now_, grace_, Why::kNone), SvActions{}) << "once";
  s_.Hello(now_ + seconds(30));
  EXPECT_EQ(s_.state(), SvState::kConnected);
  EXPECT_EQ(s_.Tick(now_ + seconds(61), grace_, true).stop_nodes, false);
}

TEST_F(SupervisorSessionTest, AZeroGraceStopsEveryNodeAtOnce) {
  s_.Hello(now_);
  EXPECT_EQ(s_.Lost(now_, Duration::zero(), Why::kNone),
            (SvActions{.reset_link = true, .stop_nodes = true, .why = Why::kGraceZero}));
}

TEST_F(SupervisorSessionTest, ShutdownEndsWithAByeThatZsupdAcknowledges) {
  s_.Hello(now_);
  EXPECT_EQ(s_.Shutdown(), SvActions{.stop_nodes = true});
  EXPECT_EQ(s_.Shutdown(), SvActions{}) << "once";
  EXPECT_FALSE(s_.Tick(now_, grace_, /*nodes_left=*/true).bye);
  SvActions a = s_.Tick(now_, grace_, false);
  EXPECT_TRUE(a.bye);
  EXPECT_EQ(s_.state(), SvState::kByeSent);
  s_.ByeAck();
  EXPECT_TRUE(s_.done());
  EXPECT_TRUE(s_.bye_acked());
}

TEST_F(SupervisorSessionTest, WithoutAByeAckItLeavesAfterTheFlushTimeout) {
  s_.Hello(now_);
  s_.Shutdown();
  s_.Tick(now_, grace_, false);
  s_.Heard(now_ + seconds(9));
  EXPECT_FALSE(s_.Tick(now_ + seconds(9), grace_, false).bye);
  EXPECT_FALSE(s_.done());
  s_.Heard(now_ + seconds(10));
  s_.Tick(now_ + seconds(10), grace_, false);
  EXPECT_TRUE(s_.done());
  EXPECT_FALSE(s_.bye_acked()) << "what zsupd did not read is saved for the next one";
}

TEST_F(SupervisorSessionTest, WithNoZsupdTheByeEndsItAtOnce) {
  s_.Shutdown();  // SIGTERM before any zsupd
  EXPECT_TRUE(s_.Tick(now_, grace_, false).bye);
  EXPECT_TRUE(s_.done());
}

TEST_F(SupervisorSessionTest, ZsupdLostWhileStoppingDoesNotRestartTheGrace) {
  s_.Hello(now_);
  s_.Shutdown();
  const SvActions a = s_.Lost(now_, grace_, Why::kNone);
  EXPECT_TRUE(a.reset_link);
  EXPECT_FALSE(a.stop_nodes);
  EXPECT_TRUE(s_.stopping());
  EXPECT_FALSE(s_.deadline().has_value());
  s_.Tick(now_, grace_, false);
  EXPECT_TRUE(s_.done()) << "no zsupd to acknowledge the Bye";
}

TEST_F(SupervisorSessionTest, ZsupdLostAfterTheByeEndsIt) {
  s_.Hello(now_);
  s_.Shutdown();
  s_.Tick(now_, grace_, false);
  ASSERT_EQ(s_.state(), SvState::kByeSent);
  s_.Lost(now_, grace_, Why::kNone);
  EXPECT_TRUE(s_.done());
}

}  // namespace
}  // namespace zsup
