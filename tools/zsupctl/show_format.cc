#include "tools/zsupctl/show_format.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <map>
#include <string_view>

#include "tools/zsupctl/format.h"
#include "tools/zsupctl/json_output.h"

namespace zsup::ctl {
namespace {

// "  key:" padded so that every value starts in the same column.
constexpr size_t kKeyWidth = 14;

class Block {
 public:
  // A value with several lines: the first beside the key, the others under it.
  void Field(const std::string& key, const std::vector<std::string>& lines) {
    if (lines.empty()) return;
    std::string head = "  " + key + ":";
    head.append(kKeyWidth + 3 > head.size() ? kKeyWidth + 3 - head.size() : 1, ' ');
    out_ += head + lines.front() + "\n";
    for (size_t i = 1; i < lines.size(); ++i) {
      out_ += std::string(head.size(), ' ') + lines[i] + "\n";
    }
  }
  void Field(const std::string& key, const std::string& value) {
    Field(key, std::vector<std::string>{value});
  }
  void Line(const std::string& line) { out_ += line + "\n"; }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

std::string Join(const std::vector<std::string>& words, const std::string& between) {
  std::string s;
  for (const std::string& w : words) s += (s.empty() ? "" : between) + w;
  return s;
}

std::string Seconds(double seconds) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%gs", seconds);
  return buf;
}

std::string Limit(int64_t limit) { return limit < 0 ? "unlimited" : std::to_string(limit); }

std::string DescribeRlimits(const std::map<std::string, Rlimit>& rlimits) {
  std::vector<std::string> parts;
  for (const auto& [name, r] : rlimits) {
    parts.push_back(name + "=" + Limit(r.soft) + (r.soft == r.hard ? "" : ":" + Limit(r.hard)));
  }
  return Join(parts, ", ");
}

std::string Octal(int64_t value) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04llo", static_cast<unsigned long long>(value));
  return buf;
}

// "FILE", plus its rotation and whether it is published too.
std::string DescribeOutput(const std::string& file, const std::optional<Rotation>& rotate,
                           bool tee) {
  std::string s = file;
  if (rotate) {
    s += " (rotated at " + std::to_string(rotate->max_bytes) + " bytes, " +
         std::to_string(rotate->backups) + " backups)";
  }
  return tee ? s + ", also published" : s;
}

std::string DescribeRestart(const NodeConfig& c) {
  std::string s = c.restart_policy.value_or("always");
  if (!c.permanent_failure_codes.empty()) {
    std::vector<std::string> codes;
    for (int64_t code : c.permanent_failure_codes) codes.push_back(std::to_string(code));
    s += "; permanent failure codes " + Join(codes, ", ");
  }
  if (c.start_limit_burst.value_or(0) > 0) {
    s += "; start limit " + std::to_string(*c.start_limit_burst) + " starts in " +
         Seconds(c.start_limit_interval.value_or(10));
  }
  return s;
}

std::string DescribeStop(const NodeConfig& c) {
  return "SIG" + c.stop_signal.value_or("TERM") + ", then SIGKILL after " +
         (c.stop_timeout ? Seconds(*c.stop_timeout) : std::string("zsupd's --stop-timeout"));
}

std::string DescribeExitAt(const ExitInfo& e, double now) {
  return FormatTimestamp(e.at) + "  " + DescribeExit(e) + (e.commanded ? " (commanded)" : "") +
         ", " + FormatDuration(now - e.at) + " ago";
}

void AddState(Block& b, const NodeStatus& s, double now) {
  std::string state = s.state ? std::string(StateName(*s.state)) : "?";
  if (s.desired_up) state += *s.desired_up ? " (desired up)" : " (desired down)";
  b.Field("state", state);
  if (s.failed_reason) b.Field("failed", *s.failed_reason);
  if (s.next_start_at) {
    b.Field("next start", "in " + FormatDuration(*s.next_start_at - now) + " (" +
                              FormatTimestamp(*s.next_start_at) + ")");
  }
  b.Field("ready", !s.pid ? "-" : s.ready.value_or(false) ? "yes" : "no");
  b.Field("pid", s.pid ? std::to_string(*s.pid) : "-");
  b.Field("uptime", s.pid && s.started_at ? FormatDuration(now - *s.started_at) + " (since " +
                                                FormatTimestamp(*s.started_at) + ")"
                                          : "-");
  b.Field("restarts", s.restarts ? std::to_string(*s.restarts) : "-");
  if (s.status_text) b.Field("status text", *s.status_text);
  if (s.last_error) b.Field("last error", *s.last_error);
}

void AddExecution(Block& b, const NodeConfig& c) {
  b.Field("command", c.command.empty() ? "zeek (zsupd's --zeek binary)" : ShellJoin(c.command));
  if (c.directory) b.Field("directory", *c.directory);
  std::vector<std::string> env;
  for (const auto& [key, value] : c.env) env.push_back(key + "=" + value);
  b.Field("env", env);
  if (c.user) b.Field("user", *c.user + (c.group ? ", group " + *c.group : ""));
  if (!c.capabilities.empty()) b.Field("capabilities", Join(c.capabilities, ", "));
  if (c.umask) b.Field("umask", Octal(*c.umask));
  if (c.nice) b.Field("nice", std::to_string(*c.nice));
  if (!c.rlimits.empty()) b.Field("rlimits", DescribeRlimits(c.rlimits));
  const bool tee = c.tee.value_or(false);
  if (c.stdout_file) b.Field("stdout", DescribeOutput(*c.stdout_file, c.stdout_rotate, tee));
  if (c.stderr_file) b.Field("stderr", DescribeOutput(*c.stderr_file, c.stderr_rotate, tee));
}

void AddPolicy(Block& b, const NodeConfig& c) {
  b.Field("restart", DescribeRestart(c));
  b.Field("stop", DescribeStop(c));
  std::string ready = c.ready.value_or("exec");
  if (c.ready_timeout || ready != "exec") {
    ready += ", timeout " + Seconds(c.ready_timeout.value_or(60));
  }
  b.Field("ready when", ready);
  if (c.stage) b.Field("stage", std::to_string(*c.stage));
  if (c.name_space) b.Field("namespace", *c.name_space);
}

void AddZeek(Block& b, const NodeConfig& c) {
  if (c.interface) b.Field("interface", *c.interface);
  if (c.pcap_file) b.Field("pcap file", *c.pcap_file);
  if (c.cpu_affinity) b.Field("cpu affinity", std::to_string(*c.cpu_affinity));
  if (c.bare_mode) b.Field("bare mode", *c.bare_mode ? "yes" : "no");
  std::vector<std::string> scripts = c.addl_base_scripts;
  scripts.insert(scripts.end(), c.scripts.begin(), c.scripts.end());
  scripts.insert(scripts.end(), c.addl_user_scripts.begin(), c.addl_user_scripts.end());
  b.Field("scripts", scripts);
  if (!c.cluster.empty()) {
    std::string cluster = std::to_string(c.cluster.size()) + " members";
    if (auto self = c.cluster.find(c.name); self != c.cluster.end()) {
      cluster += ", this one " + std::string(RoleName(self->second.role)) + " at " +
                 self->second.host + ":" + std::to_string(self->second.p.port);
    }
    if (c.cluster_backend) cluster += ", backend " + c.cluster_backend->type;
    b.Field("cluster", cluster);
  }
}

void AddHistory(Block& b, const NodeDetail& d, double now) {
  std::vector<std::string> exits;
  if (d.status.exits) {
    for (const ExitInfo& e : *d.status.exits) exits.push_back(DescribeExitAt(e, now));
  } else if (d.status.last_exit) {  // a zsupd without `detail`
    exits.push_back(DescribeExitAt(*d.status.last_exit, now));
  }
  if (exits.empty()) exits.emplace_back("-");
  b.Field(exits.size() > 1 ? "last exits" : "last exit", exits);
  if (d.stderr_note) {
    b.Field("recent stderr", *d.stderr_note);
  } else if (d.stderr_lines.empty()) {
    b.Field("recent stderr", "-");
  } else {
    b.Line("  recent stderr:");
    for (const OutputLine& l : d.stderr_lines) b.Line("    " + FormatTimestamp(l.at) + " " + l.msg);
  }
}

bool ShellSafe(const std::string& word) {
  return !word.empty() && std::all_of(word.begin(), word.end(), [](unsigned char ch) {
    return std::isalnum(ch) != 0 ||
           std::string_view("@%+=:,./_-").find(static_cast<char>(ch)) != std::string_view::npos;
  });
}

}  // namespace

