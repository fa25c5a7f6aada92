// zsupd's PUB sockets: every event as two frames, topic and msgpack payload
// (see docs/protocol.md). One Publisher serves the events socket, another
// the batches socket (output only, a batch of lines per message). Never
// throws; never blocks.
//
// Delivery policy, a small state machine:
//   lossless  events go out with ZMQ_XPUB_NODROP. When a subscriber's queue
//             (the high-water mark) is full, the event is kept in a backlog
//             and the publisher is `stalled()`: zsupd then stops reading
//             output from the stem, so the stem stops reading the nodes'
//             pipes and the nodes block on their writes. Nothing is lost.
//   stalled   Flush() retries the backlog, in order, every millisecond.
//             Once it is out, back to lossless. If nothing could be sent for
//             `stall_limit`, a subscriber has stopped reading: `cut_off` is
//             asked to close the connections of the subscribers that do not
//             read (zsupd finds them by their unread kernel queues; they
//             reconnect and see a gap in seq), and the stall goes on for the
//             others. Only if it cuts none off does the backlog go out lossy
//             and the publisher turn lossy. A cut-off subscriber that comes
//             back and is stuck again is cut off as soon as a stall begins.
//   lossy     a full subscriber queue drops the event for that subscriber
//             only (it sees the gap in `seq`); the others get everything.
//             Every second one event is tried lossless again; when it goes
//             through, every subscriber has caught up: back to lossless.
// A stall_limit of zero means always lossy: a slow subscriber never holds
// up the nodes.
//
// Bytes: ZeroMQ bounds a subscriber's queue in messages (the high-water
// mark). The publisher sets that mark to `queue_bytes` divided by the
// largest event it has seen lately (at most `high_water_mark`), so a
// subscriber's queue holds about `queue_bytes` whatever the line length:
// lowered at once when longer events appear, raised again once they have
// not been seen for kHwmWindow. While the mark goes up, events queued under
// the lower one are still there: a queue holds at most twice `queue_bytes`.
// libzmq counts a pipe's room from reports its reader sends every half mark
// read, so a mark lowered under a reader that had read everything can leave
// the pipe looking full for good. A stall longer than kStaleAfter while no
// connection has data waiting in its kernel queue (`backlogged`) is that:
// the mark goes back to the full one, and is not lowered again for a
// window (the queue then holds up to the full mark of long events).
// With `largest_event` set (the batches socket) the mark never moves.
// A stalled publisher retries as soon as ZeroMQ tells the socket that a
// reader made room (wake_fd()), and every kRetryInterval.
#pragma once

#include <zmq.hpp>

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "broker/clock.h"
#include "broker/codec.h"
#include "broker/status.h"

namespace zsup {

class Publisher {
 public:
  enum class Mode { kLossless, kStalled, kLossy };

  struct Options {
    int high_water_mark = 100000;       // events per subscriber, at most
    int64_t queue_bytes = 64 << 20;     // bytes per subscriber, about
    Duration stall_limit = std::chrono::seconds(1);
    // Closes the connections of subscribers that do not read (with `true`:
    // only those on probation, see connections.h); returns how many.
    // Unset: none can be found (then lossy, as above).
    std::function<size_t(bool on_probation_only)> cut_off;
    // Whether any subscriber's connection has data waiting in its kernel
    // queue. Unset: stale counts are not repaired.
    std::function<bool()> backlogged;
    std::string name = "events";  // the socket, in errors and the log
    // When set, the mark is fixed at queue_bytes / largest_event: for a
    // socket whose events are all large.
    size_t largest_event = 0;
  };

  // A publisher whose socket is not bound yet (so that it can be monitored
  // first), then Bind(); Bind(context, endpoint, options) does both.
  static Result<std::unique_ptr<Publisher>> Create(zmq::context_t& context, Options options);
  static Result<std::unique_ptr<Publisher>> Bind(zmq::context_t& context,
                                                 const std::string& endpoint, Options options);
  Status Bind(const std::string& endpoint);
  Status Unbind(const std::string& endpoint);
  zmq::socket_t& socket() { return socket_; }

