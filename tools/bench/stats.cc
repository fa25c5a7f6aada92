#include "tools/bench/stats.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <numeric>
#include <sstream>

namespace zsup::bench {
namespace {

// Nearest rank: the smallest sample with at least p of the samples at or below it.
double Percentile(const std::vector<double>& sorted, double p) {
  auto rank = static_cast<size_t>(std::ceil(p * static_cast<double>(sorted.size())));
  rank = std::clamp<size_t>(rank, 1, sorted.size());
  return sorted[rank - 1];
}

double RusageSeconds(const rusage& u) {
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// The number after "<key>:" at the start of a line of /proc/<pid>/status.
int64_t StatusField(const std::string& status, const std::string& key) {
  const std::string field = key + ":";
  for (size_t at = 0; at < status.size(); at = status.find('\n', at) + 1) {
    if (status.compare(at, field.size(), field) == 0) {
      return std::strtoll(status.c_str() + at + field.size(), nullptr, 10);
    }
    if (status.find('\n', at) == std::string::npos) break;
  }
  return 0;
}

}  // namespace

Summary Summarize(std::vector<double> samples) {
  Summary s;
  if (samples.empty()) return s;
  std::sort(samples.begin(), samples.end());
  s.n = samples.size();
  s.p50 = Percentile(samples, 0.50);
  s.p90 = Percentile(samples, 0.90);
  s.p99 = Percentile(samples, 0.99);
  s.min = samples.front();
  s.max = samples.back();
  s.mean = std::accumulate(samples.begin(), samples.end(), 0.0) / static_cast<double>(s.n);
  return s;
}

nlohmann::json ToJson(const Summary& s) {
  return {{"n", s.n},
          {"p50_ms", s.p50 * 1e3},
          {"p90_ms", s.p90 * 1e3},
          {"p99_ms", s.p99 * 1e3},
          {"min_ms", s.min * 1e3},
          {"max_ms", s.max * 1e3},
          {"mean_ms", s.mean * 1e3}};
}

std::string ReadTextFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

ProcessUsage ReadUsage(pid_t pid) {
  ProcessUsage u;
  const std::string base = "/proc/" + std::to_string(pid);
  const std::string stat = ReadTextFile(base + "/stat");
  const std::string status = ReadTextFile(base + "/status");
  // Fields after the command name, which may contain spaces and parentheses.
  const size_t paren = stat.rfind(')');
  if (paren == std::string::npos) return u;
  std::istringstream fields(stat.substr(paren + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; fields >> field; ++i) {  // field 3 is the state
    if (i == 14) utime = std::stoull(field);
    if (i == 15) {
      stime = std::stoull(field);
      break;
    }
  }
  u.cpu_seconds = static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
  u.rss_kib = StatusField(status, "VmRSS");
  u.hwm_kib = StatusField(status, "VmHWM");
  u.pss_kib = StatusField(ReadTextFile(base + "/smaps_rollup"), "Pss");
  u.ok = true;
  return u;
}

double SelfCpuSeconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return RusageSeconds(u);
}

double ThreadCpuSeconds() {
  rusage u{};
  ::getrusage(RUSAGE_THREAD, &u);
  return RusageSeconds(u);
}

}  // namespace zsup::bench
