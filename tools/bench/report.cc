#include "tools/bench/report.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "tools/bench/stats.h"

namespace zsup::bench {
namespace {

// Terminal columns of a UTF-8 string (every code point counts as one).
size_t Width(const std::string& s) {
  return static_cast<size_t>(
      std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

std::string Pad(const std::string& s, size_t width) {
  return s + std::string(width > Width(s) ? width - Width(s) : 0, ' ');
}

std::string MarkText(Mark m) {
  switch (m) {
    case Mark::kInfo:
      return "";
    case Mark::kPass:
      return "pass";
    case Mark::kMiss:
      return "MISS";
    case Mark::kNotApplicable:
      return "n/a";
  }
  return "";
}

std::string FirstLine(const std::string& s, const std::string& key) {
  std::istringstream in(s);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key, 0) == 0) {
      size_t colon = line.find(':');
      if (colon == std::string::npos) return "";
      size_t start = line.find_first_not_of(" \t", colon + 1);
      return start == std::string::npos ? "" : line.substr(start);
    }
  }
  return "";
}

}  // namespace

std::string FormatNumber(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string FormatSeconds(double s) {
  if (s < 1e-3) return FormatNumber(s * 1e6, 1) + " µs";
  if (s < 1.0) return FormatNumber(s * 1e3, s < 0.1 ? 2 : 1) + " ms";
  return FormatNumber(s, 2) + " s";
}

std::string FormatDelta(double seconds) {
  return (seconds >= 0 ? "+" : "−") + FormatSeconds(seconds >= 0 ? seconds : -seconds);
}

std::string FormatRatio(double ratio) { return FormatNumber(ratio, 2) + "×"; }

std::string FormatRate(double per_second, const std::string& unit) {
  if (per_second >= 1e6) return FormatNumber(per_second / 1e6, 2) + " M " + unit + "/s";
  if (per_second >= 1e3) return FormatNumber(per_second / 1e3, 1) + " k " + unit + "/s";
  return FormatNumber(per_second, 0) + " " + unit + "/s";
}

std::string FormatKib(int64_t kib) {
  return FormatNumber(static_cast<double>(kib) / 1024.0, 1) + " MiB";
}

void Report::AddError(const std::string& figure, const std::string& message) {
  errors_.emplace_back(figure, message);
}

int Report::misses() const {
  return static_cast<int>(std::count_if(rows_.begin(), rows_.end(),
                                        [](const Row& r) { return r.mark == Mark::kMiss; }));
}

void Report::Print(std::ostream& out) const {
  const std::vector<std::string> head = {"figure", "value", "floor", "vs floor", "target", ""};
  std::vector<std::vector<std::string>> cells;
  cells.reserve(rows_.size());
  for (const Row& r : rows_) {
    cells.push_back({r.figure, r.value, r.floor, r.ratio_text, r.target, MarkText(r.mark)});
  }
  std::vector<size_t> widths;
  for (const std::string& h : head) widths.push_back(Width(h));
  for (const auto& row : cells) {
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], Width(row[i]));
  }
  auto print = [&](const std::vector<std::string>& row) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) line += Pad(row[i], widths[i]) + "  ";
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out << line << "\n";
  };
  print(head);
  std::vector<std::string> rule;
  rule.reserve(widths.size());
  for (size_t w : widths) rule.emplace_back(w, '-');
  print(rule);
  for (const auto& row : cells) print(row);
  for (const auto& [figure, message] : errors_) {
    out << "\nERROR in " << figure << ": " << message << "\n";
  }
}

Status Report::WriteJson(const std::string& path) const {
  nlohmann::json j = json_;
  j["rows"] = nlohmann::json::array();
  for (const Row& r : rows_) {
    nlohmann::json row = {{"figure", r.figure}, {"value", r.value},
                          {"floor", r.floor},   {"vs_floor", r.ratio_text},
                          {"target", r.target}, {"mark", MarkText(r.mark)}};
    if (r.ratio) row["ratio"] = *r.ratio;
    j["rows"].push_back(std::move(row));
  }
  j["errors"] = nlohmann::json::array();
  for (const auto& [figure, message] : errors_) {
    j["errors"].push_back({{"figure", figure}, {"message", message}});
  }
  j["misses"] = misses();
  std::ofstream f(path);
  f << j.dump(2) << "\n";
  f.close();
  if (!f) return Status::Error("cannot write " + path);
  return Status::Ok();
}

nlohmann::json MachineInfo() {
  nlohmann::json m;
  utsname u{};
  if (::uname(&u) == 0) m["kernel"] = std::string(u.sysname) + " " + u.release + " " + u.machine;
  m["cpu"] = FirstLine(ReadTextFile("/proc/cpuinfo"), "model name");
  m["cores_online"] = ::sysconf(_SC_NPROCESSORS_ONLN);
  m["memory"] = FirstLine(ReadTextFile("/proc/meminfo"), "MemTotal");
  std::string load = ReadTextFile("/proc/loadavg");
  if (!load.empty() && load.back() == '\n') load.pop_back();
  m["loadavg_at_start"] = load;
  return m;
}

}  // namespace zsup::bench
