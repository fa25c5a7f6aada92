// IdleTrim: gives a loop's freed heap memory back to the kernel once the
// loop has been quiet for a while, instead of on every free.
//
// Why: zsupd and the stem run on mimalloc, which keeps freed pages for a
// while (its reset delay) and only returns them when the heap is used
// again. After a burst (1,000 creates, a replay) an idle process so kept a
// few MiB it no longer used (docs/benchmarks.md, "Memory"). Trimming on
// every free would cost the output path; trimming once the loop has been
// idle for `quiet` costs it nothing.
//
// Use: OnActivity(now) whenever a wakeup handled something; fold deadline()
// into the poll timeout; call Tick(now) every iteration. Tick runs the
// release function once per quiet period, `quiet` after the last activity.
// Single-threaded (the loop's); no allocation, no errors.
#pragma once

#include <chrono>
#include <functional>
#include <optional>

namespace zsup {

// Frees what the allocator holds but does not use, for the calling thread
// (mi_collect(true) under mimalloc, malloc_trim(0) under glibc's malloc).
void ReleaseFreeMemory();

class IdleTrim {
 public:
  using Clock = std::chrono::steady_clock;

  explicit IdleTrim(Clock::duration quiet = std::chrono::seconds(1),
                    std::function<void()> release = ReleaseFreeMemory)
      : quiet_(quiet), release_(std::move(release)) {}

  void OnActivity(Clock::time_point now) { due_ = now + quiet_; }
  // When Tick next has work; nullopt while nothing happened since the last trim.
  std::optional<Clock::time_point> deadline() const { return due_; }
  // True when it released memory now.
  bool Tick(Clock::time_point now);

 private:
  Clock::duration quiet_;
  std::function<void()> release_;
  std::optional<Clock::time_point> due_;
};

}  // namespace zsup
