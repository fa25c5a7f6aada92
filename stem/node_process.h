// The lifecycle of one node as an explicit state machine, with no processes
// and no clock of its own: the stem feeds it events with the current time and
// carries out the actions it returns. Tested with a fake clock.
//
//   Start ──spawn──▶ starting ──exec ok──▶ running
//                       │  ▲                  │
//            exited by  │  └── revival due ◀──┼── backoff ◀── exited by itself
//            itself     ▼                     │
//                    backoff            Stop: SIGTERM ──▶ stopping ──(stop timeout)──▶ SIGKILL
//                                                           │ exited
//                               restart: spawn again ◀──────┤
//                               destroy/shutdown: exited, forget
//
// Stop while in backoff needs no signal: destroy/shutdown forget the node at
// once, restart spawns at once. A replacement is only spawned after the
// process it replaces has been reaped, so the two never run together.
//
// Readiness (v2): a process is ready at exec (`ready: exec`) or when the
// stem says so (BecameReady: READY=1 on the notify socket, a TCP connect).
// Not ready within ready_timeout of its spawn, it is stopped like a restart
// would stop it, and its exit counts as a failed start (revived on schedule
// unless its restart_policy is `never`, counted against the start limit).
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "broker/clock.h"
#include "broker/messages.h"
#include "stem/revival.h"

namespace zsup {

enum class StopReason { kRestart, kDestroy, kShutdown, kReadyTimeout };

// What the driver must do after an event, in this order.
struct NodeActions {
  int signal = 0;               // send to the node's process group
  bool report_started = false;  // exec succeeded: NodeStarted
  bool report_exit = false;     // the process ended: NodeExited (see last_exit())
  bool spawn = false;           // start a process now, then Spawned()/SpawnFailed()
  bool forget = false;          // the node is gone for good: drop it
  bool report_ready = false;    // the current process became ready
  bool ready_timed_out = false;  // not ready in time: being stopped (report why)
};

class NodeProcess {
 public:
  struct Options {
    Duration stop_timeout = std::chrono::seconds(26);
    Duration revival_cap = std::chrono::minutes(5);
    int stop_signal = SIGTERM;  // sent first on a stop; SIGKILL after stop_timeout
    // When an exit by itself is not revived (v2): see Exited().
    enum class RestartPolicy { kAlways, kOnFailure, kNever };
    RestartPolicy restart_policy = RestartPolicy::kAlways;
    std::vector<int64_t> permanent_failure_codes = {};
    int64_t start_limit_burst = 0;  // 0: no limit
    Duration start_limit_interval = std::chrono::seconds(10);
    bool ready_at_exec = true;  // false: wait for BecameReady() (notify, tcp)
    Duration ready_timeout = std::chrono::seconds(60);
  };

  explicit NodeProcess(Options options, int64_t restarts = 0);

  // ---- events ----
  NodeActions Start(TimePoint now);                      // the first spawn
  void Spawned(pid_t pid, TimePoint now);                // fork succeeded
  NodeActions SpawnFailed(TimePoint now);                // no process: counts as a crash
  NodeActions ExecSucceeded(TimePoint now);              // the program is running
  NodeActions BecameReady(TimePoint now);                // READY=1, or the port accepts
  // The process was reaped. An exit by itself is revived on schedule,
  // unless: its code is a permanent failure code (-> failed), its restart
  // policy says no (`never`; `on-failure` after code 0 or death by its stop
  // signal: -> exited), or a revival would be more than start_limit_burst
  // starts within start_limit_interval (-> failed). Failed and exited nodes
  // are forgotten; failed_reason() says why a node failed.
  NodeActions Exited(const ExitInfo& exit, TimePoint now);
  NodeActions Stop(StopReason reason, TimePoint now);
  NodeActions Tick(TimePoint now);  // call once now >= deadline()

  // ---- observers ----
  NodeState state() const { return state_; }
  std::optional<pid_t> pid() const { return pid_; }
  int64_t restarts() const { return restarts_; }
  std::optional<TimePoint> started_at() const { return started_; }
  // Whether the current process is ready (false without a process).
  bool ready() const { return ready_ && pid_ && state_ == NodeState::kRunning; }
  // Whether the stem should look for readiness now (notify, tcp probe).
  bool awaiting_ready() const {
    return !options_.ready_at_exec && pid_ && !ready_ &&
           (state_ == NodeState::kStarting || state_ == NodeState::kRunning);
  }
  const Options& options() const { return options_; }
  // When Tick() is due: the SIGKILL escalation or the revival.
  std::optional<TimePoint> deadline() const { return deadline_; }
  const std::optional<ExitInfo>& last_exit() const { return last_exit_; }
  // Whether the last exit was caused by Stop().
  bool last_exit_commanded() const { return last_exit_ && last_exit_->commanded; }
  const RevivalSchedule& revival() const { return revival_; }
  const std::optional<std::string>& failed_reason() const { return failed_reason_; }

  void set_options(const Options& options);

 private:
  NodeActions Respawn();  // a spawn after the first
  NodeActions GiveUp(NodeState state, std::optional<std::string> reason);
  bool Revives(const ExitInfo& exit) const;
  // Whether one more start now would be more than the burst in the interval.
  bool StartLimitReached(TimePoint now);

  Options options_;
  RevivalSchedule revival_;
  NodeState state_ = NodeState::kExited;
  std::optional<pid_t> pid_;
  int64_t restarts_;
  std::optional<TimePoint> started_;
  std::optional<TimePoint> deadline_;
  std::optional<StopReason> stop_reason_;
  bool killed_ = false;
  bool ready_ = false;
  std::optional<ExitInfo> last_exit_;
  // Within the start limit interval, oldest first. A vector: an empty
  // std::deque already holds 576 bytes, for every node.
  std::vector<TimePoint> starts_;
  std::optional<std::string> failed_reason_;
};

}  // namespace zsup
