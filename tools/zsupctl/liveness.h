// Whether a followed zsupd still answers. A SUB socket says nothing when its
// publisher goes away (it reconnects silently), so `tail -f` and `events`
// would print nothing forever: their loop pings zsupd on a schedule of its
// own, and this value type decides when, and what to tell the user. Pure
// (the clock is a parameter), so it is tested without sockets.
//
//   up, idle     --deadline-->  ping sent, waiting (deadline: + timeout)
//   waiting      --answer--->   up, idle (deadline: + interval); "connected again" if it was down
//   waiting      --deadline-->  down ("not answering; still trying" once per outage), ping again
#pragma once

#include <chrono>

namespace zsup::ctl {

struct LivenessActions {
  bool send_ping = false;  // (re)send a ping, replacing the socket of one that went unanswered
  bool say_down = false;   // zsupd stopped answering (once per outage)
  bool say_up = false;     // it answers again after saying so
};

class Liveness {
 public:
  using Clock = std::chrono::steady_clock;

  // The first ping goes out `interval` after `now`; each waits `timeout`.
  Liveness(Clock::duration interval, Clock::duration timeout, Clock::time_point now)
      : interval_(interval), timeout_(timeout), deadline_(now + interval) {}

  // When OnDeadline() is due: the loop's poll waits at most until then.
  Clock::time_point deadline() const { return deadline_; }
  bool waiting() const { return waiting_; }
  bool down() const { return down_; }

  // At or after deadline(): sends the next ping, or gives up on the one out.
  LivenessActions OnDeadline(Clock::time_point now);
  // The reply to the ping out (one that arrives late still counts).
  LivenessActions OnAnswer(Clock::time_point now);

 private:
  Clock::duration interval_;
  Clock::duration timeout_;
  Clock::time_point deadline_;
  bool waiting_ = false;
  bool down_ = false;
};

}  // namespace zsup::ctl
