#include "supervisor/publisher.h"

#include <algorithm>

#include "broker/log.h"

namespace zsup {

Result<std::unique_ptr<Publisher>> Publisher::Create(zmq::context_t& context, Options options) {
  try {
    zmq::socket_t socket(context, zmq::socket_type::pub);
    socket.set(zmq::sockopt::linger, 0);
    socket.set(zmq::sockopt::maxmsgsize, kMaxSubscriptionBytes);
    socket.set(zmq::sockopt::xpub_nodrop, options.stall_limit > Duration::zero());
    std::unique_ptr<Publisher> p(new Publisher(std::move(socket), std::move(options)));
    // Before bind: every pipe gets it.
    p->SetHighWaterMark(p->options_.largest_event > 0 ? p->options_.largest_event : kMinEventBytes);
    return p;
  } catch (const zmq::error_t& e) {
    return Status::Error("cannot create the " + options.name + " socket: " + e.what());
  }
}

Result<std::unique_ptr<Publisher>> Publisher::Bind(zmq::context_t& context,
                                                   const std::string& endpoint, Options options) {
  auto p = Create(context, std::move(options));
  if (!p.ok()) return p;
  Status s = (*p)->Bind(endpoint);
  if (!s.ok()) return s;
  return p;
}

Status Publisher::Bind(const std::string& endpoint) {
  try {
    socket_.bind(endpoint);
    return Status::Ok();
  } catch (const zmq::error_t& e) {
    return Status::Error("cannot bind the " + options_.name + " socket " + endpoint + ": " +
                         e.what());
  }
}

Status Publisher::Unbind(const std::string& endpoint) {
  try {
    socket_.unbind(endpoint);
    return Status::Ok();
  } catch (const zmq::error_t& e) {
    return Status::Error("cannot unbind the " + options_.name + " socket " + endpoint + ": " +
                         e.what());
  }
}

Publisher::Publisher(zmq::socket_t socket, Options options)
    : socket_(std::move(socket)),
      options_(std::move(options)),
      stall_limit_(options_.stall_limit),
      mode_(stall_limit_ > Duration::zero() ? Mode::kLossless : Mode::kLossy) {}

void Publisher::SetHighWaterMark(size_t event_bytes) {
  hwm_event_bytes_ = std::max(event_bytes, kMinEventBytes);
  const auto by_bytes = static_cast<int64_t>(options_.queue_bytes) /
                        static_cast<int64_t>(hwm_event_bytes_);
  const int hwm = static_cast<int>(
      std::clamp<int64_t>(by_bytes, 1, std::max(1, options_.high_water_mark)));
  if (hwm == hwm_) return;
  hwm_ = hwm;
  try {
    socket_.set(zmq::sockopt::sndhwm, hwm_);  // ZeroMQ applies it to existing pipes too
  } catch (const zmq::error_t& e) {
    LogError(options_.name + " socket: " + e.what());
  }
}

void Publisher::Account(size_t bytes) {
  if (options_.largest_event > 0) return;  // a fixed mark
  window_max_ = std::max(window_max_, bytes);
  if (bytes > hwm_event_bytes_ && !lowering_paused_) SetHighWaterMark(bytes);
}

bool Publisher::TrySend(std::string_view topic, zmq::message_t& payload) {
  try {
    // With NODROP the whole message is refused at its first frame (leaving
    // `payload` as it was), or taken.
    if (!socket_.send(zmq::const_buffer(topic.data(), topic.size()),
                      zmq::send_flags::sndmore | zmq::send_flags::dontwait)) {
      return false;
    }
    socket_.send(payload, zmq::send_flags::dontwait);
  } catch (const zmq::error_t& e) {
    LogError(std::string("publish: ") + e.what());  // not retried: the socket is broken
  }
  return true;
}

void Publisher::SetNoDrop(bool nodrop) {
  try {
    socket_.set(zmq::sockopt::xpub_nodrop, nodrop);
  } catch (const zmq::error_t& e) {
    LogError(options_.name + " socket: " + e.what());
  }
}

bool Publisher::TrySend(const Event& event) {
  zmq::message_t payload(event.payload.data(), event.payload.size());
  return TrySend(event.topic, payload);
}

void Publisher::Publish(std::string_view topic, std::string_view payload) {
  zmq::message_t message(payload.data(), payload.size());
  Publish(topic, message);
}

void Publisher::Publish(std::string_view topic, zmq::message_t& payload) {
  Account(topic.size() + payload.size());
  if (mode_ == Mode::kStalled) {
    backlog_.push_back(Event{std::string(topic), payload.to_string()});
    return;
  }
  if (mode_ == Mode::kLossy && probe_due_ && stall_limit_ > Duration::zero()) {
    probe_due_ = false;
    SetNoDrop(true);
    if (TrySend(topic, payload)) {
      LogInfo(options_.name + ": every subscriber keeps up again; no more drops");
      mode_ = Mode::kLossless;
      return;
    }
    SetNoDrop(false);
  }
  if (mode_ == Mode::kLossy) ++lossy_sends_;
  if (TrySend(topic, payload)) return;
  // Lossless and a subscriber's queue is full.
  backlog_.push_back(Event{std::string(topic), payload.to_string()});
  mode_ = Mode::kStalled;
  stalled_since_.reset();
}

void Publisher::Flush(TimePoint now) {
  if (options_.largest_event == 0 && now - window_start_ >= kHwmWindow) {
    // No event as large as the mark is set for lately: raise it again.
    if (window_max_ < hwm_event_bytes_) SetHighWaterMark(window_max_);
    window_max_ = 0;
    window_start_ = now;
    lowering_paused_ = false;
  }
  if (mode_ == Mode::kLossy) {
    if (now >= next_probe_) {
      probe_due_ = true;
      next_probe_ = now + kProbeInterval;
    }
    return;
  }
  if (mode_ != Mode::kStalled) return;
  try {
    // Takes in the readers' reports of room now (a send does so only about
    // once a millisecond), which also clears wake_fd().
    (void)socket_.get(zmq::sockopt::events);
  } catch (const zmq::error_t& e) {
    LogError(options_.name + " socket: " + e.what());
  }
  if (!stalled_since_) {
    stalled_since_ = now;
    if (options_.cut_off) cut_offs_ += options_.cut_off(/*on_probation_only=*/true);
  }
  bool moved = false;
  while (!backlog_.empty() && TrySend(backlog_.front())) {
    backlog_.pop_front();
    moved = true;
  }
  if (backlog_.empty()) {
    mode_ = Mode::kLossless;
    return;
  }
  next_retry_ = now + kRetryInterval;
  if (moved) stalled_since_ = now;  // a slow subscriber, not a stuck one
  if (!moved && now - *stalled_since_ >= kStaleAfter && RepairStaleMark(now)) return;
  if (now - *stalled_since_ < stall_limit_) return;
  if (options_.cut_off) {
    if (const size_t cut = options_.cut_off(false); cut > 0) {
      cut_offs_ += cut;
      LogWarning(options_.name + ": cut off " + std::to_string(cut) +
                 " subscriber(s) that read nothing for " +
                 std::to_string(
                     std::chrono::duration_cast<std::chrono::milliseconds>(stall_limit_).count()) +
                 " ms; they miss what was queued for them (a gap in seq) and get what follows "
                 "once they reconnect");
      stalled_since_ = now;  // until ZeroMQ has dropped their queues
      return;
    }
  }
  LogWarning(
      options_.name + ": a subscriber has not read for " +
      std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(stall_limit_).count()) +
      " ms; it misses events that do not fit in its queue (a gap in seq) until it "
      "catches up");
  GoLossy();
  next_probe_ = now + kProbeInterval;
}

