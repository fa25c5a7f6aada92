// What both ends of the zsupd <-> zsup-stem link share, besides the socket
// (link.h) and the messages (stem_protocol.h): the timing of heartbeats and
// of giving a silent peer up, and the queue of frames the link has not
// taken yet. Both are pure (time comes in as arguments) and single-threaded.
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <string>

#include "broker/clock.h"
#include "broker/link.h"
#include "broker/status.h"

namespace zsup {

// Each side sends a Heartbeat this often while connected...
inline constexpr Duration kLinkHeartbeat = std::chrono::seconds(1);
// ...and gives the other up after this long without any message from it.
inline constexpr Duration kLinkSilence = std::chrono::seconds(5);

// When to send a heartbeat, and whether the peer has been silent too long.
class Liveness {
 public:
  explicit Liveness(Duration heartbeat = kLinkHeartbeat, Duration silence = kLinkSilence)
      : heartbeat_(heartbeat), silence_(silence) {}

  // A (new) peer: heard now, the first heartbeat one interval from now.
  void Start(TimePoint now) {
    last_heard_ = now;
    next_heartbeat_ = now + heartbeat_;
  }
  void Heard(TimePoint now) { last_heard_ = now; }
  // True once per interval: send a heartbeat now.
  bool HeartbeatDue(TimePoint now) {
    if (now < next_heartbeat_) return false;
    next_heartbeat_ = now + heartbeat_;
    return true;
  }
  bool Silent(TimePoint now) const { return now - last_heard_ > silence_; }
  // When Silent() turns true if nothing is heard until then.
  TimePoint silence_deadline() const {
    return last_heard_ + silence_ + std::chrono::milliseconds(1);
  }
  // The earlier of the next heartbeat and silence_deadline() (for a side
  // that sends heartbeats now).
  TimePoint deadline() const {
    const TimePoint silent = silence_deadline();
    return next_heartbeat_ < silent ? next_heartbeat_ : silent;
  }
  Duration silence() const { return silence_; }

 private:
  Duration heartbeat_;
  Duration silence_;
  TimePoint last_heard_{};
  TimePoint next_heartbeat_{};
};

// Frames waiting for the link's high-water mark to let them through, in
// order, with their total size (the owner bounds it: the stem stops reading
// node output past its limit, zsupd refuses more than a count).
class LinkQueue {
 public:
  void Push(std::string frame) {
    bytes_ += frame.size();
    frames_.push_back(std::move(frame));
  }
  // Sends from the front until the link would block. An error is returned
  // (and the frame kept) for the caller to log.
  Status Flush(Link& link) {
    while (!frames_.empty()) {
      auto sent = link.TrySend(frames_.front());
      if (!sent.ok()) return sent.status();
      if (!*sent) return Status::Ok();  // would block: retry when writable
      bytes_ -= frames_.front().size();
      frames_.pop_front();
    }
    return Status::Ok();
  }
  void Clear() {
    frames_.clear();
    bytes_ = 0;
  }
  bool empty() const { return frames_.empty(); }
  size_t size() const { return frames_.size(); }
  size_t bytes() const { return bytes_; }
  const std::deque<std::string>& frames() const { return frames_; }

 private:
  std::deque<std::string> frames_;
  size_t bytes_ = 0;
};

}  // namespace zsup
