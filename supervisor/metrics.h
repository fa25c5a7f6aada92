// Prometheus metrics (PROTOCOL.md, "Metrics"; docs/metrics.md).
//
// Metrics counts what zsupd sees happen (exits by code or signal, published
// output, commands and their durations, stem starts) and renders them with
// the node table's state in Prometheus' text exposition format (0.0.4).
// Counters of a destroyed node are forgotten with it, so the label set stays
// bounded by the nodes configured.
//
// MetricsServer serves GET /metrics with libmicrohttpd in its external
// polling mode: no thread of its own; its epoll descriptor is polled by
// zsupd's loop, which calls Run() when it is readable and when Timeout()
// passes. A scrape is rendered in the loop (microseconds per node) and
// written by libmicrohttpd without blocking. At most kMaxConnections
// connections, each closed after kConnectionTimeoutSeconds idle; requests
// larger than kConnectionMemory bytes are refused by libmicrohttpd.
// Single-threaded; not copyable.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "broker/clock.h"
#include "broker/messages.h"
#include "broker/status.h"
#include "supervisor/node_table.h"

struct MHD_Daemon;

namespace zsup {

struct MicroHttpd;  // supervisor/microhttpd.h

// Label values escaped as the text format requires: \ " and newline.
std::string EscapeLabelValue(std::string_view value);

// Whether an encoded control reply says ok (its `ok` is read without
// decoding the rest).
bool ReplyIsOk(std::string_view reply);

// The command name of a request ("create"), for the `cmd` label.
std::string_view CommandName(const Request& request);

class Metrics {
 public:
  // Upper bounds of zsup_command_duration_seconds' buckets (+Inf is added).
  static constexpr std::array<double, 12> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                      0.05,   0.1,   0.25,   0.5,   1,     2.5};

  void NodeExited(const std::string& node, const std::optional<int64_t>& code,
                  const std::optional<int64_t>& signal);
  void Output(const std::string& node, Stream stream, size_t lines, size_t bytes);
  void Command(std::string_view cmd, bool ok, double seconds);
  void StemStarted() { ++stem_starts_; }
  void Forget(const std::string& node);

  struct DaemonFigures {
    uint64_t events_dropped = 0;   // events published while lossy (each maybe lost by one)
    uint64_t subscribers_cut_off = 0;
  };
  std::string Render(const NodeTable& table, const DaemonFigures& daemon) const;

 private:
  struct NodeCounters {
    std::map<std::string, uint64_t> exits;  // "code=\"3\"" or "signal=\"9\"" -> count
    uint64_t lines[2] = {0, 0};
    uint64_t bytes[2] = {0, 0};
  };
  struct CommandCounters {
    uint64_t ok = 0, failed = 0;
  };
  std::map<std::string, NodeCounters, std::less<>> nodes_;
  std::map<std::string, CommandCounters, std::less<>> commands_;
  std::array<uint64_t, kBuckets.size() + 1> duration_buckets_{};  // not cumulative; last: +Inf
  double duration_sum_ = 0;
  uint64_t duration_count_ = 0;
  uint64_t stem_starts_ = 0;
};

class MetricsServer {
 public:
  static constexpr unsigned kMaxConnections = 64;
  static constexpr unsigned kConnectionTimeoutSeconds = 10;
  static constexpr size_t kConnectionMemory = 32 * 1024;

  // `address`: "HOST:PORT" with a numeric IPv4 address, "[IPv6]:PORT", or
  // ":PORT" (every address). `render` makes the page for each scrape.
  static Result<std::unique_ptr<MetricsServer>> Start(const std::string& address,
                                                      std::function<std::string()> render);
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  int fd() const { return fd_; }
  // Serves what is ready (accepts, reads, answers, writes).
  void Run();
  // When Run() must be called even without activity (idle timeouts).
  std::optional<TimePoint> Deadline(TimePoint now) const;
  uint64_t scrapes() const { return scrapes_; }
  const MicroHttpd& mhd() const { return *mhd_; }
  // The page of one scrape (called by libmicrohttpd's request handler).
  std::string Scrape() {
    ++scrapes_;
    return render_();
  }

 private:
  MetricsServer(const MicroHttpd* mhd, std::function<std::string()> render)
      : mhd_(mhd), render_(std::move(render)) {}

  const MicroHttpd* mhd_;  // supervisor/microhttpd.h: loaded on first Start()
  std::function<std::string()> render_;
  MHD_Daemon* daemon_ = nullptr;
  int fd_ = -1;
  uint64_t scrapes_ = 0;
};

}  // namespace zsup