bool Publisher::RepairStaleMark(TimePoint now) {
  if (!options_.backlogged || options_.largest_event > 0 || hwm_event_bytes_ <= kMinEventBytes ||
      options_.backlogged()) {
    return false;
  }
  // Full pipes with nothing waiting in any connection's kernel queue: the
  // pipes' counts are stale (see Bytes in publisher.h), not a subscriber
  // slow. Back to the full mark, kept for a window.
  SetHighWaterMark(kMinEventBytes);
  lowering_paused_ = true;
  window_max_ = 0;
  window_start_ = now;
  ++stale_repairs_;
  bool moved = false;
  while (!backlog_.empty() && TrySend(backlog_.front())) {
    backlog_.pop_front();
    moved = true;
  }
  if (backlog_.empty()) mode_ = Mode::kLossless;
  if (moved) stalled_since_ = now;
  return true;
}

int Publisher::wake_fd() {
  try {
    return socket_.get(zmq::sockopt::fd);
  } catch (const zmq::error_t&) {
    return -1;
  }
}

void Publisher::GoLossy() {
  SetNoDrop(false);
  for (const Event& e : backlog_) TrySend(e);
  backlog_.clear();
  mode_ = Mode::kLossy;
  probe_due_ = false;
}

std::optional<TimePoint> Publisher::NextDeadline() const {
  if (mode_ != Mode::kStalled) return std::nullopt;  // a probe waits for the next event
  if (!stalled_since_) return TimePoint::min();      // Flush() has not seen the stall yet
  return next_retry_;
}

void Publisher::NodeStatus(const NodeStatusEvent& e) {
  Publish(EventTopic(EventKind::kNodeStatus, e.node), EncodeNodeStatusEvent(e));
}

void Publisher::NodeExit(const NodeExitEvent& e) {
  Publish(EventTopic(EventKind::kNodeExit, e.node), EncodeNodeExitEvent(e));
}

void Publisher::NodeReady(const NodeReadyEvent& e) {
  Publish(EventTopic(EventKind::kNodeReady, e.node), EncodeNodeReadyEvent(e));
}

void Publisher::Pong(const PongEvent& e) {
  Publish(EventTopic(EventKind::kPong, e.node), EncodePongEvent(e));
}

void Publisher::NodeFailed(const NodeFailedEvent& e) {
  Publish(EventTopic(EventKind::kNodeFailed, e.node), EncodeNodeFailedEvent(e));
}

void Publisher::Output(std::string_view topic, std::string_view node, std::string_view msg,
                       int64_t seq, double at) {
  zmq::message_t payload(OutputEventSize(node, msg, seq, at));
  WriteOutputEvent(static_cast<char*>(payload.data()), node, msg, seq, at);
  Publish(topic, payload);
}

void Publisher::OutputBatch(std::string_view topic, std::string_view node,
                            std::span<const std::string_view> msgs, int64_t seq, double at) {
  if (msgs.empty()) return;
  zmq::message_t payload(OutputBatchSize(node, msgs, seq, at));
  WriteOutputBatch(static_cast<char*>(payload.data()), node, msgs, seq, at);
  Publish(topic, payload);
}

void Publisher::Close(std::chrono::milliseconds linger) {
  if (!backlog_.empty()) GoLossy();
  try {
    socket_.set(zmq::sockopt::linger, static_cast<int>(linger.count()));
  } catch (const zmq::error_t& e) {
    LogError(options_.name + " socket: " + e.what());
  }
}

}  // namespace zsup
