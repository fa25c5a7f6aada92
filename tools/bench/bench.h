// What every figure gets: the binaries, the counts of this run, the ZeroMQ
// context and the report. One Run* function per figure (one file each);
// each starts its own zsupd in its own temp state dir, adds its rows and
// numbers to the report, and leaves no process or directory behind.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <zmq.hpp>

#include "broker/status.h"
#include "tools/bench/client.h"
#include "tools/bench/daemon.h"
#include "tools/bench/process.h"
#include "tools/bench/report.h"

namespace zsup::bench {

struct Paths {
  std::string zsupd;
  std::string stem;
  std::string test_node;
  std::string zsupctl;     // the cli figure
  std::string bench_true;  // its floor: a static program that does nothing
  std::string self;        // this binary, for the floors' server processes (--serve-*)
};

// Counts of one run. Full() are the issue's; Quick() fit in under a minute.
struct Counts {
  int round_trips = 10000;  // control: pings, and status calls
  int creates = 200;
  int revivals = 50;
  int64_t output_lines = 1000000;  // per node
  int output_nodes = 8;            // the "N nodes at once" case
  int64_t multi_node_lines = 1000000;
  int line_bytes = 100;
  int scale_nodes = 1000;
  int status_calls = 200;  // status of all, at scale
  int64_t file_output_bytes = 100 << 20;  // one node's output to its stdout_file
  int cli_calls = 200;                     // one-shot `zsupctl status` runs

  static Counts Full() { return Counts{}; }
  static Counts Quick() {
    Counts c;
    c.round_trips = 2000;
    c.creates = 20;
    c.revivals = 10;
    c.output_lines = 200000;
    c.multi_node_lines = 50000;
    c.scale_nodes = 100;
    c.status_calls = 50;
    c.file_output_bytes = 20 << 20;
    c.cli_calls = 20;
    return c;
  }
};

struct Bench {
  Paths paths;
  Counts counts;
  bool quick = false;
  int events_hwm = 0;  // passed to zsupd as --events-hwm when > 0
  zmq::context_t* context = nullptr;
  Report* report = nullptr;

  DaemonOptions ZsupdOptions(const std::string& synchronous = "full") const {
    return {paths.zsupd, paths.stem, synchronous, events_hwm, {}};
  }
};

// The targets of the scale and replay figures for a node count: issue 6's
// (and issue 16's PSS) for 1,000 nodes, issue 16's for 10,000. From 5,000
// nodes up the 10,000-node ones apply (a hard open-file limit of 20,000
// holds at most 9,968 nodes); below 1,000 nothing is judged, targets
// written for the counts cannot be judged on smaller ones.
struct ScaleTargets {
  bool judged = false;
  double status_seconds = 10e-3;         // status of all, p50
  std::optional<int64_t> rss_kib;        // zsupd + stem
  int64_t pss_kib = int64_t{12} << 10;   // zsupd + stem
  std::optional<double> replay_seconds;  // start → all running
  double adopt_seconds = 0.2;            // start → READY after kill -9
};
inline ScaleTargets TargetsFor(int nodes) {
  ScaleTargets t;
  t.judged = nodes >= 1000;
  if (nodes >= 5000) {
    t.status_seconds = 30e-3;
    t.pss_kib = int64_t{80} << 10;
    t.adopt_seconds = 1.0;
  } else {
    t.rss_kib = int64_t{40} << 10;
    t.replay_seconds = 2.0;
  }
  return t;
}

// What most figures start with: a zsupd in a fresh temp state dir, with a
// control client and a subscriber to `prefixes` (destroyed in reverse
// order, so zsupd is gone before its directory).
struct Session {
  TempDir dir;
  std::unique_ptr<Daemon> daemon;
  std::unique_ptr<Control> control;
  std::unique_ptr<Events> events;
};
inline Result<std::unique_ptr<Session>> StartSession(Bench& b, const std::string& dir_prefix,
                                                     const std::vector<std::string>& prefixes) {
  auto dir = TempDir::Make(dir_prefix);
  if (!dir.ok()) return dir.status();
  auto session = std::make_unique<Session>(Session{std::move(*dir), nullptr, nullptr, nullptr});
  session->daemon = std::make_unique<Daemon>(session->dir.path(), b.ZsupdOptions());
  Status s = session->daemon->Start();
  if (!s.ok()) return s;
  session->control = std::make_unique<Control>(*b.context, session->daemon->control_endpoint());
  auto events =
      Events::Connect(*b.context, session->daemon->events_endpoint(), *session->control, prefixes);
  if (!events.ok()) return session->daemon->WithLog(events.status());
  session->events = std::move(*events);
  return session;
}

Status RunControl(Bench& b);
Status RunCreate(Bench& b);
Status RunRevival(Bench& b);
Status RunOutput(Bench& b);
// Leaves its state dir (every node configured, zsupd stopped) in *leftover
// for RunReplay, which otherwise prepares one itself.
Status RunScale(Bench& b, std::optional<TempDir>* leftover);
Status RunReplay(Bench& b, std::optional<TempDir> prepared);
Status RunApply(Bench& b);
Status RunCli(Bench& b);
Status RunFileOutput(Bench& b);

}  // namespace zsup::bench
