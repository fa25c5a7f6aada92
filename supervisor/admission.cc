#include "supervisor/admission.h"

#include <algorithm>

namespace zsup {

Admission::Admission(size_t limit) {
  const size_t reserve = std::clamp<size_t>(limit / 4, 16, 256);
  high_ = limit > reserve ? limit - reserve : 0;
  low_ = high_ > reserve ? high_ - reserve : high_ / 2;
}

Admission::Action Admission::OnAccepted(int fd, TimePoint now) {
  if (refusing_ || fd < 0 || static_cast<size_t>(fd) < high_) return Action::kNone;
  refusing_ = true;
  next_recount_ = now + kRecountInterval;
  return Action::kStopAccepting;
}

Admission::Action Admission::OnCount(size_t open, TimePoint now) {
  if (!refusing_) return Action::kNone;
  if (open >= low_) {
    next_recount_ = now + kRecountInterval;
    return Action::kNone;
  }
  refusing_ = false;
  return Action::kAcceptAgain;
}

void Admission::RetryLater(TimePoint now) {
  refusing_ = true;
  next_recount_ = now + kRecountInterval;
}

std::optional<TimePoint> Admission::NextRecount() const {
  if (!refusing_) return std::nullopt;
  return next_recount_;
}

}  // namespace zsup