std::string ShellJoin(const std::vector<std::string>& words) {
  std::string s;
  for (const std::string& w : words) {
    if (!s.empty()) s += ' ';
    if (ShellSafe(w)) {
      s += w;
      continue;
    }
    s += '\'';
    for (char ch : w) s += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
    s += '\'';
  }
  return s;
}

std::string FormatNodeDetail(const NodeDetail& d, double now) {
  Block b;
  b.Line(d.host.empty() ? d.name : d.name + " on " + d.host);
  AddState(b, d.status, now);
  AddExecution(b, d.status.node);
  AddPolicy(b, d.status.node);
  AddZeek(b, d.status.node);
  AddHistory(b, d, now);
  return b.Take();
}

nlohmann::ordered_json NodeDetailJson(const NodeDetail& d, double now) {
  nlohmann::ordered_json j;
  if (!d.host.empty()) j["host"] = d.host;
  j.update(NodeStatusJson(d.name, d.status, now));
  nlohmann::ordered_json exits = nlohmann::ordered_json::array();
  if (d.status.exits) {
    for (const ExitInfo& e : *d.status.exits) exits.push_back(ExitJson(e));
  } else if (d.status.last_exit) {
    exits.push_back(ExitJson(*d.status.last_exit));
  }
  j["exits"] = std::move(exits);
  nlohmann::ordered_json lines = nlohmann::ordered_json::array();
  for (const OutputLine& l : d.stderr_lines) {
    lines.push_back({{"seq", l.seq}, {"at", l.at}, {"msg", l.msg}});
  }
  j["stderr"] = std::move(lines);
  j["stderr_note"] =
      d.stderr_note ? nlohmann::ordered_json(*d.stderr_note) : nlohmann::ordered_json(nullptr);
  return j;
}

}  // namespace zsup::ctl
