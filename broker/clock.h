// Time as zsup uses it: a monotonic clock for deadlines and timers, wall
// clock seconds (float, Unix epoch) for the `at` fields on the wire.
// Code that schedules takes `now` as an argument so tests can pass any time.
#pragma once

#include <chrono>

namespace zsup {

using SteadyClock = std::chrono::steady_clock;
using TimePoint = SteadyClock::time_point;
using Duration = SteadyClock::duration;
using Seconds = std::chrono::duration<double>;

inline TimePoint SteadyNow() { return SteadyClock::now(); }

inline double WallNow() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

inline Duration FromSeconds(double s) {
  return std::chrono::duration_cast<Duration>(Seconds(s));
}

// Milliseconds from `now` until `deadline` for a poll timeout: 0 when past,
// rounded up so a wakeup is never early.
inline long MillisUntil(TimePoint deadline, TimePoint now) {
  if (deadline <= now) return 0;
  auto ms = std::chrono::ceil<std::chrono::milliseconds>(deadline - now).count();
  return static_cast<long>(ms);
}

}  // namespace zsup
