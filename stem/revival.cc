#include "stem/revival.h"

#include <algorithm>

namespace zsup {

TimePoint RevivalSchedule::OnExit(TimePoint started, TimePoint now) {
  if (now - started > kResetAfter) Reset();
  return std::max(now, started + std::min(delay_, cap_));
}

void RevivalSchedule::OnRevive() {
  ++attempts_;
  if (attempts_ % kAttemptsPerDoubling == 0) delay_ = std::min(delay_ * 2, cap_);
}

void RevivalSchedule::Reset() {
  delay_ = kInitialDelay;
  attempts_ = 0;
}

}  // namespace zsup
