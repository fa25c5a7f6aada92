// The stem's session with zsupd, as one state machine: waiting for a zsupd
// (at start, or after losing one: the grace period), connected (heartbeats
// both ways), stopping every node, saying Bye, done. Pure: no sockets, no
// clock of its own; the Stem feeds it events with the current time and
// carries out the actions it returns. Single-threaded (the stem's loop).
//
//   waiting ──Hello──▶ connected ──zsupd exited / silent──▶ waiting (grace)
//      │                   │                                   │ grace 0
//      │ grace over        │ Shutdown                          ▼
//      └──────────────▶ stopping ◀──────────────────────── stopping
//                          │ no node left
//                          ▼
//                       bye sent [Bye] ──ByeAck / no zsupd / 10 s──▶ done
//
// Whether a zsupd is connected is kept beside the state: a zsupd may come
// and go while the nodes are being stopped.
#pragma once

#include <chrono>
#include <optional>

#include "broker/clock.h"
#include "broker/link_peer.h"

namespace zsup {

class SupervisorSession {
 public:
  enum class State { kWaiting, kConnected, kStopping, kByeSent, kDone };
  struct Options {
    Duration heartbeat = std::chrono::seconds(1);
    Duration supervisor_timeout = std::chrono::seconds(5);  // silence that means zsupd is gone
    Duration first_hello = std::chrono::seconds(30);        // at least, whatever the grace
    Duration bye_flush = std::chrono::seconds(10);          // for ByeAck
  };
  // Why the nodes are being stopped, or zsupd was given up on (for the log).
  enum class Why { kNone, kSilent, kGraceZero, kGraceOver };
  struct Actions {
    bool heartbeat = false;   // queue a Heartbeat
    bool reset_link = false;  // the peer is gone: a fresh socket for the next one
    bool stop_nodes = false;  // stop every node (shutdown)
    bool bye = false;         // queue Bye: every node is stopped
    Why why = Why::kNone;
    bool operator==(const Actions&) const = default;
  };

  // Starts waiting for the first Hello, for max(first_hello, grace).
  SupervisorSession(Options options, TimePoint now, Duration grace);

  // ---- events ----
  void Hello(TimePoint now);  // a zsupd connected (its settings may change the grace)
  void Heard(TimePoint now);  // any message from zsupd
  // zsupd exited (its pidfd) or fell silent; `grace`: how long nodes outlive it.
  Actions Lost(TimePoint now, Duration grace, Why why);
  Actions Shutdown();  // zsupd asked, or SIGTERM/SIGINT
  void ByeAck();
  // Timers. `nodes_left`: the stem still has nodes (stopping ends when none is).
  Actions Tick(TimePoint now, Duration grace, bool nodes_left);

  // ---- observers ----
  State state() const { return state_; }
  bool connected() const { return connected_; }
  bool stopping() const { return state_ == State::kStopping || state_ == State::kByeSent; }
  bool done() const { return state_ == State::kDone; }
  bool bye_acked() const { return bye_acked_; }
  std::optional<TimePoint> deadline() const;

 private:
  Options options_;
  State state_ = State::kWaiting;
  bool connected_ = false;
  bool bye_acked_ = false;
  Liveness liveness_;
  std::optional<TimePoint> grace_deadline_;  // waiting
  std::optional<TimePoint> exit_deadline_;   // bye sent
};

}  // namespace zsup
