// StemSession with a fake clock: every transition, and the cases that once
// took real-time waits (a stem lost while its nodes die, a failed start, a
// stem that exits before its Bye arrived, one that never stops).
#include "supervisor/stem_session.h"

#include <gtest/gtest.h>

namespace zsup {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using SessionState = StemSession::State;
using SessionActions = StemSession::Actions;

class StemSessionTest : public ::testing::Test {
 protected:
  StemSession s_{StemSession::Options{seconds(5), seconds(10), seconds(1), seconds(1)}};
  TimePoint now_{seconds(1000)};
  TimePoint no_backoff_{};
};

TEST_F(StemSessionTest, ALostStemIsReplacedOnlyOnceItsNodesAreGone) {
  EXPECT_EQ(s_.StemExited(now_), SessionActions{});
  EXPECT_EQ(s_.state(), SessionState::kLost);
  EXPECT_TRUE(s_.serving());
  EXPECT_EQ(s_.Tick(now_, /*nodes_dying=*/true, no_backoff_), SessionActions{});
  EXPECT_FALSE(s_.deadline(true, no_backoff_).has_value()) << "the pidfds wake the loop";
  EXPECT_EQ(s_.Tick(now_, false, no_backoff_), SessionActions{.connect = true});
  s_.Connected();
  EXPECT_EQ(s_.state(), SessionState::kRunning);
}

TEST_F(StemSessionTest, TheStemClientsBackoffIsHonoured) {
  s_.StemExited(now_);
  const TimePoint later = now_ + seconds(3);
  EXPECT_EQ(s_.Tick(now_, false, later), SessionActions{});
  EXPECT_EQ(s_.deadline(false, later), later);
  EXPECT_TRUE(s_.Tick(later, false, later).connect);
}

TEST_F(StemSessionTest, AFailedStartIsRetriedAfterASecond) {
  s_.StemExited(now_);
  ASSERT_TRUE(s_.Tick(now_, false, no_backoff_).connect);
  s_.ConnectFailed(now_);
  EXPECT_EQ(s_.state(), SessionState::kLost);
  EXPECT_FALSE(s_.Tick(now_ + milliseconds(999), false, no_backoff_).connect);
  EXPECT_EQ(s_.deadline(false, no_backoff_), now_ + seconds(1));
  EXPECT_TRUE(s_.Tick(now_ + seconds(1), false, no_backoff_).connect);
}

TEST_F(StemSessionTest, ShutdownStopsTheStemAndEndsAfterItsByeAndExit) {
  EXPECT_EQ(s_.Shutdown(now_, true), SessionActions{.send_shutdown = true});
  EXPECT_EQ(s_.state(), SessionState::kStopping);
  EXPECT_FALSE(s_.serving());
  EXPECT_EQ(s_.Shutdown(now_, true), SessionActions{}) << "once";
  s_.Bye();
  EXPECT_EQ(s_.state(), SessionState::kStopping) << "until the process is gone";
  s_.StemExited(now_ + seconds(1));
  EXPECT_TRUE(s_.done());
}

TEST_F(StemSessionTest, AStemThatExitsBeforeItsByeArrivedIsDrained) {
  s_.Shutdown(now_, true);
  s_.StemExited(now_);
  EXPECT_EQ(s_.state(), SessionState::kDraining);
  EXPECT_EQ(s_.deadline(false, no_backoff_), now_ + seconds(1));
  s_.Bye();
  EXPECT_TRUE(s_.done());
}

TEST_F(StemSessionTest, ADrainWithoutByeEndsAfterTheDrainTimeout) {
  s_.Shutdown(now_, true);
  s_.StemExited(now_);
  EXPECT_EQ(s_.Tick(now_ + milliseconds(999), false, no_backoff_), SessionActions{});
  EXPECT_EQ(s_.Tick(now_ + seconds(1), false, no_backoff_),
            SessionActions{.why = StemSession::Why::kDrainTimedOut});
  EXPECT_TRUE(s_.done());
}

TEST_F(StemSessionTest, AStemThatDoesNotStopIsKilledAfterTheStopTimeoutAndSlack) {
  s_.Shutdown(now_, true);
  EXPECT_EQ(s_.deadline(false, no_backoff_), now_ + seconds(15));
  EXPECT_EQ(s_.Tick(now_ + seconds(14), false, no_backoff_), SessionActions{});
  EXPECT_EQ(s_.Tick(now_ + seconds(15), false, no_backoff_),
            (SessionActions{.kill_stem = true, .why = StemSession::Why::kStopTimedOut}));
  EXPECT_TRUE(s_.done());
}

TEST_F(StemSessionTest, ShutdownWithNoStemEndsAtOnce) {
  s_.StemExited(now_);  // lost, its nodes still dying
  EXPECT_EQ(s_.Shutdown(now_, false), SessionActions{});
  EXPECT_TRUE(s_.done());
  EXPECT_EQ(s_.Tick(now_, false, no_backoff_), SessionActions{}) << "no new stem once done";
}

TEST_F(StemSessionTest, AByeOfAStemThatThenDiesUnexpectedlyDoesNotCarryOver) {
  s_.Bye();             // a stem said Bye (its grace ran out) while zsupd ran
  s_.StemExited(now_);  // lost: replaced
  ASSERT_TRUE(s_.Tick(now_, false, no_backoff_).connect);
  s_.Connected();
  s_.Shutdown(now_, true);
  s_.StemExited(now_);
  EXPECT_EQ(s_.state(), SessionState::kDraining) << "the old stem's Bye must not end this one";
}

}  // namespace
}  // namespace zsup
