// How zsupctl shows things to a person: durations, times, exits, events and
// aligned tables. Pure functions of their arguments (the current time is one).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "broker/codec.h"
#include "broker/messages.h"

namespace zsup::ctl {

// The two most significant units, a zero second unit left out:
// "0s", "45s", "3m", "3m12s", "2h5m", "3d4h". Negative counts as 0.
std::string FormatDuration(double seconds);

// UTC, to the second: "2026-11-25T22:40:01Z".
std::string FormatTimestamp(double unix_seconds);

// "SIGKILL", or "signal 99" for numbers without a name.
std::string SignalName(int64_t signal);

// "code 1", "SIGKILL", or "unknown" when neither is set.
std::string DescribeExit(const ExitInfo& exit);

// "code 1 3m ago", "SIGKILL 5s ago", "SIGTERM (commanded) 5s ago" when
// destroy/restart/stop/shutdown caused it, or "-" without an exit.
std::string DescribeLastExit(const std::optional<ExitInfo>& exit, double now);

// A node_status or node_exit event as one line:
//   "2026-11-25T22:40:01Z w1 started pid 1234 (restarts 2)"
//   "2026-11-25T22:40:01Z w1 exited code 1 (pid 1234)"
//   "2026-11-25T22:40:01Z w1 killed by SIGKILL (pid 1234, commanded)"
// Output events come out as "<time> <node> <stream>: <msg>".
std::string DescribeEvent(const Event& event);

// Left-aligned columns separated by two spaces; the first row is the header.
class Table {
 public:
  explicit Table(std::vector<std::string> header) { rows_.push_back(std::move(header)); }
  void AddRow(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  // Every row ends with "\n"; trailing blanks are trimmed.
  std::string Render() const;

 private:
  std::vector<std::vector<std::string>> rows_;
};

// Names as a person sorts them: runs of digits by their value, so
// "w2" < "w10" (plain byte order elsewhere).
bool NaturalLess(const std::string& a, const std::string& b);

// `text` in a terminal colour (ANSI SGR); Table measures it without the codes.
enum class Color { kNone, kGreen, kYellow, kRed, kDim };
std::string Colored(const std::string& text, Color color);

// "12 nodes: 10 running, 1 backoff, 1 failed" (states in lifecycle order,
// those with no node left out); " on 3 hosts" after "nodes" when `hosts` > 1.
std::string StatusSummary(const std::vector<const StatusReport*>& reports, size_t hosts);

// Seconds since the Unix epoch, as the wire's `at` fields.
double WallNow();

}  // namespace zsup::ctl
