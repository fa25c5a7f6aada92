#include "stem/revival.h"

#include <gtest/gtest.h>

namespace zsup {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// Crashes `n` times right after each start; returns the delays applied.
std::vector<Duration> CrashLoop(RevivalSchedule& r, int n, TimePoint& now) {
  std::vector<Duration> delays;
  for (int i = 0; i < n; ++i) {
    TimePoint started = now;
    now += milliseconds(10);
    TimePoint next = r.OnExit(started, now);
    delays.push_back(next - started);
    now = next;
    r.OnRevive();
  }
  return delays;
}

TEST(RevivalTest, FirstRevivalOneSecondAfterStart) {
  RevivalSchedule r;
  TimePoint t0{};
  EXPECT_EQ(r.OnExit(t0, t0 + milliseconds(100)), t0 + seconds(1));
}

TEST(RevivalTest, ExitLaterThanDelayRevivesAtOnce) {
  RevivalSchedule r;
  TimePoint t0{};
  EXPECT_EQ(r.OnExit(t0, t0 + seconds(5)), t0 + seconds(5));
}

TEST(RevivalTest, DelayDoublesEveryThirdAttempt) {
  RevivalSchedule r;
  TimePoint now{};
  auto delays = CrashLoop(r, 9, now);
  std::vector<Duration> want = {seconds(1), seconds(1), seconds(1), seconds(2), seconds(2),
                                seconds(2), seconds(4), seconds(4), seconds(4)};
  EXPECT_EQ(delays, want);
}

TEST(RevivalTest, DelayIsCapped) {
  RevivalSchedule r(seconds(5));
  TimePoint now{};
  auto delays = CrashLoop(r, 12, now);
  EXPECT_EQ(delays.back(), seconds(5));
  for (Duration d : delays) EXPECT_LE(d, seconds(5));
}

TEST(RevivalTest, DefaultCapIsFiveMinutes) {
  RevivalSchedule r;
  TimePoint now{};
  auto delays = CrashLoop(r, 60, now);
  EXPECT_EQ(delays.back(), std::chrono::minutes(5));
}

TEST(RevivalTest, ResetAfterThirtySecondsUp) {
  RevivalSchedule r;
  TimePoint now{};
  CrashLoop(r, 6, now);
  EXPECT_EQ(r.delay(), seconds(4));
  TimePoint started = now;
  now += seconds(31);
  EXPECT_EQ(r.OnExit(started, now), now);  // 1 s delay measured from start: already passed
  EXPECT_EQ(r.delay(), seconds(1));
  EXPECT_EQ(r.attempts(), 0);
}

TEST(RevivalTest, ThirtySecondsExactlyDoesNotReset) {
  RevivalSchedule r;
  TimePoint now{};
  CrashLoop(r, 3, now);
  EXPECT_EQ(r.delay(), seconds(2));
  r.OnExit(now, now + seconds(30));
  EXPECT_EQ(r.delay(), seconds(2));
}

TEST(RevivalTest, ResetForgetsHistory) {
  RevivalSchedule r;
  TimePoint now{};
  CrashLoop(r, 7, now);
  r.Reset();
  EXPECT_EQ(r.delay(), seconds(1));
  EXPECT_EQ(r.attempts(), 0);
}

}  // namespace
}  // namespace zsup
