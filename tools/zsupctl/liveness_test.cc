#include "tools/zsupctl/liveness.h"

#include <gtest/gtest.h>

namespace zsup::ctl {
namespace {

using std::chrono::seconds;
using Clock = Liveness::Clock;

TEST(LivenessTest, PingsEveryIntervalWhileZsupdAnswers) {
  const Clock::time_point t0{};
  Liveness l(seconds(5), seconds(2), t0);
  EXPECT_EQ(l.deadline(), t0 + seconds(5));
  EXPECT_FALSE(l.OnDeadline(t0 + seconds(4)).send_ping) << "not due yet";
  LivenessActions a = l.OnDeadline(t0 + seconds(5));
  EXPECT_TRUE(a.send_ping);
  EXPECT_FALSE(a.say_down);
  EXPECT_EQ(l.deadline(), t0 + seconds(7));
  a = l.OnAnswer(t0 + seconds(6));
  EXPECT_FALSE(a.say_up);
  EXPECT_FALSE(l.waiting());
  EXPECT_EQ(l.deadline(), t0 + seconds(11));
}

TEST(LivenessTest, SaysDownOnceAndUpOnceAcrossAnOutage) {
  const Clock::time_point t0{};
  Liveness l(seconds(5), seconds(2), t0);
  ASSERT_TRUE(l.OnDeadline(t0 + seconds(5)).send_ping);
  LivenessActions a = l.OnDeadline(t0 + seconds(7));  // no answer in time
  EXPECT_TRUE(a.say_down);
  EXPECT_TRUE(a.send_ping) << "still trying";
  EXPECT_TRUE(l.down());
  for (int i = 2; i < 10; ++i) {
    a = l.OnDeadline(t0 + seconds(5 + 2 * i));
    EXPECT_TRUE(a.send_ping);
    EXPECT_FALSE(a.say_down) << "said once, not every retry";
  }
  a = l.OnAnswer(t0 + seconds(30));
  EXPECT_TRUE(a.say_up);
  EXPECT_FALSE(l.down());
  EXPECT_FALSE(l.OnAnswer(t0 + seconds(31)).say_up) << "once";
  // A second outage is told again.
  ASSERT_TRUE(l.OnDeadline(t0 + seconds(36)).send_ping);
  EXPECT_TRUE(l.OnDeadline(t0 + seconds(38)).say_down);
}

}  // namespace
}  // namespace zsup::ctl
