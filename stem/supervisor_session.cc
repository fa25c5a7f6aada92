#include "stem/supervisor_session.h"

#include <algorithm>

namespace zsup {

SupervisorSession::SupervisorSession(Options options, TimePoint now, Duration grace)
    : options_(options),
      liveness_(options.heartbeat, options.supervisor_timeout),
      grace_deadline_(now + std::max(options.first_hello, grace)) {}

void SupervisorSession::Hello(TimePoint now) {
  connected_ = true;
  liveness_.Start(now);
  if (state_ == State::kWaiting) {
    state_ = State::kConnected;
    grace_deadline_.reset();
  }
}

void SupervisorSession::Heard(TimePoint now) { liveness_.Heard(now); }

SupervisorSession::Actions SupervisorSession::Lost(TimePoint now, Duration grace, Why why) {
  if (!connected_) return {};
  connected_ = false;
  Actions a{.reset_link = true, .why = why};
  if (state_ == State::kByeSent) {
    state_ = State::kDone;  // nobody left to acknowledge the Bye
    return a;
  }
  if (state_ != State::kConnected) return a;  // stopping goes on
  if (grace <= Duration::zero()) {
    state_ = State::kStopping;
    a.stop_nodes = true;
    a.why = Why::kGraceZero;
    return a;
  }
  state_ = State::kWaiting;
  grace_deadline_ = now + grace;
  return a;
}

SupervisorSession::Actions SupervisorSession::Shutdown() {
  if (state_ != State::kWaiting && state_ != State::kConnected) return {};
  state_ = State::kStopping;
  grace_deadline_.reset();
  return Actions{.stop_nodes = true};
}

void SupervisorSession::ByeAck() {
  bye_acked_ = true;
  if (state_ == State::kByeSent) state_ = State::kDone;
}

SupervisorSession::Actions SupervisorSession::Tick(TimePoint now, Duration grace, bool nodes_left) {
  Actions a;
  if (connected_ && state_ != State::kDone && liveness_.HeartbeatDue(now)) a.heartbeat = true;
  if (connected_ && liveness_.Silent(now)) {
    Actions lost = Lost(now, grace, Why::kSilent);
    lost.heartbeat = false;  // to nobody
    return lost;
  }
  switch (state_) {
    case State::kWaiting:
      if (grace_deadline_ && now >= *grace_deadline_) {
        Actions stop = Shutdown();
        stop.why = Why::kGraceOver;
        return stop;
      }
      break;
    case State::kStopping:
      if (!nodes_left) {
        a.bye = true;
        if (!connected_ || bye_acked_) {
          state_ = State::kDone;
        } else {
          state_ = State::kByeSent;
          exit_deadline_ = now + options_.bye_flush;
        }
      }
      break;
    case State::kByeSent:
      if (exit_deadline_ && now >= *exit_deadline_) state_ = State::kDone;
      break;
    case State::kConnected:
    case State::kDone:
      break;
  }
  return a;
}

std::optional<TimePoint> SupervisorSession::deadline() const {
  std::optional<TimePoint> next;
  auto consider = [&next](std::optional<TimePoint> t) {
    if (t && (!next || *t < *next)) next = t;
  };
  if (connected_ && state_ != State::kDone) consider(liveness_.deadline());
  if (state_ == State::kWaiting) consider(grace_deadline_);
  if (state_ == State::kByeSent) consider(exit_deadline_);
  return next;
}

}  // namespace zsup
