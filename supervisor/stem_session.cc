#include "supervisor/stem_session.h"

#include <algorithm>

namespace zsup {

StemSession::Actions StemSession::StemExited(TimePoint now) {
  switch (state_) {
    case State::kRunning:
      state_ = State::kLost;
      bye_ = false;
      next_attempt_ = now;
      return {};
    case State::kStopping:
      // Its pidfd can fire before the link has delivered what it sent last
      // (the nodes' exits, then Bye): keep reading until Bye.
      if (bye_) {
        state_ = State::kDone;
      } else {
        state_ = State::kDraining;
        deadline_ = now + options_.drain_timeout;
      }
      return {};
    case State::kLost:
    case State::kDraining:
    case State::kDone:
      return {};
  }
  return {};
}

void StemSession::Connected() {
  if (state_ == State::kLost) state_ = State::kRunning;
}

void StemSession::ConnectFailed(TimePoint now) {
  if (state_ == State::kLost || state_ == State::kRunning) {
    state_ = State::kLost;
    next_attempt_ = now + options_.retry;
  }
}

StemSession::Actions StemSession::Shutdown(TimePoint now, bool stem_running) {
  if (!serving()) return {};  // already on its way
  if (!stem_running) {
    state_ = State::kDone;
    return {};
  }
  state_ = State::kStopping;
  deadline_ = now + options_.stop_timeout + options_.stop_slack;
  return Actions{.send_shutdown = true};
}

StemSession::Actions StemSession::Bye() {
  bye_ = true;
  if (state_ == State::kDraining) state_ = State::kDone;  // it has exited already
  return {};
}

StemSession::Actions StemSession::Tick(TimePoint now, bool nodes_dying,
                                       TimePoint earliest_restart) {
  switch (state_) {
    case State::kLost:
      if (nodes_dying || now < std::max(next_attempt_, earliest_restart)) return {};
      return Actions{.connect = true};
    case State::kStopping:
      if (deadline_ && now >= *deadline_) {
        state_ = State::kDone;
        return Actions{.kill_stem = true, .why = Why::kStopTimedOut};
      }
      return {};
    case State::kDraining:
      if (deadline_ && now >= *deadline_) {
        state_ = State::kDone;
        return Actions{.why = Why::kDrainTimedOut};
      }
      return {};
    case State::kRunning:
    case State::kDone:
      return {};
  }
  return {};
}

std::optional<TimePoint> StemSession::deadline(bool nodes_dying, TimePoint earliest_restart) const {
  switch (state_) {
    case State::kLost:
      if (nodes_dying) return std::nullopt;  // their pidfds wake the loop
      return std::max(next_attempt_, earliest_restart);
    case State::kStopping:
    case State::kDraining:
      return deadline_;
    case State::kRunning:
    case State::kDone:
      return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace zsup
