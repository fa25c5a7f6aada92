// A real zsupd on a state directory, as the figures use it: started with
// --ready-fd (the start time is fork to READY), --no-echo and the chosen
// durability; stopped in order, or killed with SIGKILL to leave its stem and
// nodes running for the next zsupd to adopt. The daemon's output goes to
// DIR/zsupd.log, whose tail is attached to errors.
//
// The destructor stops zsupd (SIGTERM, then SIGKILL) and kills a stem that
// outlived it (its nodes die with it: they have PR_SET_PDEATHSIG).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include "broker/fd.h"
#include "broker/status.h"
#include "tools/bench/process.h"

namespace zsup::bench {

struct DaemonOptions {
  std::string zsupd;                 // binary
  std::string stem;                  // zsup-stem binary, passed as --stem
  std::string synchronous = "full";  // --synchronous
  int events_hwm = 0;                // --events-hwm; 0: zsupd's default
  std::vector<std::string> extra_args;
};

class Daemon {
 public:
  Daemon(std::string dir, DaemonOptions options);
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  // Starts zsupd and waits for READY within `timeout`.
  Status Start(milliseconds timeout = milliseconds(60000));
  // Seconds from fork to READY of the last Start().
  double ready_seconds() const { return ready_seconds_; }
  // SIGTERM and wait: zsupd stops every node and the stem.
  Status Stop(milliseconds timeout = milliseconds(60000));
  // SIGKILL and reap zsupd only.
  void Kill();
  // SIGKILL the stem of this state dir if one runs (and reap nothing: it is
  // not our child once its zsupd is gone).
  void KillStem();

  pid_t pid() const { return child_.pid(); }
  // The pid in DIR/stem.lock when that process is a live zsup-stem, else 0.
  pid_t StemPid() const;
  const std::string& dir() const { return dir_; }
  std::string control_endpoint() const { return "ipc://" + dir_ + "/control.sock"; }
  std::string events_endpoint() const { return "ipc://" + dir_ + "/events.sock"; }
  // `s` with the last lines of DIR/zsupd.log appended (OK stays OK).
  Status WithLog(const Status& s) const;

 private:
  std::string dir_;
  DaemonOptions options_;
  UniqueFd log_;
  Child child_;
  double ready_seconds_ = 0;
};

}  // namespace zsup::bench
