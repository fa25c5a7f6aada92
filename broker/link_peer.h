// What both ends of the zsupd <-> zsup-stem link share, besides the socket
// (link.h) and the messages (stem_protocol.h): the timing of heartbeats and
// of giving a silent peer up, and the queue of frames the link has not
// taken yet. Both are pure (time comes in as arguments) and single-threaded.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
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
//
// Retaining (the stem's side): a frame pushed with an id (> 0, rising) is
// kept after it was sent until the peer acknowledges it (Acked), and a lost
// peer's unacknowledged frames go back to the front of the queue (Requeue)
// for the next one. bytes() counts them too, so the owner's bound covers
// what waits for an acknowledgement.
class LinkQueue {
 public:
  void Push(std::string frame, int64_t id = 0) {
    bytes_ += frame.size();
    frames_.push_back({std::move(frame), id});
  }
  // Sends from the front until the link would block. An error is returned
  // (and the frame kept) for the caller to log.
  Status Flush(Link& link) {
    while (!frames_.empty()) {
      auto sent = link.TrySend(frames_.front().frame);
      if (!sent.ok()) return sent.status();
      if (!*sent) return Status::Ok();  // would block: retry when writable
      if (retaining_ && frames_.front().id > 0) {
        sent_.push_back(std::move(frames_.front()));
      } else {
        bytes_ -= frames_.front().frame.size();
      }
      frames_.pop_front();
    }
    return Status::Ok();
  }
  // The peer has every retained frame whose id is at most `through`.
  void Acked(int64_t through) {
    while (!sent_.empty() && sent_.front().id <= through) {
      bytes_ -= sent_.front().frame.size();
      sent_.pop_front();
    }
  }
  // The peer is gone: what it never acknowledged is sent first to the next.
  void Requeue() {
    while (!sent_.empty()) {
      frames_.push_front(std::move(sent_.back()));
      sent_.pop_back();
    }
  }
  // Whether sent frames are kept (a peer that acknowledges them); turning it
  // off forgets those kept so far.
  void Retain(bool on) {
    retaining_ = on;
    if (!on) Acked(INT64_MAX);
  }
  void Clear() {
    frames_.clear();
    sent_.clear();
    bytes_ = 0;
  }
  bool empty() const { return frames_.empty(); }
  size_t size() const { return frames_.size(); }
  size_t bytes() const { return bytes_; }
  size_t unacked() const { return sent_.size(); }
  // Calls f(frame) for each frame not sent yet, in order.
  template <typename F>
  void ForEachUnsent(F&& f) const {
    for (const Entry& e : frames_) f(e.frame);
  }

 private:
  struct Entry {
    std::string frame;
    int64_t id = 0;
  };
  std::deque<Entry> frames_;
  std::deque<Entry> sent_;  // retained: sent, not acknowledged, in id order
  size_t bytes_ = 0;
  bool retaining_ = true;
};

}  // namespace zsup
