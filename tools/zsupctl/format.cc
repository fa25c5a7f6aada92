#include "tools/zsupctl/format.h"

#include <string.h>

#include <algorithm>
#include <chrono>
#include <cctype>
#include <cmath>
#include <ctime>
#include <map>

namespace zsup::ctl {
namespace {

std::string TwoUnits(int64_t big, const char* big_unit, int64_t small, const char* small_unit) {
  std::string s = std::to_string(big) + big_unit;
  if (small > 0) s += std::to_string(small) + small_unit;
  return s;
}

// Display width of UTF-8 text, counting code points (node names may be
// UTF-8) and leaving out colour sequences (ESC [ ... m, from Colored()).
size_t Width(const std::string& s) {
  size_t width = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\x1b' && i + 1 < s.size() && s[i + 1] == '[') {
      const size_t m = s.find('m', i);
      if (m != std::string::npos) {
        i = m;
        continue;
      }
    }
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) ++width;
  }
  return width;
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
  return DescribeExit(*exit) + (exit->commanded ? " (commanded) " : " ") +
         FormatDuration(now - exit->at) + " ago";
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

bool NaturalLess(const std::string& a, const std::string& b) {
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    const bool da = std::isdigit(static_cast<unsigned char>(a[i])) != 0;
    const bool db = std::isdigit(static_cast<unsigned char>(b[j])) != 0;
    if (da && db) {
      size_t ei = i, ej = j;
      while (ei < a.size() && std::isdigit(static_cast<unsigned char>(a[ei]))) ++ei;
      while (ej < b.size() && std::isdigit(static_cast<unsigned char>(b[ej]))) ++ej;
      // Compare the numbers by value: leading zeros out, then length, then digits.
      size_t zi = i, zj = j;
      while (zi + 1 < ei && a[zi] == '0') ++zi;
      while (zj + 1 < ej && b[zj] == '0') ++zj;
      if (ei - zi != ej - zj) return ei - zi < ej - zj;
      const int c = a.compare(zi, ei - zi, b, zj, ej - zj);
      if (c != 0) return c < 0;
      i = ei;
      j = ej;
      continue;
    }
    if (a[i] != b[j]) return static_cast<unsigned char>(a[i]) < static_cast<unsigned char>(b[j]);
    ++i;
    ++j;
  }
  if (a.size() - i != b.size() - j) return a.size() - i < b.size() - j;
  return a < b;  // equal by value ("w01" and "w1"): a total order all the same
}

std::string Colored(const std::string& text, Color color) {
  const char* code = nullptr;
  switch (color) {
    case Color::kNone:
      return text;
    case Color::kGreen:
      code = "32";
      break;
    case Color::kYellow:
      code = "33";
      break;
    case Color::kRed:
      code = "31";
      break;
    case Color::kDim:
      code = "2";
      break;
  }
  return std::string("\x1b[") + code + "m" + text + "\x1b[0m";
}

std::string StatusSummary(const std::vector<const StatusReport*>& reports, size_t hosts) {
  static constexpr NodeState kOrder[] = {NodeState::kRunning,  NodeState::kStarting,
                                         NodeState::kWaiting,  NodeState::kBackoff,
                                         NodeState::kStopping, NodeState::kStopped,
                                         NodeState::kExited,   NodeState::kFailed};
  std::map<NodeState, size_t> counts;
  size_t total = 0;
  for (const StatusReport* r : reports) {
    for (const auto& [name, s] : r->nodes) {
      ++total;
      if (s.state) ++counts[*s.state];
    }
  }
  std::string out = std::to_string(total) + (total == 1 ? " node" : " nodes");
  if (hosts > 1) out += " on " + std::to_string(hosts) + " hosts";
  std::string parts;
  for (NodeState state : kOrder) {
    if (counts[state] == 0) continue;
    parts += (parts.empty() ? "" : ", ") + std::to_string(counts[state]) + " " +
             std::string(StateName(state));
  }
  return parts.empty() ? out : out + ": " + parts;
}

double WallNow() {
  using namespace std::chrono;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

}  // namespace zsup::ctl
