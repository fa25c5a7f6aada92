// zsupd's session with its stem process, as one state machine: whether a
// stem runs, is being replaced, is being stopped or is done. Pure: no
// processes, no sockets, no clock of its own; the Daemon feeds it events
// with the current time and carries out the actions it returns. The link
// itself (Hello/Welcome, heartbeats) is StemClient's; which nodes the stem
// holds is StemSlots'. Single-threaded (zsupd's loop).
//
//   running ──stem exited──▶ lost ──(its nodes are gone, retry due)──▶ running [connect]
//      │                      │ connect failed: lost, retry in 1 s
//      │ shutdown             │ shutdown: done (no stem to stop)
//      ▼                      ▼
//   stopping [send Shutdown] ──stem exited──▶ done (after its Bye)
//      │                                 └──▶ draining (no Bye yet) ──Bye / 1 s──▶ done
//      └── stop timeout + 10 s: [kill the stem] done
#pragma once

#include <chrono>
#include <optional>

#include "broker/clock.h"

namespace zsup {

class StemSession {
 public:
  enum class State { kRunning, kLost, kStopping, kDraining, kDone };
  struct Options {
    Duration stop_timeout = std::chrono::seconds(26);  // zsupd's --stop-timeout
    Duration stop_slack = std::chrono::seconds(10);    // beyond it, for the stem itself
    Duration drain_timeout = std::chrono::seconds(1);  // for its last messages after it exited
    Duration retry = std::chrono::seconds(1);          // after a failed start of a stem
  };
  // What the Daemon must do. `why` says what to log when the session ends
  // without the stem's cooperation.
  enum class Why { kNone, kStopTimedOut, kDrainTimedOut };
  struct Actions {
    bool connect = false;        // start a stem, then Connected() or ConnectFailed()
    bool send_shutdown = false;  // tell the stem to stop every node and exit
    bool kill_stem = false;      // SIGKILL it (its nodes die with it)
    Why why = Why::kNone;
    bool operator==(const Actions&) const = default;
  };

  explicit StemSession(Options options) : options_(options) {}

  // ---- events ----
  // The stem process ended. Running: lost (the Daemon kills what is left
  // of its nodes first); a new stem is due at once. Stopping: done if it
  // said Bye, else draining.
  Actions StemExited(TimePoint now);
  void Connected();                   // lost -> running
  void ConnectFailed(TimePoint now);  // stays lost; next attempt after `retry`
  // SIGTERM, SIGINT or RequestStop(). `stem_running`: a stem is there to stop.
  Actions Shutdown(TimePoint now, bool stem_running);
  Actions Bye();  // the stem's last report is in
  // Timers. `nodes_dying`: processes of a lost stem's nodes still exist (a
  // new stem must not start them twice); `earliest_restart`: StemClient's
  // backoff between stem starts.
  Actions Tick(TimePoint now, bool nodes_dying, TimePoint earliest_restart);

  // ---- observers ----
  State state() const { return state_; }
  bool done() const { return state_ == State::kDone; }
  // Commands that change nodes are served (not while stopping).
  bool serving() const { return state_ == State::kRunning || state_ == State::kLost; }
  // When Tick() is next due (with the same inputs).
  std::optional<TimePoint> deadline(bool nodes_dying, TimePoint earliest_restart) const;

 private:
  Options options_;
  State state_ = State::kRunning;
  TimePoint next_attempt_{};
  std::optional<TimePoint> deadline_;  // stopping: kill; draining: give up
  bool bye_ = false;
};

}  // namespace zsup
