#include "tools/zsupctl/format.h"

#include <string.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>

namespace zsup::ctl {
namespace {

std::string TwoUnits(int64_t big, const char* big_unit, int64_t small, const char* small_unit) {
  std::string s = std::to_string(big) + big_unit;
  if (small > 0) s += std::to_string(small) + small_unit;
  return s;
}

// Display width of UTF-8 text, counting code points (node names may be UTF-8).
size_t Width(const std::string& s) {
  return static_cast<size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

std::string Pid(int64_t pid) { return "pid " + std::to_string(pid); }

}  // namespace

std::string FormatDuration(double seconds) {
  const int64_t s = std::isfinite(seconds) && seconds > 0 ? static_cast<int64_t>(seconds) : 0;
  if (s < 60) return std::to_string(s) + "s";
  if (s < 3600) return TwoUnits(s / 60, "m", s % 60, "s");
  if (s < 86400) return TwoUnits(s / 3600, "h", s % 3600 / 60, "m");
  return TwoUnits(s / 86400, "d", s % 86400 / 3600, "h");
}

std::string FormatTimestamp(double unix_seconds) {
  if (!std::isfinite(unix_seconds)) return "?";
  const auto t = static_cast<std::time_t>(std::floor(unix_seconds));
  std::tm tm{};
  if (::gmtime_r(&t, &tm) == nullptr) return "?";
  char buf[32];
  size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return n > 0 ? std::string(buf, n) : "?";
}

std::string SignalName(int64_t signal) {
  if (signal > 0 && signal < 256) {
    if (const char* abbrev = ::sigabbrev_np(static_cast<int>(signal)); abbrev != nullptr) {
      return std::string("SIG") + abbrev;
    }
  }
  return "signal " + std::to_string(signal);
}

std::string DescribeExit(const ExitInfo& exit) {
  if (exit.signal) return SignalName(*exit.signal);
  if (exit.code) return "code " + std::to_string(*exit.code);
  return "unknown";
}

std::string DescribeLastExit(const std::optional<ExitInfo>& exit, double now) {
  if (!exit) return "-";
  return DescribeExit(*exit) + " " + FormatDuration(now - exit->at) + " ago";
}

std::string DescribeEvent(const Event& event) {
  if (const auto* s = std::get_if<NodeStatusEvent>(&event.payload)) {
    return FormatTimestamp(s->at) + " " + s->node + " started " + Pid(s->pid) + " (restarts " +
           std::to_string(s->restarts) + ")";
  }
  if (const auto* x = std::get_if<NodeExitEvent>(&event.payload)) {
    std::string what = x->signal ? "killed by " + SignalName(*x->signal)
                                 : "exited " + DescribeExit(ExitInfo{x->code, x->signal, x->at});
    return FormatTimestamp(x->at) + " " + x->node + " " + what + " (" + Pid(x->pid) +
           (x->commanded ? ", commanded)" : ")");
  }
  if (const auto* f = std::get_if<NodeFailedEvent>(&event.payload)) {
    return FormatTimestamp(f->at) + " " + f->node + " failed: " + f->reason;
  }
  if (const auto* r = std::get_if<NodeReadyEvent>(&event.payload)) {
    return FormatTimestamp(r->at) + " " + r->node + " ready " + Pid(r->pid);
  }
  if (const auto* p = std::get_if<PongEvent>(&event.payload)) {
    return FormatTimestamp(p->at) + " pong " + p->node;
  }
  const auto& o = std::get<OutputEvent>(event.payload);
  return FormatTimestamp(o.at) + " " + o.node + " " + std::string(EventKindName(event.kind)) +
         ": " + o.msg;
}

std::string Table::Render() const {
  std::vector<size_t> widths;
  for (const auto& row : rows_) {
    if (widths.size() < row.size()) widths.resize(row.size(), 0);
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], Width(row[i]));
  }
  std::string out;
  for (const auto& row : rows_) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line.append(widths[i] - Width(row[i]) + 2, ' ');
    }
    line.erase(line.find_last_not_of(' ') + 1);
    out += line + "\n";
  }
  return out;
}

double WallNow() {
  using namespace std::chrono;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

}  // namespace zsup::ctl
