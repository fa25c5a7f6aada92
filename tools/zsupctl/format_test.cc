#include "tools/zsupctl/format.h"

#include <gtest/gtest.h>

#include <algorithm>
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
  EXPECT_EQ(DescribeLastExit(ExitInfo{std::nullopt, SIGTERM, 1000, true}, 1005),
            "SIGTERM (commanded) 5s ago");
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

TEST(FormatTest, NaturalOrderComparesNumbersByValue) {
  std::vector<std::string> names = {"w10", "w2", "w1", "manager", "w02", "proxy-10", "proxy-9",
                                    "w"};
  std::sort(names.begin(), names.end(), NaturalLess);
  EXPECT_EQ(names, (std::vector<std::string>{"manager", "proxy-9", "proxy-10", "w", "w1", "w02",
                                             "w2", "w10"}));
  EXPECT_FALSE(NaturalLess("a", "a"));
  EXPECT_TRUE(NaturalLess("a9", "a10"));
  EXPECT_TRUE(NaturalLess("9", "a"));
}

TEST(FormatTest, ColouredCellsKeepTheColumnsAligned) {
  Table t({"NAME", "STATE", "PID"});
  t.AddRow({"w1", Colored("running", Color::kGreen), "1"});
  t.AddRow({"w2", "failed", "2"});
  EXPECT_EQ(t.Render(),
            "NAME  STATE    PID\n"
            "w1    \x1b[32mrunning\x1b[0m  1\n"
            "w2    failed   2\n");
  EXPECT_EQ(Colored("x", Color::kNone), "x");
}

TEST(FormatTest, SummaryCountsTheStates) {
  StatusReport a, b;
  a.nodes["w1"].state = NodeState::kRunning;
  a.nodes["w2"].state = NodeState::kFailed;
  b.nodes["w3"].state = NodeState::kRunning;
  b.nodes["w4"].state = NodeState::kBackoff;
  EXPECT_EQ(StatusSummary({&a, &b}, 2), "4 nodes on 2 hosts: 2 running, 1 backoff, 1 failed");
  StatusReport one;
  one.nodes["x"].state = NodeState::kStopped;
  EXPECT_EQ(StatusSummary({&one}, 1), "1 node: 1 stopped");
}

}  // namespace
}  // namespace zsup::ctl
