// Whether zsupd accepts new connections, so that it never runs out of file
// descriptors: ZeroMQ aborts the whole process when accept(2) fails with
// EMFILE on an ipc endpoint, and spins on a tcp one.
//
//   accepting ──(a connection got descriptor >= high)──▶ refusing
//   refusing  ──(fewer than low descriptors open)──────▶ accepting
//
// The kernel hands out the lowest free descriptor, so a new connection on
// descriptor N means at least N are open. While refusing, zsupd unbinds
// its control and events endpoints (clients see the socket gone and keep
// retrying; connections already made are served) and counts its open
// descriptors every kRecountInterval until enough have closed. `high`
// leaves a reserve of a quarter of the limit (16 to 256 descriptors) for
// zsupd's own needs and for connections accepted before zsupd reacts.
// Pure: the caller counts descriptors and carries out the actions.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>

#include "broker/clock.h"

namespace zsup {

class Admission {
 public:
  enum class Action { kNone, kStopAccepting, kAcceptAgain };

  explicit Admission(size_t descriptor_limit);

  Action OnAccepted(int fd, TimePoint now);
  // The caller counted `open` descriptors (when NextRecount() was due).
  Action OnCount(size_t open, TimePoint now);
  // Accepting again failed (e.g. bind): refusing, and count again later.
  void RetryLater(TimePoint now);

  bool refusing() const { return refusing_; }
  std::optional<TimePoint> NextRecount() const;
  size_t high() const { return high_; }
  size_t low() const { return low_; }

  static constexpr Duration kRecountInterval = std::chrono::milliseconds(100);

 private:
  size_t high_;
  size_t low_;
  bool refusing_ = false;
  TimePoint next_recount_{};
};

}  // namespace zsup
