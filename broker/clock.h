// Time as zsup uses it: a monotonic clock for deadlines and timers, wall
// clock seconds (float, Unix epoch) for the `at` fields on the wire.
// Code that schedules takes `now` as an argument so tests can pass any time;
// a whole loop (the stem's) reads its time from a Clock, so a test can run
// that loop on a ManualClock and move time by hand.
#pragma once

#include <atomic>
#include <chrono>
#include <optional>

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

// The time source of a loop. Implementations are thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint Now() const = 0;  // monotonic
  virtual double Wall() const = 0;    // Unix epoch seconds
  // The longest a loop may block in poll before it reads the clock again:
  // none for a real clock (it sleeps until its next deadline); a clock that
  // does not move while the loop sleeps must be looked at again soon.
  virtual std::optional<Duration> MaxWait() const { return std::nullopt; }
};

// steady_clock and system_clock: what every program uses.
const Clock& SystemClock();

// A clock that moves only when told to (tests). Starts at an arbitrary
// monotonic time and a fixed wall time; Advance() moves both.
class ManualClock final : public Clock {
 public:
  TimePoint Now() const override { return TimePoint(Duration(ticks_.load())); }
  double Wall() const override {
    return kWallStart + std::chrono::duration<double>(Duration(ticks_.load()) - kStart).count();
  }
  void Advance(Duration d) { ticks_ += d.count(); }
  std::optional<Duration> MaxWait() const override { return std::chrono::milliseconds(10); }

 private:
  static constexpr Duration kStart = std::chrono::hours(1);
  static constexpr double kWallStart = 1.8e9;  // 2027-01-15
  std::atomic<Duration::rep> ticks_{kStart.count()};
};

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

// A loop's poll timeout in ms (-1: none) for `deadline`, within `clock`'s MaxWait.
inline long PollTimeout(const std::optional<TimePoint>& deadline, const Clock& clock) {
  long timeout = deadline ? MillisUntil(*deadline, clock.Now()) : -1;
  if (auto cap = clock.MaxWait()) {
    const long cap_ms = static_cast<long>(std::chrono::ceil<std::chrono::milliseconds>(*cap).count());
    if (timeout < 0 || timeout > cap_ms) timeout = cap_ms;
  }
  return timeout;
}

}  // namespace zsup