  void Publish(std::string_view topic, std::string_view payload);
  void NodeStatus(const NodeStatusEvent& e);
  void NodeExit(const NodeExitEvent& e);
  void NodeFailed(const NodeFailedEvent& e);
  void NodeReady(const NodeReadyEvent& e);
  void Pong(const PongEvent& e);
  // One output line; `topic` is "stdout/<node>" or "stderr/<node>".
  void Output(std::string_view topic, std::string_view node, std::string_view msg, int64_t seq,
              double at);
  // The batches socket's form: the lines `msgs` (seq `seq` on) as one
  // message (OutputBatchEvent). Nothing for no lines.
  void OutputBatch(std::string_view topic, std::string_view node,
                   std::span<const std::string_view> msgs, int64_t seq, double at);

  // Retries the backlog and runs the timers above; call once per loop pass.
  void Flush(TimePoint now);
  // While stalled(): poll this descriptor for reading; it becomes readable
  // when ZeroMQ has news for the socket (a reader made room). -1 if unknown.
  int wake_fd();
  // When Flush() wants to run next, if it has something to do.
  std::optional<TimePoint> NextDeadline() const;
  // True while events wait in the backlog: stop producing output events.
  bool stalled() const { return mode_ == Mode::kStalled; }
  Mode mode() const { return mode_; }
  size_t backlog() const { return backlog_.size(); }
  int high_water_mark() const { return hwm_; }
  // Subscribers cut off so far (see `cut_off`).
  uint64_t cut_off_count() const { return cut_offs_; }
  // Events sent while lossy: each may have been dropped for a stalled subscriber.
  uint64_t lossy_sends() const { return lossy_sends_; }
  // Times the mark went back up for stale pipe counts (see Bytes above).
  uint64_t stale_repairs() const { return stale_repairs_; }

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
  static constexpr Duration kHwmWindow = std::chrono::seconds(10);
  static constexpr size_t kMinEventBytes = 256;  // the size the mark starts from
  static constexpr Duration kStaleAfter = std::chrono::milliseconds(5);
  // The largest batch: a stem output frame is closed once it holds 64 KiB
  // of lines, so it holds at most that plus one line (64 KiB at most), plus
  // msgpack's few bytes per line and the topic.
  static constexpr size_t kMaxBatchBytes = 160 << 10;

 private:
  struct Event {
    std::string topic;
    std::string payload;
  };

  Publisher(zmq::socket_t socket, Options options);
  // Lowers the high-water mark when `bytes` is a larger event than it was
  // set for.
  void Account(size_t bytes);
  void SetHighWaterMark(size_t event_bytes);
  void Publish(std::string_view topic, zmq::message_t& payload);
  // False when a subscriber's queue is full (only without drops).
  bool TrySend(std::string_view topic, zmq::message_t& payload);
  bool TrySend(const Event& event);
  void SetNoDrop(bool nodrop);
  void GoLossy();
  // After kStaleAfter of a stall: true if it was stale pipe counts, now
  // repaired (see Bytes above).
  bool RepairStaleMark(TimePoint now);

  zmq::socket_t socket_;
  Options options_;
  const Duration stall_limit_;
  int hwm_ = 0;
  size_t hwm_event_bytes_ = 0;  // the event size hwm_ was set for
  size_t window_max_ = 0;       // the largest event since window_start_
  TimePoint window_start_{};
  uint64_t cut_offs_ = 0;
  uint64_t lossy_sends_ = 0;
  uint64_t stale_repairs_ = 0;
  bool lowering_paused_ = false;  // after a repair, until the window ends
  Mode mode_;
  std::deque<Event> backlog_;
  std::optional<TimePoint> stalled_since_;  // set by the first Flush() after the stall
  TimePoint next_retry_{};
  TimePoint next_probe_{};
  bool probe_due_ = false;
};

}  // namespace zsup
