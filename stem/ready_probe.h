// The probe for NodeConfig `ready: "tcp:[HOST:]PORT"` (parsed by
// broker/ready_spec.h): the node is ready once a TCP connection to that
// address succeeds.
//
// Ownership: a ReadyProbe owns at most one socket, that of the connection
// attempt in flight (close-on-exec); it is closed as soon as the attempt
// succeeds or fails, and by the destructor. Move-only.
// Errors: a failed attempt is not an error to the caller: the probe tries again, keeps the last failure in last_error() for
// the "not ready in time" message, and the caller's ready_timeout decides.
// Threads: single-threaded, used from the stem's one zmq::poll loop. Nothing
// here blocks or sleeps: no DNS (HOST is an IP literal or "localhost"),
// connect() is non-blocking, and all time comes in as arguments.
#pragma once

#include <poll.h>
#include <sys/socket.h>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "broker/clock.h"
#include "broker/fd.h"
#include "broker/ready_spec.h"
#include "broker/status.h"

namespace zsup {

class ReadyProbe {
 public:
  // A new attempt starts no sooner than this after the previous one started.
  static constexpr Duration kRetryInterval = std::chrono::milliseconds(100);
  // An attempt still connecting after this long is abandoned and retried.
  static constexpr Duration kAttemptTimeout = std::chrono::seconds(1);

  // `spec.kind` must be kTcp. The first attempt is due at once.
  explicit ReadyProbe(const ReadySpec& spec);

  // Call when deadline() has passed: abandons an attempt that took too long
  // and starts a new one when one is due. Early calls do nothing.
  void Tick(TimePoint now);
  // Call when poll reports events on fd(): the attempt's outcome.
  void OnWritable(TimePoint now);

  bool ready() const { return ready_; }
  // When Tick() is next wanted; nullopt once ready.
  std::optional<TimePoint> deadline() const;
  // The attempt in flight, to poll for writability (POLLOUT; with zmq::poll,
  // ZMQ_POLLOUT, which has another value); -1 when there is none.
  int fd() const { return fd_.get(); }
  // Why the last attempt failed (OK before any failure).
  const Status& last_error() const { return last_error_; }

 private:
  void Start(TimePoint now);
  void Fail(TimePoint now, Status why);

  ReadySpec spec_;
  UniqueFd fd_;
  bool ready_ = false;
  TimePoint started_{};       // when the attempt in flight (or the last one) began
  TimePoint next_attempt_{};  // when no attempt is in flight: when to start one
  Status last_error_;
};

}  // namespace zsup
