#include "tools/zsupctl/liveness.h"

namespace zsup::ctl {

LivenessActions Liveness::OnDeadline(Clock::time_point now) {
  LivenessActions a;
  if (now < deadline_) return a;
  if (waiting_ && !down_) {
    down_ = true;
    a.say_down = true;
  }
  waiting_ = true;
  a.send_ping = true;
  deadline_ = now + timeout_;
  return a;
}

LivenessActions Liveness::OnAnswer(Clock::time_point now) {
  LivenessActions a;
  a.say_up = down_;
  down_ = false;
  waiting_ = false;
  deadline_ = now + interval_;
  return a;
}

}  // namespace zsup::ctl
