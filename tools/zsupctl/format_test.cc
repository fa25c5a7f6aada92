#include "tools/zsupctl/format.h"

#include <gtest/gtest.h>
#include <signal.h>

namespace zsup::ctl {
namespace {

TEST(FormatTest, DurationShowsTwoUnitsAndDropsZeroSeconds) {
  EXPECT_EQ(FormatDuration(0), "0s");
  EXPECT_EQ(FormatDuration(-3), "0s");
  EXPECT_EQ(FormatDuration(45.9), "45s");
  EXPECT_EQ(FormatDuration(180), "3m");
  EXPECT_EQ(FormatDuration(192), "3m12s");
  EXPECT_EQ(FormatDuration(2 * 3600 + 5 * 60 + 7), "2h5m");
  EXPECT_EQ(FormatDuration(3 * 86400 + 4 * 3600 + 59), "3d4h");
}

TEST(FormatTest, TimestampIsUtcToTheSecond) {
  EXPECT_EQ(FormatTimestamp(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatTimestamp(1795646401.9), "2026-11-25T22:40:01Z");
}

TEST(FormatTest, ExitsAreCodesOrSignalNames) {
  EXPECT_EQ(SignalName(SIGKILL), "SIGKILL");
  EXPECT_EQ(SignalName(0), "signal 0");
  EXPECT_EQ(DescribeExit(ExitInfo{1, std::nullopt, 0}), "code 1");
  EXPECT_EQ(DescribeExit(ExitInfo{std::nullopt, SIGTERM, 0}), "SIGTERM");
  EXPECT_EQ(DescribeLastExit(ExitInfo{1, std::nullopt, 1000}, 1180), "code 1 3m ago");
  EXPECT_EQ(DescribeLastExit(ExitInfo{std::nullopt, SIGKILL, 1000}, 1005), "SIGKILL 5s ago");
  EXPECT_EQ(DescribeLastExit(std::nullopt, 1000), "-");
}

TEST(FormatTest, EventsReadAsSentences) {
  const double at = 1795646401;
  EXPECT_EQ(DescribeEvent({EventKind::kNodeStatus, NodeStatusEvent{"w1", 1234, 2, at}}),
            "2026-11-25T22:40:01Z w1 started pid 1234 (restarts 2)");
  EXPECT_EQ(DescribeEvent({EventKind::kNodeExit, NodeExitEvent{"w1", 1234, 1, {}, false, at}}),
            "2026-11-25T22:40:01Z w1 exited code 1 (pid 1234)");
  EXPECT_EQ(DescribeEvent({EventKind::kNodeExit, NodeExitEvent{"w1", 1234, {}, SIGKILL, true, at}}),
            "2026-11-25T22:40:01Z w1 killed by SIGKILL (pid 1234, commanded)");
}

TEST(FormatTest, TableAlignsColumnsByCharacters) {
  Table t({"NAME", "PID"});
  t.AddRow({"w1", "12"});
  t.AddRow({"wörker", "-"});
  EXPECT_EQ(t.Render(),
            "NAME    PID\n"
            "w1      12\n"
            "wörker  -\n");
}

}  // namespace
}  // namespace zsup::ctl
