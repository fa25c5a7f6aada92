// zsupd's PUB socket: every event as two frames, topic and msgpack payload
// (see docs/protocol.md). Never throws; never blocks.
//
// Delivery policy, a small state machine:
//   lossless  events go out with ZMQ_XPUB_NODROP. When a subscriber's queue
//             (the high-water mark) is full, the event is kept in a backlog
//             and the publisher is `stalled()`: zsupd then stops reading
//             output from the stem, so the stem stops reading the nodes'
//             pipes and the nodes block on their writes. Nothing is lost.
//   stalled   Flush() retries the backlog, in order, every millisecond.
//             Once it is out, back to lossless. If it is still stuck after
//             `stall_limit`, a subscriber has stopped reading: the backlog
//             goes out lossy and the publisher turns lossy.
//   lossy     a full subscriber queue drops the event for that subscriber
//             only (it sees the gap in `seq`); the others get everything.
//             Every second one event is tried lossless again; when it goes
//             through, every subscriber has caught up: back to lossless.
// A stall_limit of zero means always lossy: a slow subscriber never holds
// up the nodes.
#pragma once

#include <zmq.hpp>

#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "broker/clock.h"
#include "broker/codec.h"
#include "broker/status.h"

namespace zsup {

class Publisher {
 public:
  enum class Mode { kLossless, kStalled, kLossy };

  static Result<std::unique_ptr<Publisher>> Bind(zmq::context_t& context,
                                                 const std::string& endpoint, int high_water_mark,
                                                 Duration stall_limit);

  void Publish(std::string_view topic, std::string_view payload);
  void NodeStatus(const NodeStatusEvent& e);
  void NodeExit(const NodeExitEvent& e);
  // One output line; `topic` is "stdout/<node>" or "stderr/<node>".
  void Output(std::string_view topic, std::string_view node, std::string_view msg, int64_t seq,
              double at);

  // Retries the backlog and runs the timers above; call once per loop pass.
  void Flush(TimePoint now);
  // When Flush() wants to run next, if it has something to do.
  std::optional<TimePoint> NextDeadline() const;
  // True while events wait in the backlog: stop producing output events.
  bool stalled() const { return mode_ == Mode::kStalled; }
  Mode mode() const { return mode_; }
  size_t backlog() const { return backlog_.size(); }

  // Sends the backlog lossy and sets how long queued events may still go out
  // once the socket is closed (0: a subscriber that is gone cannot hold up an
  // exit). For shutdown.
  void Close(std::chrono::milliseconds linger);

  static constexpr Duration kRetryInterval = std::chrono::milliseconds(1);
  // Longest message a subscriber may send (a subscription is one): the
  // longest topic prefix is "node_status/" plus a 255-byte name. A longer
  // one closes that subscriber's connection, so no client can make zsupd
  // build a subscription trie of gigabytes.
  static constexpr int64_t kMaxSubscriptionBytes = 1024;
  static constexpr Duration kProbeInterval = std::chrono::seconds(1);

 private:
  struct Event {
    std::string topic;
    std::string payload;
  };

  Publisher(zmq::socket_t socket, Duration stall_limit);
  void Publish(std::string_view topic, zmq::message_t& payload);
  // False when a subscriber's queue is full (only without drops).
  bool TrySend(std::string_view topic, zmq::message_t& payload);
  bool TrySend(const Event& event);
  void SetNoDrop(bool nodrop);
  void GoLossy();

  zmq::socket_t socket_;
  const Duration stall_limit_;
  Mode mode_;
  std::deque<Event> backlog_;
  std::optional<TimePoint> stalled_since_;  // set by the first Flush() after the stall
  TimePoint next_retry_{};
  TimePoint next_probe_{};
  bool probe_due_ = false;
};

}  // namespace zsup
