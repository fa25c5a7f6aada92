// Numbers the figures are made of: latency summaries (nearest-rank
// percentiles) and what a process costs, read from /proc.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace zsup::bench {

using Clock = std::chrono::steady_clock;

inline double SecondsBetween(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}
inline double SecondsSince(Clock::time_point from) { return SecondsBetween(from, Clock::now()); }

// A latency distribution, in seconds. Empty input gives n == 0 and zeros.
struct Summary {
  size_t n = 0;
  double p50 = 0, p90 = 0, p99 = 0, min = 0, max = 0, mean = 0;
};
Summary Summarize(std::vector<double> samples);
nlohmann::json ToJson(const Summary& s);  // milliseconds, keys "p50_ms" ...

// What one process has cost so far. `ok` is false when it is gone.
struct ProcessUsage {
  bool ok = false;
  double cpu_seconds = 0;  // utime + stime of all its threads
  int64_t rss_kib = 0;     // VmRSS now
  int64_t hwm_kib = 0;     // VmHWM: peak resident set over its lifetime
  // Pss of smaps_rollup: resident pages, each shared one divided by the
  // number of processes mapping it (zsupd and the stem share libraries)
  int64_t pss_kib = 0;
};
ProcessUsage ReadUsage(pid_t pid);

// This process (all threads, including ZeroMQ's I/O thread).
double SelfCpuSeconds();
// The calling thread only.
double ThreadCpuSeconds();

// Whole file, or "" when it cannot be read.
std::string ReadTextFile(const std::string& path);

}  // namespace zsup::bench
