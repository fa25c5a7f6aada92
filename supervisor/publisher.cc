#include "supervisor/publisher.h"

#include "broker/log.h"

namespace zsup {

Result<std::unique_ptr<Publisher>> Publisher::Bind(zmq::context_t& context,
                                                   const std::string& endpoint,
                                                   int high_water_mark, Duration stall_limit) {
  try {
    zmq::socket_t socket(context, zmq::socket_type::pub);
    socket.set(zmq::sockopt::linger, 0);
    socket.set(zmq::sockopt::sndhwm, high_water_mark);
    socket.set(zmq::sockopt::maxmsgsize, kMaxSubscriptionBytes);
    socket.set(zmq::sockopt::xpub_nodrop, stall_limit > Duration::zero());
    socket.bind(endpoint);
    return std::unique_ptr<Publisher>(new Publisher(std::move(socket), stall_limit));
  } catch (const zmq::error_t& e) {
    return Status::Error("cannot bind the events socket " + endpoint + ": " + e.what());
  }
}

Publisher::Publisher(zmq::socket_t socket, Duration stall_limit)
    : socket_(std::move(socket)),
      stall_limit_(stall_limit),
      mode_(stall_limit > Duration::zero() ? Mode::kLossless : Mode::kLossy) {}

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
    LogError(std::string("events socket: ") + e.what());
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
  if (mode_ == Mode::kStalled) {
    backlog_.push_back(Event{std::string(topic), payload.to_string()});
    return;
  }
  if (mode_ == Mode::kLossy && probe_due_ && stall_limit_ > Duration::zero()) {
    probe_due_ = false;
    SetNoDrop(true);
    if (TrySend(topic, payload)) {
      LogInfo("events: every subscriber keeps up again; no more drops");
      mode_ = Mode::kLossless;
      return;
    }
    SetNoDrop(false);
  }
  if (TrySend(topic, payload)) return;
  // Lossless and a subscriber's queue is full.
  backlog_.push_back(Event{std::string(topic), payload.to_string()});
  mode_ = Mode::kStalled;
  stalled_since_.reset();
}

void Publisher::Flush(TimePoint now) {
  if (mode_ == Mode::kLossy) {
    if (now >= next_probe_) {
      probe_due_ = true;
      next_probe_ = now + kProbeInterval;
    }
    return;
  }
  if (mode_ != Mode::kStalled || now < next_retry_) return;
  if (!stalled_since_) stalled_since_ = now;
  while (!backlog_.empty() && TrySend(backlog_.front())) {
    backlog_.pop_front();
  }
  if (backlog_.empty()) {
    mode_ = Mode::kLossless;
    return;
  }
  next_retry_ = now + kRetryInterval;
  if (now - *stalled_since_ < stall_limit_) return;
  LogWarning("events: a subscriber has not read for " +
             std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(stall_limit_)
                                .count()) +
             " ms; it misses events that do not fit in its queue (a gap in seq) until it "
             "catches up");
  GoLossy();
  next_probe_ = now + kProbeInterval;
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

void Publisher::Output(std::string_view topic, std::string_view node, std::string_view msg,
                       int64_t seq, double at) {
  zmq::message_t payload(OutputEventSize(node, msg, seq, at));
  WriteOutputEvent(static_cast<char*>(payload.data()), node, msg, seq, at);
  Publish(topic, payload);
}

void Publisher::Close(std::chrono::milliseconds linger) {
  if (!backlog_.empty()) GoLossy();
  try {
    socket_.set(zmq::sockopt::linger, static_cast<int>(linger.count()));
  } catch (const zmq::error_t& e) {
    LogError(std::string("events socket: ") + e.what());
  }
}

}  // namespace zsup
