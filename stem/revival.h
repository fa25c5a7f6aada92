// When a node that exited by itself is started again: Zeek's schedule.
//
// A node is revived no sooner than `delay` after its previous start. The
// delay starts at 1 s and doubles on every third revival (1, 1, 1, 2, 2, 2,
// 4, ...), up to a cap (default 5 minutes). A node that stayed up longer
// than 30 s starts over at 1 s. Pure value type; times are passed in.
#pragma once

#include <chrono>

#include "broker/clock.h"

namespace zsup {

class RevivalSchedule {
 public:
  static constexpr Duration kInitialDelay = std::chrono::seconds(1);
  static constexpr Duration kResetAfter = std::chrono::seconds(30);
  static constexpr int kAttemptsPerDoubling = 3;

  explicit RevivalSchedule(Duration cap = std::chrono::minutes(5)) : cap_(cap) {}

  // The node started at `started` exited by itself at `now`: returns the
  // earliest time to start it again (possibly `now`).
  TimePoint OnExit(TimePoint started, TimePoint now);
  // The node is being revived now (counts the attempt, maybe doubles the delay).
  void OnRevive();
  // Forget the history (a commanded restart starts a fresh schedule).
  void Reset();

  Duration delay() const { return delay_; }
  int attempts() const { return attempts_; }
  void set_cap(Duration cap) { cap_ = cap; }

 private:
  Duration cap_;
  Duration delay_ = kInitialDelay;
  int attempts_ = 0;
};

}  // namespace zsup
