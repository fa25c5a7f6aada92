#include "base/idle_trim.h"

#include <gtest/gtest.h>

namespace zsup {
namespace {

using std::chrono::milliseconds;
using Clock = IdleTrim::Clock;

struct Counted {
  int releases = 0;
  IdleTrim trim{milliseconds(1000), [this] { ++releases; }};
};

TEST(IdleTrimTest, NothingToDoBeforeAnyActivity) {
  Counted c;
  const Clock::time_point t0{};
  EXPECT_EQ(c.trim.deadline(), std::nullopt);
  EXPECT_FALSE(c.trim.Tick(t0 + milliseconds(5000)));
  EXPECT_EQ(c.releases, 0);
}

TEST(IdleTrimTest, ReleasesOnceAQuietPeriodAfterTheLastActivity) {
  Counted c;
  const Clock::time_point t0{};
  c.trim.OnActivity(t0);
  c.trim.OnActivity(t0 + milliseconds(400));  // still busy: the period restarts
  EXPECT_EQ(c.trim.deadline(), t0 + milliseconds(1400));
  EXPECT_FALSE(c.trim.Tick(t0 + milliseconds(1399)));
  EXPECT_EQ(c.releases, 0);
  EXPECT_TRUE(c.trim.Tick(t0 + milliseconds(1400)));
  EXPECT_EQ(c.releases, 1);
  // Once per quiet period: idle wakeups after it do nothing.
  EXPECT_EQ(c.trim.deadline(), std::nullopt);
  EXPECT_FALSE(c.trim.Tick(t0 + milliseconds(9000)));
  EXPECT_EQ(c.releases, 1);
}

TEST(IdleTrimTest, NewActivityArmsItAgain) {
  Counted c;
  const Clock::time_point t0{};
  c.trim.OnActivity(t0);
  EXPECT_TRUE(c.trim.Tick(t0 + milliseconds(1000)));
  c.trim.OnActivity(t0 + milliseconds(5000));
  EXPECT_TRUE(c.trim.Tick(t0 + milliseconds(6000)));
  EXPECT_EQ(c.releases, 2);
}

TEST(IdleTrimTest, TheDefaultReleaseRunsWithEitherAllocator) {
  ReleaseFreeMemory();  // mi_collect or malloc_trim: neither may crash
}

}  // namespace
}  // namespace zsup
